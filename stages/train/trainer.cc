// Trainer: forward, loss and gradients, gradient reduction, Adam. An LSTM
// trains with perfvec's own backward pass through time (fusedLossSum); a
// GRU, and the reference the tests compare it with, with at::lstm / at::gru
// and autograd. The translation unit of pv-train that computes with ATen.

#include "stages/train/trainer.h"

#include <ATen/Context.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/sigmoid.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/gru.h>
#include <ATen/ops/lstm.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/clamp_min.h>
#include <ATen/ops/relu.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/zeros_like.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/Device.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include "stages/core/splitmix64.h"

namespace pv::train {

struct Trainer::Impl {
  TrainerConfig config;
  std::vector<std::string> names;  // encoder parameter names, then "uarch_table"
  std::vector<at::Tensor> params;  // leaves with requires_grad
  std::vector<at::Tensor> m, v;    // Adam moments
  at::Tensor columnWeight;         // [U * T]: target weight / sum of weights
  uint64_t steps = 0;
  c10::Device device{c10::kCPU};

  bool onCpu() const { return device.is_cpu(); }
  // A host buffer as a tensor on the device (a copy unless on the CPU).
  at::Tensor onDevice(const float* data, at::IntArrayRef shape) const {
    at::Tensor t = at::from_blob(const_cast<float*>(data), shape, at::kFloat);
    return onCpu() ? t : t.to(device);
  }

  int64_t hidden() const { return config.encoder.hidden; }

  // One step's dropout masks (TrainerConfig::dropout), batch-major:
  // between[l] [B, T, H] multiplies layer l's outputs where they enter layer
  // l + 1, output [B * K, H] multiplies R. Each element is 0 or the scale
  // that keeps its mean 1, from 16 bits of a SplitMix64 stream keyed by
  // (seed, step, rank), so that the own and the autograd path draw the same.
  struct DropoutMasks {
    std::vector<at::Tensor> between;
    at::Tensor output;
  };
  std::optional<DropoutMasks> dropoutMasks(const Batch& b, uint64_t step, int rank) const {
    if (!(config.dropout > 0) || b.sequences == 0) return std::nullopt;
    const auto& e = config.encoder;
    SplitMix64 random(SplitMix64::hash(SplitMix64::hash(config.seed + 0x64726f706f7574ull) + step) + rank);
    const uint32_t dropBelow = static_cast<uint32_t>(std::lround(config.dropout * 65536.0));
    const float keptScale = static_cast<float>(65536.0 / (65536.0 - dropBelow));
    auto draw = [&](at::IntArrayRef shape) {
      at::Tensor mask = at::empty(shape, at::kFloat);
      float* x = mask.data_ptr<float>();
      uint64_t bits = 0;
      for (int64_t i = 0, n = mask.numel(); i < n; ++i) {
        if (i % 4 == 0) bits = random.next();
        x[i] = (bits & 0xffff) >= dropBelow ? keptScale : 0.0f;
        bits >>= 16;
      }
      return onCpu() ? mask : mask.to(device);
    };
    DropoutMasks masks;
    for (int64_t l = 0; l + 1 < e.layers; ++l) masks.between.push_back(draw({b.sequences, b.steps, e.hidden}));
    masks.output = draw({b.sequences * b.outputs, e.hidden});
    return masks;
  }

  void checkWeights(const Batch& b) const {
    if (!b.weights.empty() && b.weights.size() != static_cast<size_t>(b.sequences * config.uarchs))
      throw std::invalid_argument("Trainer: a batch's program weights are not sequences x uarchs");
  }

  at::Tensor forwardLossSum(const Batch& b, const DropoutMasks* masks) {
    checkWeights(b);
    const auto& e = config.encoder;
    auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
    at::Tensor x = onDevice(b.inputs.data(), {b.sequences, b.steps, b.features});
    const bool lstm = e.arch == encode::Arch::kLstm;
    // The stack in one call, or (with dropout masks) a layer at a time.
    const int64_t perCall = masks ? 1 : e.layers;
    at::Tensor out = x;
    for (int64_t l = 0; l < e.layers; l += perCall) {
      std::vector<at::Tensor> weights(params.begin() + 4 * l, params.begin() + 4 * (l + perCall));
      at::Tensor h0 = at::zeros({perCall, b.sequences, e.hidden}, opts);
      out = lstm ? std::get<0>(at::lstm(out, {h0, h0}, weights, true, perCall, 0.0, true, false, true))
                 : std::get<0>(at::gru(out, h0, weights, true, perCall, 0.0, true, false, true));
      if (masks && l + 1 < e.layers) out = out * masks->between[l];
    }
    at::Tensor r = at::relu(out.narrow(1, b.steps - b.outputs, b.outputs)).reshape({b.sequences * b.outputs, e.hidden});
    if (masks) r = r * masks->output;
    const at::Tensor& table = params.back();  // [U, T, H]
    at::Tensor pred = at::matmul(r, table.reshape({config.uarchs * config.targets, e.hidden}).t());
    at::Tensor y = onDevice(b.labels.data(), {b.sequences * b.outputs, b.labelWidth});
    at::Tensor mask = onDevice(b.mask.data(), {b.sequences * b.outputs, 1});
    at::Tensor diff = (pred - y) * mask;
    const int64_t width = config.uarchs * config.targets;
    // Per sequence and column: the target weight, times the sequence's
    // program weight on the column's microarchitecture when the batch has
    // program weights.
    at::Tensor weight = columnWeight.reshape({1, width});  // [1 or B, UT]
    if (!b.weights.empty())
      weight = weight * onDevice(b.weights.data(), {b.sequences, config.uarchs, 1})
                            .expand({b.sequences, config.uarchs, config.targets})
                            .reshape({b.sequences, width});
    // sum over rows of sum_u,t w (diff)^2, divided by U: the mean over
    // microarchitectures of the weighted target mean.
    at::Tensor sum = (diff.reshape({b.sequences, b.outputs, width}).square() * weight.unsqueeze(1)).sum();
    if (config.chunkSumWeight > 0) {
      at::Tensor chunkErr = diff.reshape({b.sequences, b.outputs, width}).sum(1);                 // [B, UT]
      at::Tensor chunkRows = mask.reshape({b.sequences, b.outputs}).sum(1, true).clamp_min(1.0);  // [B, 1]
      sum = sum + config.chunkSumWeight * (chunkErr * chunkErr * weight / chunkRows).sum();
    }
    return sum / static_cast<double>(config.uarchs);
  }

  // The LSTM's loss sum and (with `grads`) the gradients of loss sum /
  // globalRows, by an explicit backward pass through time: one GEMM per
  // layer for the input projections of all steps, one per step for the
  // recurrence, the gate arithmetic in plain loops, and the output layer and
  // loss in three GEMMs and one loop. Autograd records a graph of ~15 small
  // operations per step and layer; this is the same arithmetic without it.
  // Layout: time-major [T, B, ...] inside; gates in PyTorch's order i, f, g, o.
  double fusedLossSum(const Batch& b, double globalRows, std::vector<at::Tensor>* grads, const DropoutMasks* masks) {
    checkWeights(b);
    const auto& e = config.encoder;
    const int64_t B = b.sequences, T = b.steps, K = b.outputs, H = e.hidden, L = e.layers, G = 4 * H;
    const int64_t UT = config.uarchs * config.targets, N = B * K;
    auto opts = at::TensorOptions().dtype(at::kFloat);
    std::vector<at::Tensor> betweenMask;  // the dropout masks between layers, time-major
    if (masks)
      for (const at::Tensor& m : masks->between) betweenMask.push_back(m.transpose(0, 1).contiguous());
    // Layer inputs (time-major), activated gates, cell states, hidden states.
    std::vector<at::Tensor> in(L), gates(L), cell(L), hid(L), tanhCell(L);
    in[0] = at::from_blob(const_cast<float*>(b.inputs.data()), {B, T, b.features}, opts).transpose(0, 1).contiguous();
    for (int64_t l = 0; l < L; ++l) {
      const at::Tensor& wih = params[4 * l];
      const at::Tensor& whh = params[4 * l + 1];
      const at::Tensor bias = (params[4 * l + 2] + params[4 * l + 3]).detach();
      const int64_t fin = in[l].size(2);
      gates[l] = at::mm(in[l].reshape({T * B, fin}), wih.detach().t()).add_(bias).reshape({T, B, G});
      cell[l] = at::zeros({T + 1, B, H}, opts);
      hid[l] = at::zeros({T + 1, B, H}, opts);
      tanhCell[l] = at::empty({T, B, H}, opts);
      const at::Tensor whhT = whh.detach().t();
      for (int64_t t = 0; t < T; ++t) {
        at::Tensor g = gates[l][t];
        if (t > 0) g.addmm_(hid[l][t], whhT);
        g.narrow(1, 0, 2 * H).sigmoid_();
        g.narrow(1, 2 * H, H).tanh_();
        g.narrow(1, 3 * H, H).sigmoid_();
        const float* gp = g.data_ptr<float>();
        const float* cPrev = cell[l][t].data_ptr<float>();
        float* cNext = cell[l][t + 1].data_ptr<float>();
        for (int64_t s = 0; s < B; ++s) {
          const float* r = gp + s * G;
          for (int64_t j = 0; j < H; ++j) cNext[s * H + j] = r[H + j] * cPrev[s * H + j] + r[j] * r[2 * H + j];
        }
        at::Tensor tc = tanhCell[l][t];
        at::tanh_out(tc, cell[l][t + 1]);
        const float* tcp = tc.data_ptr<float>();
        float* hNext = hid[l][t + 1].data_ptr<float>();
        for (int64_t s = 0; s < B; ++s)
          for (int64_t j = 0; j < H; ++j) hNext[s * H + j] = gp[s * G + 3 * H + j] * tcp[s * H + j];
      }
      if (l + 1 < L) in[l + 1] = masks ? hid[l].narrow(0, 1, T) * betweenMask[l] : hid[l].narrow(0, 1, T);
    }
    // Output: R = relu(h) of the last K steps, batch-major rows (b, k).
    const at::Tensor R = hid[L - 1].narrow(0, T - K + 1, K).transpose(0, 1).contiguous().reshape({N, H}).clamp_min_(0);
    if (masks) R.mul_(masks->output);
    const at::Tensor M = params.back().detach().reshape({UT, H});
    const at::Tensor pred = at::mm(R, M.t());
    const float* pp = pred.data_ptr<float>();
    const float* yp = b.labels.data();
    const float* mp = b.mask.data();
    // Each sequence's column weights: the target weight times its program's
    // weight on the column's microarchitecture (1 without program weights).
    const float* cw = columnWeight.data_ptr<float>();
    std::vector<float> sequenceWeight(static_cast<size_t>(B * UT));
    for (int64_t s = 0; s < B; ++s)
      for (int64_t c = 0; c < UT; ++c)
        sequenceWeight[s * UT + c] = b.weights.empty() ? cw[c] : cw[c] * b.weights[s * config.uarchs + c / config.targets];
    at::Tensor dpred = grads ? at::empty({N, UT}, opts) : at::Tensor();
    float* dp = grads ? dpred.data_ptr<float>() : nullptr;
    const double U = static_cast<double>(config.uarchs);
    const float scale = static_cast<float>(2.0 / (U * globalRows));
    // With the chunk-sum term: each chunk's summed errors [B, UT] and rows.
    const bool chunkSum = config.chunkSumWeight > 0;
    std::vector<double> chunkErr(chunkSum ? B * UT : 0), chunkRows(chunkSum ? B : 0);
    double total = 0;
    for (int64_t n = 0; n < N; ++n) {
      const float m = mp[n];
      double rowSum = 0;
      double* err = chunkSum ? &chunkErr[(n / K) * UT] : nullptr;
      const float* wp = &sequenceWeight[(n / K) * UT];
      for (int64_t c = 0; c < UT; ++c) {
        const float d = (pp[n * UT + c] - yp[n * UT + c]) * m;
        rowSum += double(d) * d * wp[c];
        if (dp) dp[n * UT + c] = scale * d * wp[c];
        if (err) err[c] += d;
      }
      if (chunkSum) chunkRows[n / K] += m;
      total += rowSum;
    }
    if (chunkSum) {  // forwardLossSum's chunk-sum term, and its gradient on every real row of the chunk
      const double lambda = config.chunkSumWeight;
      for (int64_t s = 0; s < B; ++s) {
        const double rows = std::max(chunkRows[s], 1.0);
        const double* err = &chunkErr[s * UT];
        const float* wp = &sequenceWeight[s * UT];
        for (int64_t c = 0; c < UT; ++c) total += lambda * err[c] * err[c] * wp[c] / rows;
        if (!dp) continue;
        for (int64_t n = s * K; n < (s + 1) * K; ++n) {
          if (mp[n] == 0) continue;
          for (int64_t c = 0; c < UT; ++c) dp[n * UT + c] += static_cast<float>(scale * lambda * err[c] * wp[c] / rows);
        }
      }
    }
    if (!grads) return total / U;

    // Backward.
    grads->assign(params.size(), at::Tensor());
    grads->back() = at::mm(dpred.t(), R).reshape(params.back().sizes());
    at::Tensor dR = at::mm(dpred, M);  // [N, H]
    if (masks) dR.mul_(masks->output);
    {
      float* d = dR.data_ptr<float>();
      const float* r = R.data_ptr<float>();
      for (int64_t i = 0; i < N * H; ++i)
        if (r[i] <= 0) d[i] = 0;
    }
    // dh from above, time-major [T, B, H]: the top layer's from the outputs.
    at::Tensor dhAbove = at::zeros({T, B, H}, opts);
    dhAbove.narrow(0, T - K, K).copy_(dR.reshape({B, K, H}).transpose(0, 1));
    for (int64_t l = L - 1; l >= 0; --l) {
      const at::Tensor& wih = params[4 * l];
      const at::Tensor whh = params[4 * l + 1].detach();
      at::Tensor dA = at::empty({T, B, G}, opts);
      at::Tensor dhRec = at::zeros({B, H}, opts), dcRec = at::zeros({B, H}, opts);
      float* dcr = dcRec.data_ptr<float>();
      for (int64_t t = T - 1; t >= 0; --t) {
        const float* gp = gates[l][t].data_ptr<float>();
        const float* tcp = tanhCell[l][t].data_ptr<float>();
        const float* cPrev = cell[l][t].data_ptr<float>();
        const float* dha = dhAbove[t].data_ptr<float>();
        const float* dhr = dhRec.data_ptr<float>();
        float* da = dA[t].data_ptr<float>();
        for (int64_t s = 0; s < B; ++s)
          for (int64_t j = 0; j < H; ++j) {
            const int64_t k = s * H + j;
            const float* r = gp + s * G;
            const float i = r[j], f = r[H + j], g = r[2 * H + j], o = r[3 * H + j], tc = tcp[k];
            const float dh = dha[k] + dhr[k];
            const float dc = dcr[k] + dh * o * (1 - tc * tc);
            float* a = da + s * G;
            a[j] = dc * g * i * (1 - i);
            a[H + j] = dc * cPrev[k] * f * (1 - f);
            a[2 * H + j] = dc * i * (1 - g * g);
            a[3 * H + j] = dh * tc * o * (1 - o);
            dcr[k] = dc * f;
          }
        if (t > 0) at::mm_out(dhRec, dA[t], whh);
      }
      const int64_t fin = in[l].size(2);
      const at::Tensor dA2 = dA.reshape({T * B, G});
      (*grads)[4 * l] = at::mm(dA2.t(), in[l].reshape({T * B, fin}));
      (*grads)[4 * l + 1] = at::mm(dA2.narrow(0, B, (T - 1) * B).t(), hid[l].narrow(0, 1, T - 1).reshape({(T - 1) * B, H}));
      (*grads)[4 * l + 2] = dA2.sum(0);
      (*grads)[4 * l + 3] = (*grads)[4 * l + 2].clone();
      if (l > 0) {
        dhAbove = at::mm(dA2, wih.detach()).reshape({T, B, fin});
        if (masks) dhAbove.mul_(betweenMask[l - 1]);
      }
    }
    return total / U;
  }

  bool fused() const { return config.encoder.arch == encode::Arch::kLstm && !config.autograd && onCpu(); }
};

namespace {
NamedTensor toNamed(const std::string& name, const at::Tensor& t) {
  NamedTensor n;
  n.name = name;
  for (int64_t s : t.sizes()) n.shape.push_back(static_cast<uint32_t>(s));
  at::Tensor c = t.detach().to(at::kCPU).contiguous();
  n.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return n;
}
}  // namespace

Trainer::Trainer(const TrainerConfig& config) : impl_(std::make_unique<Impl>()) {
  Impl& d = *impl_;
  d.config = config;
  config.encoder.validate();
  try {
    d.device = c10::Device(config.device);
  } catch (const std::exception&) {
    throw std::invalid_argument("Trainer: unknown device '" + config.device + "'");
  }
  if (!d.device.is_cpu() && !d.device.is_cuda())
    throw std::invalid_argument("Trainer: device '" + config.device + "': expected cpu or cuda:N");
  if (d.device.is_cuda() && (cudaDeviceCount() == 0 || d.device.index() >= cudaDeviceCount()))
    throw std::invalid_argument("Trainer: device '" + config.device + "': this LibTorch has " +
                                std::to_string(cudaDeviceCount()) + " CUDA devices");
  if (config.uarchs < 1 || config.targets < 1) throw std::invalid_argument("Trainer: no uarchs or targets");
  if (d.config.targetWeights.empty()) d.config.targetWeights.assign(config.targets, 1.0f);
  if (static_cast<int64_t>(d.config.targetWeights.size()) != config.targets)
    throw std::invalid_argument("Trainer: one loss weight per target");
  double total = 0;
  for (float w : d.config.targetWeights) {
    if (!(w >= 0)) throw std::invalid_argument("Trainer: negative loss weight");
    total += w;
  }
  if (total <= 0) throw std::invalid_argument("Trainer: the loss weights are all 0");
  if (!(config.dropout >= 0 && config.dropout <= 0.9))
    throw std::invalid_argument("Trainer: dropout " + std::to_string(config.dropout) + " is outside [0, 0.9]");
  std::vector<float> columns(config.uarchs * config.targets);
  for (size_t i = 0; i < columns.size(); ++i)
    columns[i] = static_cast<float>(d.config.targetWeights[i % config.targets] / total);
  d.columnWeight =
      at::from_blob(columns.data(), {1, static_cast<int64_t>(columns.size())}, at::kFloat).clone().to(d.device);

  // The encoder's own deterministic initialisation (PyTorch's RNN default).
  encode::InstructionEncoder init(config.encoder);
  init.initRandom(config.seed);
  for (const auto& p : init.parameters()) {
    std::vector<float> values = init.parameter(p.name);
    d.names.push_back(p.name);
    d.params.push_back(at::from_blob(values.data(), p.shape, at::kFloat).clone().to(d.device));
  }
  // M: uniform in [-1/sqrt(H), 1/sqrt(H)), like nn.Linear's default.
  const int64_t h = config.encoder.hidden;
  std::vector<float> table(config.uarchs * config.targets * h);
  SplitMix64 random(config.seed * SplitMix64::kGamma + 0x7461626c65ull);
  const double bound = 1.0 / std::sqrt(static_cast<double>(h));
  for (float& x : table)
    x = static_cast<float>(config.nonNegativeTable ? random.uniform() * bound : (random.uniform() * 2.0 - 1.0) * bound);
  d.names.push_back("uarch_table");
  d.params.push_back(at::from_blob(table.data(), {config.uarchs, config.targets, h}, at::kFloat).clone().to(d.device));
  for (auto& p : d.params) {
    p.set_requires_grad(true);
    d.m.push_back(at::zeros_like(p));
    d.v.push_back(at::zeros_like(p));
  }
}

Trainer::~Trainer() = default;

StepResult Trainer::step(const Batch& batch, int64_t globalRows, double lr, GradientReducer* reducer) {
  Impl& d = *impl_;
  if (batch.sequences > 0 && (batch.features != d.config.encoder.features ||
                              batch.labelWidth != d.config.uarchs * d.config.targets))
    throw std::invalid_argument("Trainer::step: batch does not match the model");
  if (globalRows <= 0) throw std::invalid_argument("Trainer::step: a global batch without rows");
  StepResult result;
  std::vector<at::Tensor> grads(d.params.size());
  const auto masks = d.dropoutMasks(batch, d.steps, reducer ? reducer->rank() : 0);
  const Impl::DropoutMasks* dropout = masks ? &*masks : nullptr;
  if (batch.sequences > 0 && d.fused()) {
    c10::NoGradGuard noGrad;
    result.loss =
        d.fusedLossSum(batch, static_cast<double>(globalRows), &grads, dropout) / static_cast<double>(globalRows);
  } else if (batch.sequences > 0) {
    for (auto& p : d.params) p.mutable_grad() = at::Tensor();
    at::Tensor loss = d.forwardLossSum(batch, dropout) / static_cast<double>(globalRows);
    loss.backward();
    result.loss = loss.item<double>();
    for (size_t i = 0; i < d.params.size(); ++i) grads[i] = d.params[i].grad();
  }
  // One flat buffer for all gradients: one collective per step.
  std::vector<at::Tensor> flat;
  for (size_t i = 0; i < d.params.size(); ++i) {
    const at::Tensor& g = grads[i];
    flat.push_back(g.defined() ? g.reshape({-1}) : at::zeros({d.params[i].numel()}, d.params[i].options()));
  }
  at::Tensor all = at::cat(flat).contiguous();
  if (reducer && d.onCpu()) {
    reducer->sum(all.data_ptr<float>(), all.numel());
  } else if (reducer) {  // Gloo sums host memory
    at::Tensor host = all.to(at::kCPU).contiguous();
    reducer->sum(host.data_ptr<float>(), host.numel());
    all.copy_(host);
  }
  c10::NoGradGuard noGrad;
  result.gradientNorm = std::sqrt(all.pow(2).sum().item<double>());
  if (d.config.clipNorm > 0 && result.gradientNorm > d.config.clipNorm)
    all.mul_(d.config.clipNorm / (result.gradientNorm + 1e-12));
  ++d.steps;
  const double c1 = 1.0 - std::pow(d.config.beta1, static_cast<double>(d.steps));
  const double c2 = 1.0 - std::pow(d.config.beta2, static_cast<double>(d.steps));
  int64_t offset = 0;
  for (size_t i = 0; i < d.params.size(); ++i) {
    at::Tensor& p = d.params[i];
    at::Tensor g = all.narrow(0, offset, p.numel()).view(p.sizes());
    offset += p.numel();
    d.m[i].mul_(d.config.beta1).add_(g, 1.0 - d.config.beta1);
    d.v[i].mul_(d.config.beta2).addcmul_(g, g, 1.0 - d.config.beta2);
    if (d.config.weightDecay > 0) p.mul_(1.0 - lr * d.config.weightDecay);
    at::Tensor denom = (d.v[i] / c2).sqrt_().add_(d.config.epsilon);
    p.addcdiv_(d.m[i], denom, -lr / c1);
  }
  if (d.config.nonNegativeTable) d.params.back().clamp_min_(0.0);  // the table is last
  return result;
}

std::pair<double, int64_t> Trainer::lossSum(const Batch& batch) {
  if (batch.sequences == 0) return {0.0, 0};
  c10::NoGradGuard noGrad;
  if (impl_->fused()) return {impl_->fusedLossSum(batch, 1.0, nullptr, nullptr), batch.validRows()};
  return {impl_->forwardLossSum(batch, nullptr).item<double>(), batch.validRows()};
}

std::vector<NamedTensor> Trainer::gradients(const Batch& batch, int64_t globalRows) {
  Impl& d = *impl_;
  std::vector<at::Tensor> grads(d.params.size());
  const auto masks = d.dropoutMasks(batch, d.steps, 0);
  const Impl::DropoutMasks* dropout = masks ? &*masks : nullptr;
  if (d.fused()) {
    c10::NoGradGuard noGrad;
    d.fusedLossSum(batch, static_cast<double>(globalRows), &grads, dropout);
  } else {
    for (auto& p : d.params) p.mutable_grad() = at::Tensor();
    (d.forwardLossSum(batch, dropout) / static_cast<double>(globalRows)).backward();
    for (size_t i = 0; i < d.params.size(); ++i) grads[i] = d.params[i].grad();
  }
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < d.params.size(); ++i)
    out.push_back(toNamed(d.names[i], grads[i].defined() ? grads[i] : at::zeros_like(d.params[i])));
  return out;
}

double Trainer::loss(const Batch& batch) {
  auto [sum, rows] = lossSum(batch);
  return rows ? sum / static_cast<double>(rows) : 0.0;
}

uint64_t Trainer::steps() const { return impl_->steps; }

int cudaDeviceCount() { return at::hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0; }


std::vector<NamedTensor> Trainer::state() const {
  const Impl& d = *impl_;
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < d.params.size(); ++i) {
    out.push_back(toNamed("param/" + d.names[i], d.params[i]));
    out.push_back(toNamed("adam_m/" + d.names[i], d.m[i]));
    out.push_back(toNamed("adam_v/" + d.names[i], d.v[i]));
  }
  return out;
}

void Trainer::loadState(const std::vector<NamedTensor>& state, uint64_t steps) {
  Impl& d = *impl_;
  auto find = [&](const std::string& name, const at::Tensor& like) -> const NamedTensor& {
    for (const auto& t : state)
      if (t.name == name) {
        std::vector<uint32_t> shape;
        for (int64_t s : like.sizes()) shape.push_back(static_cast<uint32_t>(s));
        if (t.shape != shape) throw std::invalid_argument("checkpoint tensor '" + name + "' has another shape");
        return t;
      }
    throw std::invalid_argument("checkpoint has no tensor '" + name + "'");
  };
  c10::NoGradGuard noGrad;
  for (size_t i = 0; i < d.params.size(); ++i) {
    const NamedTensor& p = find("param/" + d.names[i], d.params[i]);
    const NamedTensor& m = find("adam_m/" + d.names[i], d.m[i]);
    const NamedTensor& v = find("adam_v/" + d.names[i], d.v[i]);
    d.params[i].copy_(at::from_blob(const_cast<float*>(p.values.data()), d.params[i].sizes(), at::kFloat));
    d.m[i].copy_(at::from_blob(const_cast<float*>(m.values.data()), d.m[i].sizes(), at::kFloat));
    d.v[i].copy_(at::from_blob(const_cast<float*>(v.values.data()), d.v[i].sizes(), at::kFloat));
  }
  d.steps = steps;
}

std::vector<NamedTensor> Trainer::encoderParameters() const {
  const Impl& d = *impl_;
  std::vector<NamedTensor> out;
  for (size_t i = 0; i + 1 < d.params.size(); ++i) out.push_back(toNamed(d.names[i], d.params[i]));
  return out;
}

std::vector<float> Trainer::uarchTable() const { return toNamed("", impl_->params.back()).values; }

}  // namespace pv::train
