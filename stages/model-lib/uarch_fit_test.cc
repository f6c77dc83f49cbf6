// Ridge least squares recovers a representation from enough equations and
// falls back to the prior without them; under M >= 0 it finds the exact
// constrained optimum; the parametric MLP fits M_u from
// parameters and pv-dot-predict's plain C++ forward reproduces its output.

#include "stages/model-lib/uarch_fit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "stages/model-lib/uarch_params.h"

namespace pv::fit {
namespace {

TEST(RidgeFit, RecoversTheRepresentationFromEnoughEquations) {
  const size_t h = 6, rows = 40;
  const std::vector<double> truth{1, -2, 0.5, 3, 0, 7};
  std::vector<double> x, y;
  uint64_t s = 1;
  for (size_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (size_t i = 0; i < h; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const double v = static_cast<double>(s >> 40) / double(1 << 24) * 10;
      x.push_back(v);
      dot += v * truth[i];
    }
    y.push_back(dot);
  }
  const auto m = ridgeFit(x, y, h, std::vector<double>(h, 0.0), 1e-9);
  for (size_t i = 0; i < h; ++i) EXPECT_NEAR(m[i], truth[i], 1e-4);
}

TEST(RidgeFit, UnderdeterminedStaysNearThePriorAndFitsTheEquation) {
  const std::vector<double> x{1, 1, 0}, y{10}, prior{2, 2, 5};
  const auto m = ridgeFit(x, y, 3, prior, 1e-6);
  EXPECT_NEAR(m[0] + m[1], 10, 1e-3);  // the equation
  EXPECT_NEAR(m[0], m[1], 1e-6);       // the smallest change from the prior
  EXPECT_NEAR(m[2], 5, 1e-9);          // untouched direction keeps the prior
}

// Random equations whose unconstrained fit has negative entries.
void signedProblem(size_t h, size_t rows, uint64_t seed, std::vector<double>& x, std::vector<double>& y) {
  uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 40) / double(1 << 24);
  };
  x.clear();
  y.clear();
  for (size_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (size_t i = 0; i < h; ++i) {
      const double v = next() * 1000;  // sums of ReLU outputs: non-negative, large
      x.push_back(v);
      dot += v * (i % 3 == 0 ? -1.0 : 2.0 + next());
    }
    y.push_back(dot + next() * 50);
  }
}

double ridgeObjective(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& m,
                      const std::vector<double>& prior, double lambda) {
  const size_t h = m.size();
  double f = 0;
  for (size_t r = 0; r < y.size(); ++r) {
    double e = -y[r];
    for (size_t i = 0; i < h; ++i) e += x[r * h + i] * m[i];
    f += e * e;
  }
  for (size_t i = 0; i < h; ++i) f += lambda * (m[i] - prior[i]) * (m[i] - prior[i]);
  return f;
}

TEST(NonNegativeRidgeFit, IsRidgeFitWhereThatIsNonNegative) {
  const std::vector<double> x{1, 1, 0}, y{10}, prior{2, 2, 5};
  EXPECT_EQ(nonNegativeRidgeFit(x, y, 3, prior, 1e-6), ridgeFit(x, y, 3, prior, 1e-6));
}

// Against the exact answer: for h = 4 every set of entries held at 0 is
// tried (the unconstrained ridge fit of the others, kept when feasible), and
// the best feasible one is the constrained optimum.
TEST(NonNegativeRidgeFit, FindsTheBestNonNegativeFit) {
  const size_t h = 4;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::vector<double> x, y;
    signedProblem(h, 12, seed, x, y);
    const std::vector<double> prior{0.5, 1, 0, 2};
    const double ridge = 1e-3;
    const auto unconstrained = ridgeFit(x, y, h, prior, ridge);
    ASSERT_LT(*std::min_element(unconstrained.begin(), unconstrained.end()), 0)
        << "seed " << seed << " does not need the bound";
    double trace = 0;
    for (size_t r = 0; r < y.size(); ++r)
      for (size_t i = 0; i < h; ++i) trace += x[r * h + i] * x[r * h + i];
    const double lambda = ridge * trace / h;
    double best = INFINITY;
    for (unsigned zeros = 0; zeros < (1u << h); ++zeros) {
      std::vector<size_t> free;
      for (size_t i = 0; i < h; ++i)
        if (!(zeros >> i & 1)) free.push_back(i);
      std::vector<double> m(h, 0.0);
      if (!free.empty()) {
        // Minimise over the free entries with the others at 0; the same
        // lambda (ridgeFit's is relative to the whole trace).
        std::vector<double> xf, yf = y;
        for (size_t r = 0; r < y.size(); ++r)
          for (size_t i : free) xf.push_back(x[r * h + i]);
        std::vector<double> pf;
        for (size_t i : free) pf.push_back(prior[i]);
        double traceFree = 0;
        for (double v : xf) traceFree += v * v;
        const auto sub = ridgeFit(xf, yf, free.size(), pf, lambda * free.size() / traceFree);
        for (size_t k = 0; k < free.size(); ++k) m[free[k]] = sub[k];
      }
      if (*std::min_element(m.begin(), m.end()) < 0) continue;
      best = std::min(best, ridgeObjective(x, y, m, prior, lambda));
    }
    const auto fit = nonNegativeRidgeFit(x, y, h, prior, ridge);
    for (double v : fit) EXPECT_GE(v, 0.0) << "seed " << seed;
    EXPECT_NEAR(ridgeObjective(x, y, fit, prior, lambda), best, 1e-7 * best) << "seed " << seed;
  }
}

// Like the real equations: 64 dimensions, fewer intervals than dimensions,
// sums of ReLU outputs over 16,384 instructions (large, nearly collinear),
// a prior of both signs. The fit must settle at a KKT point.
TEST(NonNegativeRidgeFit, SettlesOnLargeNearlyCollinearEquations) {
  const size_t h = 64;
  size_t atTheBound = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    uint64_t st = seed;
    auto next = [&] {
      st = st * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<double>(st >> 40) / double(1 << 24);
    };
    const size_t rows = 8 + seed * 6;
    std::vector<double> base(h), x, y, prior(h);
    for (auto& v : base) v = next() * 16384;
    for (size_t r = 0; r < rows; ++r) {
      double dot = 0;
      for (size_t i = 0; i < h; ++i) {
        const double v = base[i] * (0.9 + 0.2 * next()) * (next() < 0.2 ? 0.0 : 1.0);
        x.push_back(v);
        dot += v * (next() - 0.3);
      }
      y.push_back(std::fabs(dot) + 1000 * next());
    }
    for (auto& p : prior) p = next() * 2 - 1;
    std::vector<double> m;
    ASSERT_NO_THROW(m = nonNegativeRidgeFit(x, y, h, prior, 1e-3)) << "seed " << seed;
    // KKT of min |X m - y|^2 + lambda |m - prior|^2, m >= 0, in gradient units.
    double trace = 0;
    for (double v : x) trace += v * v;
    const double lambda = 1e-3 * trace / h;
    std::vector<double> g(h, 0.0);
    for (size_t r = 0; r < rows; ++r) {
      double e = -y[r];
      for (size_t i = 0; i < h; ++i) e += x[r * h + i] * m[i];
      for (size_t i = 0; i < h; ++i) g[i] += 2 * x[r * h + i] * e;
    }
    double gscale = 0;
    for (size_t i = 0; i < h; ++i) {
      g[i] += 2 * lambda * (m[i] - prior[i]);
      double ref = 2 * lambda * std::fabs(prior[i]);
      for (size_t r = 0; r < rows; ++r) ref += 2 * std::fabs(x[r * h + i] * y[r]);
      gscale = std::max(gscale, ref);
    }
    for (size_t i = 0; i < h; ++i) {
      ASSERT_GE(m[i], 0.0) << "seed " << seed;
      atTheBound += m[i] == 0;
      if (m[i] > 0) EXPECT_LT(std::fabs(g[i]), 1e-6 * gscale) << "seed " << seed << " entry " << i;
      else EXPECT_GT(g[i], -1e-6 * gscale) << "seed " << seed << " entry " << i;
    }
  }
  std::printf("large equations: %zu of %zu entries at the bound\n", atTheBound, 10 * h);
  EXPECT_GT(atTheBound, 10u);  // the bound acts
}

TEST(ParametricModel, FitsAndEvaluatesLikePvDotPredict) {
  Model model;
  model.architecture.hidden = 2;
  model.targetNames = {"commit"};
  for (int i = 0; i < 12; ++i) {
    Microarchitecture u;
    u.name = "u" + std::to_string(i);
    u.origin = "trained";
    const int rob = 32 << (i % 4);
    u.params = {{"core.rob", std::to_string(rob)}, {"branch.predictor", i % 2 ? "tage" : "gshare"}};
    const double x = std::log2(1.0 + rob);
    u.representation = {static_cast<float>(x), static_cast<float>(i % 2 ? 1.0 : -1.0)};
    model.uarchs.push_back(u);
  }
  MlpOptions o;
  o.iterations = 3000;
  const double err = fitParametricModel(model, o);
  EXPECT_LT(err, 0.05);
  EXPECT_EQ(model.uarchModel.inputs,
            (std::vector<std::string>{"branch.predictor=gshare", "branch.predictor=tage", "core.rob"}));
  double worst = 0;
  for (const auto& u : model.uarchs) {
    const auto m = parametricRepresentation(model, u, "test");
    for (size_t k = 0; k < 2; ++k) worst = std::max(worst, std::fabs(double(m[k]) - u.representation[k]));
  }
  EXPECT_LT(worst, 0.3);
}

// In a non-negative model the MLP's output passes through ReLU, in the fit
// and in pv-dot-predict: targets below zero are met at zero, never below,
// also for parameter points it was not fitted on.
TEST(ParametricModel, ANonNegativeModelsOutputIsNeverNegative) {
  Model model;
  model.architecture.hidden = 2;
  model.targetNames = {"commit"};
  model.nonNegativeUarchs = true;
  for (int i = 0; i < 12; ++i) {
    Microarchitecture u;
    u.name = "u" + std::to_string(i);
    u.origin = "trained";
    const int rob = 32 << (i % 4);
    u.params = {{"core.rob", std::to_string(rob)}};
    u.representation = {static_cast<float>(std::log2(1.0 + rob)), i % 4 == 0 ? 0.0f : 0.5f};
    model.uarchs.push_back(u);
  }
  MlpOptions o;
  o.iterations = 3000;
  EXPECT_LT(fitParametricModel(model, o), 0.05);
  double worst = 0;
  for (int rob = 1; rob <= 4096; rob *= 2) {
    Microarchitecture u;
    u.name = "rob" + std::to_string(rob);
    u.params = {{"core.rob", std::to_string(rob)}};
    for (float v : parametricRepresentation(model, u, "test")) EXPECT_GE(v, 0.0f) << u.name;
  }
  for (const auto& u : model.uarchs) {
    const auto m = parametricRepresentation(model, u, "test");
    for (size_t k = 0; k < 2; ++k) worst = std::max(worst, std::fabs(double(m[k]) - u.representation[k]));
  }
  EXPECT_LT(worst, 0.3);
}

}  // namespace
}  // namespace pv::fit
