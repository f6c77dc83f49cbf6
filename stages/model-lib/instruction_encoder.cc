// InstructionEncoder on LibTorch's ATen operators (at::lstm / at::gru), the
// only translation unit of perfvec that includes LibTorch. Narrow per-operator
// headers keep it at a few seconds to compile (<torch/torch.h> costs ~20 s).
#include "stages/model-lib/instruction_encoder.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/add.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/gru.h>
#include <ATen/ops/lstm.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/sigmoid.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/zeros.h>
#include <c10/core/InferenceMode.h>
#include <dlfcn.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <atomic>
#include <mutex>
#include <cmath>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include "stages/core/splitmix64.h"

namespace pv::encode {

// ---------------------------------------------------------------- names

std::string_view archName(Arch arch) { return arch == Arch::kLstm ? "lstm" : "gru"; }

std::optional<Arch> parseArch(std::string_view name) {
  if (name == "lstm") return Arch::kLstm;
  if (name == "gru") return Arch::kGru;
  return std::nullopt;
}

std::string_view encodeModeName(EncodeMode mode) {
  return mode == EncodeMode::kExact ? "exact" : "chunked";
}

std::optional<EncodeMode> parseEncodeMode(std::string_view name) {
  if (name == "exact") return EncodeMode::kExact;
  if (name == "chunked") return EncodeMode::kChunked;
  return std::nullopt;
}

void EncoderConfig::validate() const {
  if (features < 1 || hidden < 1 || layers < 1 || window < 1)
    throw std::invalid_argument("encoder: features, hidden, layers and window must be >= 1");
}

int64_t ParameterInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<ParameterInfo> parameterLayout(const EncoderConfig& config) {
  config.validate();
  const int64_t gh = int64_t{config.gates()} * config.hidden;
  std::vector<ParameterInfo> layout;
  for (int l = 0; l < config.layers; ++l) {
    const std::string s = "_l" + std::to_string(l);
    const int64_t in = l == 0 ? config.features : config.hidden;
    layout.push_back({"weight_ih" + s, {gh, in}});
    layout.push_back({"weight_hh" + s, {gh, config.hidden}});
    layout.push_back({"bias_ih" + s, {gh}});
    layout.push_back({"bias_hh" + s, {gh}});
  }
  return layout;
}

// ---------------------------------------------------------------- Impl

namespace {

// Time steps the CPU kernel projects at once (one GEMM per layer per block).
constexpr int64_t kBlockSteps = 32;

// Where the ReLU outputs of a forward's last `keep` steps go, per sequence b
// of the forward: each[(b * keep + s) * H + h] (when not null) and
// sums[b * H + h] += ... (when not null; in double, in step order).
struct Outputs {
  int64_t keep = 1;
  float* each = nullptr;
  double* sums = nullptr;
};

void setOpenBlasThreads(int n) {
  using Fn = void(int);
  if (auto* set = reinterpret_cast<Fn*>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(n);
}

}  // namespace

struct InstructionEncoder::Impl {
  // A layer's weights as the CPU kernel uses them (views of `params`, plus
  // the summed bias of the LSTM).
  struct CpuLayer {
    at::Tensor wih, whh;  // [G*H, in], [G*H, H]
    at::Tensor biasP;     // added to the input projection: LSTM b_ih + b_hh, GRU b_ih
    at::Tensor biasQ;     // GRU: b_hh (inside r * (W_hn h + b_hn))
  };

  EncoderConfig config;
  std::vector<ParameterInfo> layout;
  std::vector<at::Tensor> params;  // layout order, float32, contiguous, on `device`
  std::vector<CpuLayer> layers;    // CPU only
  at::Device device = at::kCPU;
  mutable std::atomic<int64_t> forwards{0};

  bool lstm() const { return config.arch == Arch::kLstm; }

  size_t indexOf(std::string_view name) const {
    for (size_t i = 0; i < layout.size(); ++i)
      if (layout[i].name == name) return i;
    throw std::invalid_argument("encoder: no parameter named '" + std::string(name) + "'");
  }

  void refreshLayer(int l) {
    if (!device.is_cpu()) return;
    CpuLayer& w = layers.at(l);
    w.wih = params[4 * l];
    w.whh = params[4 * l + 1];
    w.biasP = lstm() ? at::add(params[4 * l + 2], params[4 * l + 3]) : params[4 * l + 2];
    w.biasQ = params[4 * l + 3];
  }

  // Activation bytes per sequence of one forward call: the kernel's block
  // buffers (input, projections, two layer outputs) and the states (CPU), or
  // every step of every layer (at::lstm on other devices).
  int64_t bytesPerSequence(int64_t steps, bool aten) const {
    const int64_t h = config.hidden, gh = int64_t{config.gates()} * h;
    const int64_t perStep = config.features + gh + 2 * h;
    if (device.is_cpu() && !aten)
      return 4 * (std::min(steps, kBlockSteps) * perStep + (2 * config.layers + 3) * h + gh);
    return 4 * steps * (perStep + gh + int64_t{config.layers} * h);
  }

  int64_t batchFor(const EncodeOptions& o, int64_t steps) const {
    if (o.perForward > 0) return o.perForward;
    return std::max<int64_t>(1, o.memoryBudgetBytes / bytesPerSequence(steps, o.atenRnn));
  }

  // ---- the forward pass over input [B, T, F] (any strides) from a zero state

  void forward(const at::Tensor& input, const Outputs& out, bool aten) const {
    forwards.fetch_add(1, std::memory_order_relaxed);
    if (device.is_cpu() && !aten) {
      // Sequences are independent: each worker runs whole sequences with one
      // BLAS thread, so threads meet once per forward, not once per step.
      static std::once_flag once;
      std::call_once(once, [] { setOpenBlasThreads(1); });
      at::parallel_for(0, input.size(0), 1, [&](int64_t b0, int64_t b1) {
        cpuForward(input.narrow(0, b0, b1 - b0), b0, out);
      });
    } else {
      atenForward(input, out);
    }
  }

  // The CPU kernel for sequences [b0, b0 + in.size(0)) of a forward. Per time
  // block: one GEMM projects the block's inputs; per step one GEMM adds
  // W_hh h and ATen's vectorised sigmoid/tanh plus plain loops update the
  // state in place. Buffers are allocated once per forward, none per step
  // (at::lstm allocates every step's tensors, which makes it malloc-bound).
  void cpuForward(const at::Tensor& in, int64_t b0, const Outputs& out) const {
    const int64_t b = in.size(0), steps = in.size(1), f = config.features;
    const int64_t h = config.hidden, gh = int64_t{config.gates()} * h;
    const int64_t tb = std::min(kBlockSteps, steps);
    const auto fl = at::TensorOptions().dtype(at::kFloat);
    at::Tensor xbuf = at::empty({b * tb * f}, fl);
    at::Tensor pbuf = at::empty({b * tb * gh}, fl);
    at::Tensor ybuf[2] = {at::empty({b * tb * h}, fl), at::empty({b * tb * h}, fl)};
    at::Tensor hstate = at::zeros({config.layers, b, h}, fl);
    at::Tensor cstate = at::zeros({config.layers, b, h}, fl);
    at::Tensor q = at::empty({b, gh}, fl);    // GRU: W_hh h + b_hh
    at::Tensor tmp = at::empty({b, h}, fl);   // LSTM: tanh(c)
    const int64_t firstKept = steps - out.keep;

    for (int64_t t0 = 0; t0 < steps; t0 += tb) {
      const int64_t n = std::min(tb, steps - t0);
      at::Tensor x = xbuf.narrow(0, 0, b * n * f).view({b, n, f});
      x.copy_(in.narrow(1, t0, n));
      at::Tensor layerIn = x.view({b * n, f});
      for (int l = 0; l < config.layers; ++l) {
        const CpuLayer& w = layers[l];
        at::Tensor p = pbuf.narrow(0, 0, b * n * gh).view({b * n, gh});
        at::addmm_out(p, w.biasP, layerIn, w.wih.t());
        at::Tensor p3 = p.view({b, n, gh});
        at::Tensor y = ybuf[l % 2].narrow(0, 0, b * n * h).view({b, n, h});
        float* const yp = y.data_ptr<float>();
        for (int64_t s = 0; s < n; ++s) {
          // Previous output of this layer: the state at a block's first step.
          at::Tensor prev = s == 0 ? hstate[l] : y.select(1, s - 1);
          const float* hp = prev.data_ptr<float>();
          const int64_t hpStride = s == 0 ? h : n * h;
          at::Tensor g = p3.select(1, s);  // [b, G*H], row stride n * G*H
          float* const gp = g.data_ptr<float>();
          float* const ys = yp + s * h;
          if (lstm()) {
            g.addmm_(prev, w.whh.t());
            g.narrow(1, 0, 2 * h).sigmoid_();
            g.narrow(1, 2 * h, h).tanh_();
            g.narrow(1, 3 * h, h).sigmoid_();
            float* const cp = cstate[l].data_ptr<float>();
            for (int64_t r = 0; r < b; ++r) {
              const float* gr = gp + r * n * gh;
              float* cr = cp + r * h;
              for (int64_t k = 0; k < h; ++k) cr[k] = gr[h + k] * cr[k] + gr[k] * gr[2 * h + k];
            }
            at::tanh_out(tmp, cstate[l]);
            const float* tp = tmp.data_ptr<float>();
            for (int64_t r = 0; r < b; ++r) {
              const float* gr = gp + r * n * gh + 3 * h;
              const float* tr = tp + r * h;
              float* yr = ys + r * n * h;
              for (int64_t k = 0; k < h; ++k) yr[k] = gr[k] * tr[k];
            }
          } else {
            at::addmm_out(q, w.biasQ, prev, w.whh.t());
            const float* qp = q.data_ptr<float>();
            for (int64_t r = 0; r < b; ++r) {
              float* gr = gp + r * n * gh;
              const float* qr = qp + r * gh;
              for (int64_t k = 0; k < 2 * h; ++k) gr[k] += qr[k];
            }
            g.narrow(1, 0, 2 * h).sigmoid_();  // r, z
            for (int64_t r = 0; r < b; ++r) {
              float* gr = gp + r * n * gh;
              const float* qr = qp + r * gh;
              for (int64_t k = 0; k < h; ++k) gr[2 * h + k] += gr[k] * qr[2 * h + k];
            }
            g.narrow(1, 2 * h, h).tanh_();  // n
            for (int64_t r = 0; r < b; ++r) {
              const float* gr = gp + r * n * gh;
              const float* hr = hp + r * hpStride;
              float* yr = ys + r * n * h;
              for (int64_t k = 0; k < h; ++k) {
                const float z = gr[h + k];
                yr[k] = (1.0f - z) * gr[2 * h + k] + z * hr[k];
              }
            }
          }
        }
        hstate[l].copy_(y.select(1, n - 1));
        layerIn = y.view({b * n, h});
      }
      // ReLU of the last layer's kept steps to the outputs.
      const float* yl = layerIn.data_ptr<float>();
      for (int64_t s = std::max<int64_t>(0, firstKept - t0); s < n; ++s) {
        const int64_t kept = t0 + s - firstKept;
        for (int64_t r = 0; r < b; ++r) {
          const float* yr = yl + (r * n + s) * h;
          if (out.each != nullptr) {
            float* e = out.each + ((b0 + r) * out.keep + kept) * h;
            for (int64_t k = 0; k < h; ++k) e[k] = std::max(yr[k], 0.0f);
          }
          if (out.sums != nullptr) {
            double* sum = out.sums + (b0 + r) * h;
            for (int64_t k = 0; k < h; ++k) sum[k] += std::max(yr[k], 0.0f);
          }
        }
      }
    }
  }

  // at::lstm / at::gru (devices other than the CPU, or asked for): every
  // step of every layer is materialised, and allocated per step.
  void atenForward(const at::Tensor& input, const Outputs& out) const {
    const int64_t b = input.size(0), steps = input.size(1), h = config.hidden;
    at::Tensor h0 = at::zeros({config.layers, b, h}, input.options());
    at::Tensor y;
    if (lstm()) {
      y = std::get<0>(at::lstm(input, {h0, h0}, params, /*has_biases=*/true, config.layers,
                               /*dropout=*/0.0, /*train=*/false, /*bidirectional=*/false,
                               /*batch_first=*/true));
    } else {
      y = std::get<0>(at::gru(input, h0, params, true, config.layers, 0.0, false, false, true));
    }
    at::Tensor r = y.narrow(1, steps - out.keep, out.keep).relu().to(at::kCPU);
    if (out.each != nullptr)
      at::from_blob(out.each, {b, out.keep, h}, at::TensorOptions().dtype(at::kFloat)).copy_(r);
    if (out.sums != nullptr)
      at::from_blob(out.sums, {b, h}, at::TensorOptions().dtype(at::kDouble))
          .add_(r.to(at::kDouble).sum(1));
  }

  // Rows [first, first + count) of the caller's buffer as a flat tensor on
  // the device: a view of the caller's memory on the CPU, a copy elsewhere.
  at::Tensor rowsOnDevice(const float* rows, int64_t first, int64_t count) const {
    const int64_t f = config.features;
    at::Tensor host = at::from_blob(const_cast<float*>(rows + first * f), {count * f},
                                    at::TensorOptions().dtype(at::kFloat));
    return device.is_cpu() ? host : host.to(device);
  }

  // ---- the two modes

  // R_i of instructions [0, n) to each[i * H ...], windows batched
  // batchFor(W) per forward.
  void exact(const float* rows, int64_t n, const EncodeOptions& o, float* each) const {
    const int64_t w = config.window, f = config.features;
    const int64_t per = batchFor(o, w);  // windows
    for (int64_t i0 = 0; i0 < n; i0 += per) {
      const int64_t b = std::min(per, n - i0);
      // Instruction i sits at row C + i; its window is rows [i, i + W).
      at::Tensor base = rowsOnDevice(rows, i0, b - 1 + w);
      forward(base.as_strided({b, w, f}, {f, f, 1}),
              Outputs{1, each + i0 * config.hidden, nullptr}, o.atenRnn);
    }
  }

  // Chunks of K: R_i to each[i * H ...] and/or chunk sums to sums[j * H ...]
  // (zeroed here), chunks batched batchFor(C + K) per forward.
  void chunked(const float* rows, int64_t n, const EncodeOptions& o, float* each,
               double* sums) const {
    const int64_t c = config.context(), f = config.features, k = o.chunk, h = config.hidden;
    const int64_t full = n / k, rest = n % k;
    const int64_t per = batchFor(o, c + k);  // chunks
    if (sums != nullptr) std::fill_n(sums, chunkCount(n, k) * h, 0.0);
    auto eachAt = [h, k](float* p, int64_t chunk) { return p ? p + chunk * k * h : p; };
    auto sumAt = [h](double* p, int64_t chunk) { return p ? p + chunk * h : p; };
    for (int64_t j0 = 0; j0 < full; j0 += per) {
      const int64_t b = std::min(per, full - j0);
      // Chunk j is rows [jK, jK + C + K): consecutive chunks overlap by C rows.
      at::Tensor base = rowsOnDevice(rows, j0 * k, (b - 1) * k + c + k);
      forward(base.as_strided({b, c + k, f}, {k * f, f, 1}),
              Outputs{k, eachAt(each, j0), sumAt(sums, j0)}, o.atenRnn);
    }
    if (rest > 0) {
      at::Tensor base = rowsOnDevice(rows, full * k, c + rest);
      forward(base.view({1, c + rest, f}), Outputs{rest, eachAt(each, full), sumAt(sums, full)},
              o.atenRnn);
    }
  }

  void checkCall(const float* rows, int64_t n, const EncodeOptions& o) const {
    if (n < 0) throw std::invalid_argument("encoder: negative instruction count");
    if (o.chunk < 1) throw std::invalid_argument("encoder: chunk must be >= 1");
    if (o.perForward < 0 || (o.perForward == 0 && o.memoryBudgetBytes < 1))
      throw std::invalid_argument("encoder: perForward must be >= 0 (0: memory budget > 0)");
    if (n > 0 && rows == nullptr) throw std::invalid_argument("encoder: no rows");
  }

  template <typename T>
  void sums(const float* rows, int64_t n, const EncodeOptions& o, std::span<T> out) const {
    checkCall(rows, n, o);
    const int64_t h = config.hidden, k = o.chunk;
    if (static_cast<int64_t>(out.size()) != chunkCount(n, k) * h)
      throw std::invalid_argument("encoder: sums must hold chunkCount(n, chunk) * hidden values");
    if (n == 0) return;
    c10::InferenceMode guard;
    std::vector<double> acc;
    double* dst = nullptr;
    if constexpr (std::is_same_v<T, double>) {
      dst = out.data();
    } else {
      acc.resize(out.size());
      dst = acc.data();
    }
    if (o.mode == EncodeMode::kChunked) {
      chunked(rows, n, o, nullptr, dst);
    } else {
      // Exact: every R_i, then added up per chunk in double, in order.
      std::vector<float> each(n * h);
      exact(rows, n, o, each.data());
      std::fill_n(dst, out.size(), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        double* s = dst + (i / k) * h;
        for (int64_t x = 0; x < h; ++x) s[x] += each[i * h + x];
      }
    }
    if constexpr (!std::is_same_v<T, double>) std::copy(acc.begin(), acc.end(), out.begin());
  }
};

// ---------------------------------------------------------------- encoder

InstructionEncoder::InstructionEncoder(const EncoderConfig& config)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->layout = parameterLayout(config);
  for (const auto& p : impl_->layout)
    impl_->params.push_back(at::empty(p.shape, at::TensorOptions().dtype(at::kFloat)));
  impl_->layers.resize(config.layers);
  initRandom(0);
}

InstructionEncoder::~InstructionEncoder() = default;
InstructionEncoder::InstructionEncoder(InstructionEncoder&&) noexcept = default;
InstructionEncoder& InstructionEncoder::operator=(InstructionEncoder&&) noexcept = default;

const EncoderConfig& InstructionEncoder::config() const { return impl_->config; }

std::vector<ParameterInfo> InstructionEncoder::parameters() const { return impl_->layout; }

std::vector<float> InstructionEncoder::parameter(std::string_view name) const {
  const at::Tensor host = impl_->params[impl_->indexOf(name)].to(at::kCPU).contiguous();
  const float* p = host.data_ptr<float>();
  return std::vector<float>(p, p + host.numel());
}

void InstructionEncoder::setParameter(std::string_view name, std::span<const float> values) {
  const size_t i = impl_->indexOf(name);
  const ParameterInfo& info = impl_->layout[i];
  if (static_cast<int64_t>(values.size()) != info.numel())
    throw std::invalid_argument("encoder: parameter '" + info.name + "' takes " +
                                std::to_string(info.numel()) + " values, got " +
                                std::to_string(values.size()));
  at::Tensor src = at::from_blob(const_cast<float*>(values.data()), info.shape,
                                 at::TensorOptions().dtype(at::kFloat));
  impl_->params[i].copy_(src);
  impl_->refreshLayer(static_cast<int>(i / 4));
}

void InstructionEncoder::initRandom(uint64_t seed) {
  SplitMix64 random(seed);  // a fixed, portable sequence per seed
  const double bound = 1.0 / std::sqrt(static_cast<double>(impl_->config.hidden));
  for (const auto& info : impl_->layout) {
    std::vector<float> v(static_cast<size_t>(info.numel()));
    for (float& x : v) {
      const double u = random.uniform();
      x = static_cast<float>(-bound + 2.0 * bound * u);
    }
    setParameter(info.name, v);
  }
}

void InstructionEncoder::setDevice(const std::string& device) {
  at::Device d = at::kCPU;
  if (device == "cpu") {
    d = at::Device(at::kCPU);
  } else if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    if (!cudaAvailable())
      throw std::runtime_error("encoder: device '" + device +
                               "' asked for, but this LibTorch has no CUDA "
                               "(Debian's libtorch-dev is CPU only)");
    int index = 0;
    if (device.size() > 5) {
      const std::string digits = device.substr(5);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("encoder: bad device '" + device + "'");
      index = std::stoi(digits);
    }
    d = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  } else {
    throw std::invalid_argument("encoder: bad device '" + device + "' (cpu, cuda, cuda:N)");
  }
  for (auto& p : impl_->params) p = p.to(d).contiguous();
  impl_->device = d;
  for (int l = 0; l < impl_->config.layers; ++l) impl_->refreshLayer(l);
}

std::string InstructionEncoder::device() const { return impl_->device.str(); }

int64_t InstructionEncoder::chunkCount(int64_t n, int64_t chunk) {
  return chunk < 1 ? 0 : (n + chunk - 1) / chunk;
}

void InstructionEncoder::encodeSums(const float* rows, int64_t n, const EncodeOptions& options,
                                    std::span<double> sums) const {
  impl_->sums(rows, n, options, sums);
}

void InstructionEncoder::encodeSums(const float* rows, int64_t n, const EncodeOptions& options,
                                    std::span<float> sums) const {
  impl_->sums(rows, n, options, sums);
}

void InstructionEncoder::encodeEach(const float* rows, int64_t n, const EncodeOptions& options,
                                    std::span<float> out) const {
  impl_->checkCall(rows, n, options);
  const int64_t h = impl_->config.hidden;
  if (static_cast<int64_t>(out.size()) != n * h)
    throw std::invalid_argument("encoder: output must hold n * hidden values");
  if (n == 0) return;
  c10::InferenceMode guard;
  if (options.mode == EncodeMode::kExact)
    impl_->exact(rows, n, options, out.data());
  else
    impl_->chunked(rows, n, options, out.data(), nullptr);
}

int64_t InstructionEncoder::forwardBatch(const EncodeOptions& options) const {
  impl_->checkCall(nullptr, 0, options);
  const int64_t steps = options.mode == EncodeMode::kExact
                            ? impl_->config.window
                            : impl_->config.context() + options.chunk;
  return impl_->batchFor(options, steps);
}

int64_t InstructionEncoder::forwardCalls() const {
  return impl_->forwards.load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------- normaliser

FeatureNormaliser::FeatureNormaliser(std::vector<double> mean, std::vector<double> stddev)
    : mean_(std::move(mean)), scale_(std::move(stddev)) {
  if (mean_.size() != scale_.size())
    throw std::invalid_argument("normaliser: mean and std differ in length");
  for (size_t i = 0; i < mean_.size(); ++i) {
    if (!std::isfinite(mean_[i]) || !std::isfinite(scale_[i]) || scale_[i] < 0)
      throw std::invalid_argument("normaliser: feature " + std::to_string(i) +
                                  ": mean and std must be finite, std >= 0");
    if (scale_[i] == 0) scale_[i] = 1;
  }
}

void FeatureNormaliser::apply(float* rows, int64_t n) const {
  const size_t f = mean_.size();
  for (int64_t r = 0; r < n; ++r, rows += f)
    for (size_t c = 0; c < f; ++c)
      rows[c] = static_cast<float>((static_cast<double>(rows[c]) - mean_[c]) / scale_[c]);
}

// ---------------------------------------------------------------- CPU backend

namespace {

template <typename Fn>
Fn* blasSymbol(const char* name) {
  return reinterpret_cast<Fn*>(dlsym(RTLD_DEFAULT, name));
}

constexpr uint64_t kOpenBlasBufferBytes = uint64_t{128} << 20;

// VmData of /proc/self/status (what RLIMIT_DATA counts), in bytes; 0 unknown.
uint64_t dataBytesInUse() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmData:", 0) == 0) return std::strtoull(line.c_str() + 7, nullptr, 10) << 10;
  return 0;
}

}  // namespace

void reserveBlasBuffers() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_DATA, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  const int threads = at::get_num_threads();
  if (cpuBackend().openBlas) {
    const uint64_t used = dataBytesInUse();
    // The buffers, and room for the first tensors beside them.
    const uint64_t needed = threads * kOpenBlasBufferBytes + (uint64_t{32} << 20);
    if (used + needed > limit.rlim_cur) {
      throw std::runtime_error(
          "out of memory: the data limit (RLIMIT_DATA, pv-launch memory_limit) of " +
          std::to_string(limit.rlim_cur >> 20) + " MiB leaves " +
          std::to_string(limit.rlim_cur > used ? (limit.rlim_cur - used) >> 20 : 0) +
          " MiB, and OpenBLAS needs about " + std::to_string(needed >> 20) + " MiB for " +
          std::to_string(threads) + " thread(s) (128 MiB each, and 32 MiB of tensors): "
          "raise the limit or use fewer --threads");
    }
  }
  // Every thread (the calling one is thread 0) inside sgemm at the same
  // moment: each maps its own buffer.
  c10::InferenceMode guard;
  std::atomic<int> arrived{0};
  at::parallel_for(0, threads, 1, [&](int64_t b0, int64_t b1) {
    arrived += static_cast<int>(b1 - b0);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (arrived.load() < threads && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    at::Tensor a = at::ones({256, 256});
    (void)at::mm(a, a);
  });
}

void setCpuThreads(int n) {
  if (n < 1) throw std::invalid_argument("encoder: threads must be >= 1");
  at::set_num_threads(n);
  setOpenBlasThreads(1);
}

int cpuThreads() { return at::get_num_threads(); }

int availableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

bool cudaAvailable() { return at::hasCUDA(); }

namespace {

// The file of the library that provides `symbol` to this process.
std::string providerOf(const char* symbol) {
  Dl_info info{};
  void* address = dlsym(RTLD_DEFAULT, symbol);
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
  char* real = realpath(info.dli_fname, nullptr);
  std::string path = real ? real : info.dli_fname;
  std::free(real);
  return path;
}

}  // namespace

void reexecWithoutForcedOpenBlasCore(char** argv) {
  if (!std::getenv("OPENBLAS_CORETYPE") || std::getenv("PV_KEEP_OPENBLAS_CORETYPE")) return;
  // --help and --version encode nothing: not worth starting LibTorch twice
  // (pv-launch asks every stage for its --help before a pipeline starts).
  for (char** a = argv + 1; *a; ++a)
    if (std::strcmp(*a, "--help") == 0 || std::strcmp(*a, "-h") == 0 || std::strcmp(*a, "--version") == 0) return;
  unsetenv("OPENBLAS_CORETYPE");
  execv("/proc/self/exe", argv);
}

CpuBackend cpuBackend() {
  CpuBackend b;
  b.threads = at::get_num_threads();
  b.blasLibrary = providerOf("sgemm_");
  b.openBlas = b.blasLibrary.find("openblas") != std::string::npos;
  if (b.openBlas) {
    if (auto* core = blasSymbol<char*()>("openblas_get_corename")) b.openBlasCore = core();
    if (auto* threads = blasSymbol<int()>("openblas_get_num_threads"))
      b.openBlasThreads = threads();
  }
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) b.openBlasCoreType = forced;
  b.mallocLibrary = providerOf("malloc");
  return b;
}

std::vector<std::string> CpuBackend::warnings() const {
  std::vector<std::string> w;
  if (!openBlas)
    w.push_back("the BLAS in use (" + (blasLibrary.empty() ? "none found" : blasLibrary) +
                ") is not OpenBLAS; encoding is ~20x slower: install libopenblas0-pthread");
  if (!openBlasCoreType.empty())
    w.push_back("OPENBLAS_CORETYPE=" + openBlasCoreType +
                " forces OpenBLAS's kernels for that core; unset it to let OpenBLAS pick");
  return w;
}

std::string CpuBackend::describe() const {
  std::ostringstream out;
  out << "threads " << threads << "; sgemm from " << (blasLibrary.empty() ? "?" : blasLibrary);
  if (openBlas) out << " (OpenBLAS core " << openBlasCore << ", " << openBlasThreads << " thread"
                    << (openBlasThreads == 1 ? "" : "s") << ")";
  if (!openBlasCoreType.empty()) out << "; OPENBLAS_CORETYPE=" << openBlasCoreType;
  out << "; malloc from " << mallocLibrary;
  return out.str();
}

}  // namespace pv::encode
