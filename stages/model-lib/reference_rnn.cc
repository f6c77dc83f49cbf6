#include "stages/model-lib/reference_rnn.h"

#include <algorithm>
#include <cmath>

namespace pv::encode {

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// y[r] = b[r] + sum_c w[r * cols + c] * x[c] for r < rowsOut.
void affine(const std::vector<double>& w, const std::vector<double>& b, const double* x,
            int64_t rowsOut, int64_t cols, double* y) {
  for (int64_t r = 0; r < rowsOut; ++r) {
    double s = b[r];
    for (int64_t c = 0; c < cols; ++c) s += w[r * cols + c] * x[c];
    y[r] = s;
  }
}

}  // namespace

ReferenceRnn::ReferenceRnn(const InstructionEncoder& encoder) : config_(encoder.config()) {
  for (int l = 0; l < config_.layers; ++l) {
    const std::string s = "_l" + std::to_string(l);
    Layer layer;
    layer.in = l == 0 ? config_.features : config_.hidden;
    layer.wih = widen(encoder.parameter("weight_ih" + s));
    layer.whh = widen(encoder.parameter("weight_hh" + s));
    layer.bih = widen(encoder.parameter("bias_ih" + s));
    layer.bhh = widen(encoder.parameter("bias_hh" + s));
    layers_.push_back(std::move(layer));
  }
}

std::vector<double> ReferenceRnn::run(const float* rows, int64_t steps) const {
  const int64_t h = config_.hidden, f = config_.features, g = config_.gates();
  const bool lstm = config_.arch == Arch::kLstm;
  // The sequence through each layer in turn: seq holds steps x in values.
  std::vector<double> seq(rows, rows + steps * f);
  for (const Layer& layer : layers_) {
    std::vector<double> next(steps * h);
    std::vector<double> hs(h, 0.0), cs(h, 0.0), gx(g * h), gh(g * h);
    for (int64_t t = 0; t < steps; ++t) {
      affine(layer.wih, layer.bih, seq.data() + t * layer.in, g * h, layer.in, gx.data());
      affine(layer.whh, layer.bhh, hs.data(), g * h, h, gh.data());
      for (int64_t k = 0; k < h; ++k) {
        if (lstm) {  // gates i, f, g, o
          const double i = sigmoid(gx[k] + gh[k]);
          const double fg = sigmoid(gx[h + k] + gh[h + k]);
          const double c = std::tanh(gx[2 * h + k] + gh[2 * h + k]);
          const double o = sigmoid(gx[3 * h + k] + gh[3 * h + k]);
          cs[k] = fg * cs[k] + i * c;
          next[t * h + k] = o * std::tanh(cs[k]);
        } else {  // gates r, z, n
          const double r = sigmoid(gx[k] + gh[k]);
          const double z = sigmoid(gx[h + k] + gh[h + k]);
          const double n = std::tanh(gx[2 * h + k] + r * gh[2 * h + k]);
          next[t * h + k] = (1 - z) * n + z * hs[k];
        }
      }
      std::copy(next.begin() + t * h, next.begin() + (t + 1) * h, hs.begin());
    }
    seq = std::move(next);
  }
  for (double& v : seq) v = std::max(v, 0.0);
  return seq;
}

std::vector<double> ReferenceRnn::exact(const float* rows, int64_t n) const {
  const int64_t h = config_.hidden, f = config_.features, w = config_.window;
  std::vector<double> out(n * h);
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<double> r = run(rows + i * f, w);
    std::copy(r.end() - h, r.end(), out.begin() + i * h);
  }
  return out;
}

}  // namespace pv::encode
