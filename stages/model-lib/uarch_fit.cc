// Ridge least squares and the parametric MLP.

#include "stages/model-lib/uarch_fit.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

#include "stages/core/splitmix64.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/uarch_params.h"

namespace pv::fit {
namespace {

// Solves A x = b (n x n, symmetric positive definite) by Cholesky.
std::vector<double> solveSpd(std::vector<double> a, std::vector<double> b, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw std::invalid_argument("ridgeFit: the system is not positive definite (raise --ridge)");
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  for (size_t i = 0; i < n; ++i) {  // L z = b
    double s = b[i];
    for (size_t k = 0; k < i; ++k) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {  // L^T x = z
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= a[k * n + i] * b[k];
    b[i] = s / a[i * n + i];
  }
  return b;
}

}  // namespace

namespace {

// The normal equations of the ridge problem in d = m - prior:
// (X^T X + lambda I) d = X^T (y - X prior), lambda = ridge * trace(X^T X) / H.
void ridgeNormalEquations(const std::vector<double>& x, const std::vector<double>& y, size_t h,
                          const std::vector<double>& prior, double ridge, std::vector<double>& a,
                          std::vector<double>& b) {
  const size_t rows = y.size();
  if (rows == 0 || x.size() != rows * h || prior.size() != h)
    throw std::invalid_argument("ridgeFit: sizes do not match");
  a.assign(h * h, 0.0);
  b.assign(h, 0.0);
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = x.data() + r * h;
    double residual = y[r];
    for (size_t i = 0; i < h; ++i) residual -= xr[i] * prior[i];
    for (size_t i = 0; i < h; ++i) {
      b[i] += xr[i] * residual;
      for (size_t j = 0; j < h; ++j) a[i * h + j] += xr[i] * xr[j];
    }
  }
  double trace = 0;
  for (size_t i = 0; i < h; ++i) trace += a[i * h + i];
  const double lambda = std::max(ridge * trace / static_cast<double>(h), 1e-12);
  for (size_t i = 0; i < h; ++i) a[i * h + i] += lambda;
}

}  // namespace

std::vector<double> ridgeFit(const std::vector<double>& x, const std::vector<double>& y, size_t h,
                             const std::vector<double>& prior, double ridge) {
  std::vector<double> a, b;
  ridgeNormalEquations(x, y, h, prior, ridge, a, b);
  std::vector<double> d = solveSpd(std::move(a), std::move(b), h);
  for (size_t i = 0; i < h; ++i) d[i] += prior[i];
  return d;
}

std::vector<double> nonNegativeRidgeFit(const std::vector<double>& x, const std::vector<double>& y, size_t h,
                                        const std::vector<double>& prior, double ridge) {
  std::vector<double> a, b;
  ridgeNormalEquations(x, y, h, prior, ridge, a, b);
  // The unconstrained optimum, when it is feasible, is the answer (exactly
  // ridgeFit's): the bound only acts where it cuts.
  std::vector<double> m = solveSpd(a, b, h);
  bool feasible = true;
  for (size_t i = 0; i < h; ++i) {
    m[i] += prior[i];
    feasible = feasible && m[i] >= 0;
  }
  if (feasible) return m;
  // In m itself: min 1/2 m^T A m - q^T m over m >= 0, q = b + A prior, by
  // Lawson and Hanson's active set: free entries are added one at a time
  // (the most negative gradient first) and the free subproblem is solved
  // exactly; a step that would make a free entry negative stops at the
  // bound and frees it no more. Finite and exact, unlike a general
  // optimiser (NLopt's L-BFGS stopped with a failure on the shipped
  // model's refit).
  std::vector<double> q(h);
  for (size_t i = 0; i < h; ++i) {
    q[i] = b[i];
    for (size_t j = 0; j < h; ++j) q[i] += a[i * h + j] * prior[j];
  }
  double scale = 0;
  for (double v : q) scale = std::max(scale, std::fabs(v));
  // Gradients are sums of large terms that cancel; below this they are 0.
  const double tolerance = 1e-9 * std::max(scale, 1e-300);
  std::vector<bool> free(h, false), blocked(h, false);
  std::fill(m.begin(), m.end(), 0.0);
  // The optimum of the free entries with the others at 0.
  auto solveFree = [&] {
    std::vector<size_t> idx;
    for (size_t i = 0; i < h; ++i)
      if (free[i]) idx.push_back(i);
    const size_t n = idx.size();
    std::vector<double> sub(n * n), rhs(n);
    for (size_t r = 0; r < n; ++r) {
      rhs[r] = q[idx[r]];
      for (size_t c = 0; c < n; ++c) sub[r * n + c] = a[idx[r] * h + idx[c]];
    }
    const std::vector<double> z = solveSpd(std::move(sub), std::move(rhs), n);
    std::vector<double> out(h, 0.0);
    for (size_t r = 0; r < n; ++r) out[idx[r]] = z[r];
    return out;
  };
  for (size_t round = 0;; ++round) {
    if (round > 20 * h) throw std::runtime_error("nonNegativeRidgeFit: the active set did not settle");
    size_t enter = h;
    double steepest = -tolerance;
    for (size_t i = 0; i < h; ++i) {
      if (free[i] || blocked[i]) continue;
      double g = -q[i];
      for (size_t j = 0; j < h; ++j) g += a[i * h + j] * m[j];
      if (g < steepest) {
        steepest = g;
        enter = i;
      }
    }
    if (enter == h) break;  // KKT: every bound entry's gradient >= 0 (to rounding)
    free[enter] = true;
    std::vector<double> s = solveFree();
    if (s[enter] <= 0) {
      // Rounding: the entry's gradient said "enter" but its optimum is not
      // above 0. Lawson and Hanson's remedy: leave it bound and do not try
      // it again until the free set changes.
      free[enter] = false;
      blocked[enter] = true;
      continue;
    }
    std::fill(blocked.begin(), blocked.end(), false);
    for (size_t inner = 0;; ++inner) {
      if (inner > h) throw std::runtime_error("nonNegativeRidgeFit: the active set did not settle");
      double step = 1.0;
      for (size_t i = 0; i < h; ++i)
        if (free[i] && s[i] <= 0) step = std::min(step, m[i] / (m[i] - s[i]));
      if (step >= 1.0) {
        m = s;
        break;
      }
      for (size_t i = 0; i < h; ++i) {
        if (!free[i]) continue;
        m[i] += step * (s[i] - m[i]);
        if (m[i] <= 0 || (s[i] <= 0 && m[i] <= tolerance * 1e-3)) {
          m[i] = 0;
          free[i] = false;
        }
      }
      s = solveFree();
    }
  }
  return m;
}

double fitParametricModel(Model& model, const MlpOptions& o) {
  std::vector<const Microarchitecture*> train;
  std::vector<double> weights;
  std::vector<Microarchitecture> withParams;
  size_t trained = 0;
  for (const auto& u : model.uarchs) {
    if (u.params.empty()) continue;
    if (u.origin.empty() || u.origin == "trained") {
      train.push_back(&u);
      weights.push_back(1.0);
      ++trained;
    } else if (u.origin == "simulated" && o.simulatedWeight > 0) {
      train.push_back(&u);
      weights.push_back(o.simulatedWeight);
    }
  }
  if (trained < 4)
    throw StageError("pv-tune --parametric", "",
                     fmt::format("{} trained microarchitectures carry parameters; at least 4 are needed "
                                 "(train with --uarch-dir)",
                                 trained));
  for (const auto* u : train) withParams.push_back(*u);
  UarchParameterModel& p = model.uarchModel;
  p = {};
  p.clockScaled.clear();
  p.inputs = parameterInputNames(withParams);
  const size_t n = train.size(), in = p.inputs.size();
  const size_t outputs = model.targetNames.size() * model.architecture.hidden;
  const bool nonNegative = model.nonNegativeUarchs;
  const size_t hid = static_cast<size_t>(o.hidden);
  if (in == 0) throw StageError("pv-tune --parametric", "", "the microarchitectures' parameters do not vary");
  // Time-like targets are learned in cycles (M_u x clock): a configuration's
  // M_u for them scales with its clock period, which the MLP need not learn.
  const size_t h = model.architecture.hidden;
  bool clocks = true;
  for (const auto* u : train) clocks = clocks && u->clockGhz > 0;
  if (clocks)
    for (const auto& t : model.targetNames)
      if (t == "fetch" || t == "commit" || t == "store_commit" || t == "decode" || t == "rename" || t == "dispatch")
        p.clockScaled.push_back(t);
  std::vector<std::vector<float>> xs, ys;
  for (const auto* u : train) {
    xs.push_back(parameterInputs(*u, p.inputs, "model"));
    std::vector<float> y = u->representation;
    for (size_t t = 0; t < model.targetNames.size(); ++t)
      if (std::find(p.clockScaled.begin(), p.clockScaled.end(), model.targetNames[t]) != p.clockScaled.end())
        for (size_t d = 0; d < h; ++d) y[t * h + d] = static_cast<float>(y[t * h + d] * u->clockGhz);
    ys.push_back(std::move(y));
  }
  p.inputMean.assign(in, 0.0f);
  p.inputStd.assign(in, 0.0f);
  for (size_t i = 0; i < in; ++i) {
    double s = 0, s2 = 0;
    for (const auto& x : xs) {
      s += x[i];
      s2 += double(x[i]) * x[i];
    }
    const double m = s / n, v = std::max(0.0, s2 / n - m * m);
    p.inputMean[i] = static_cast<float>(m);
    p.inputStd[i] = static_cast<float>(v > 0 ? std::sqrt(v) : 1.0);
    for (auto& x : xs) x[i] = static_cast<float>((x[i] - m) / p.inputStd[i]);
  }
  // Parameters: W1 [hid, in], b1 [hid], W2 [out, hid], b2 [out] (b2 starts at the mean M).
  SplitMix64 random(o.seed);
  auto uniform = [&](double bound) { return (random.uniform() * 2 - 1) * bound; };
  std::vector<double> w1(hid * in), b1(hid, 0), w2(outputs * hid), b2(outputs, 0);
  for (auto& w : w1) w = uniform(1.0 / std::sqrt(double(in)));
  for (auto& w : w2) w = uniform(1.0 / std::sqrt(double(hid)));
  for (size_t k = 0; k < outputs; ++k) {
    for (const auto& y : ys) b2[k] += y[k];
    b2[k] /= double(n);
  }
  std::vector<double*> params{w1.data(), b1.data(), w2.data(), b2.data()};
  std::vector<size_t> sizes{w1.size(), b1.size(), w2.size(), b2.size()};
  std::vector<std::vector<double>> m1, v1, grads;
  for (size_t s : sizes) {
    m1.emplace_back(s, 0.0);
    v1.emplace_back(s, 0.0);
    grads.emplace_back(s, 0.0);
  }
  // Output scale: errors are measured relative to the spread of M.
  double var = 0;
  for (const auto& y : ys)
    for (size_t k = 0; k < outputs; ++k) var += (y[k] - b2[k]) * (y[k] - b2[k]);
  var = std::max(var / double(n * outputs), 1e-30);
  double totalWeight = 0;
  for (double w : weights) totalWeight += w;
  std::vector<double> hidden(hid), pre(hid), dh(hid);
  double loss = 0;
  for (int it = 1; it <= o.iterations; ++it) {
    for (auto& g : grads) std::fill(g.begin(), g.end(), 0.0);
    loss = 0;
    for (size_t s = 0; s < n; ++s) {
      const auto& x = xs[s];
      for (size_t j = 0; j < hid; ++j) {
        double a = b1[j];
        for (size_t i = 0; i < in; ++i) a += w1[j * in + i] * x[i];
        pre[j] = a;
        hidden[j] = std::max(0.0, a);
      }
      std::fill(dh.begin(), dh.end(), 0.0);
      for (size_t k = 0; k < outputs; ++k) {
        double a = b2[k];
        for (size_t j = 0; j < hid; ++j) a += w2[k * hid + j] * hidden[j];
        // A non-negative model's output is max(0, a). Its gradient is passed
        // on also where a < 0 if the output is too small, so that an output
        // cut to 0 can come back.
        const double predicted = nonNegative ? std::max(0.0, a) : a;
        const double e = (predicted - ys[s][k]) / var;
        loss += weights[s] * (predicted - ys[s][k]) * (predicted - ys[s][k]) / var;
        double g = 2 * weights[s] * e / (totalWeight * double(outputs));
        if (nonNegative && a <= 0 && g > 0) g = 0;
        grads[3][k] += g;
        for (size_t j = 0; j < hid; ++j) {
          grads[2][k * hid + j] += g * hidden[j];
          dh[j] += g * w2[k * hid + j];
        }
      }
      for (size_t j = 0; j < hid; ++j) {
        if (pre[j] <= 0) continue;
        grads[1][j] += dh[j];
        for (size_t i = 0; i < in; ++i) grads[0][j * in + i] += dh[j] * x[i];
      }
    }
    loss /= totalWeight * double(outputs);
    const double c1 = 1 - std::pow(0.9, it), c2 = 1 - std::pow(0.999, it);
    for (size_t q = 0; q < params.size(); ++q)
      for (size_t i = 0; i < sizes[q]; ++i) {
        const double g = grads[q][i];
        m1[q][i] = 0.9 * m1[q][i] + 0.1 * g;
        v1[q][i] = 0.999 * v1[q][i] + 0.001 * g * g;
        if (q % 2 == 0) params[q][i] *= 1 - o.learningRate * o.weightDecay;
        params[q][i] -= o.learningRate * (m1[q][i] / c1) / (std::sqrt(v1[q][i] / c2) + 1e-8);
      }
  }
  auto tensor = [](const std::string& name, std::vector<uint32_t> shape, const std::vector<double>& v) {
    NamedTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.values.assign(v.begin(), v.end());
    return t;
  };
  p.layers = {tensor("layer0.weight", {uint32_t(hid), uint32_t(in)}, w1), tensor("layer0.bias", {uint32_t(hid)}, b1),
              tensor("layer1.weight", {uint32_t(outputs), uint32_t(hid)}, w2), tensor("layer1.bias", {uint32_t(outputs)}, b2)};
  return loss;  // relative to the variance of M around its mean
}

}  // namespace pv::fit
