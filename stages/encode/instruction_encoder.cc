// InstructionEncoder on LibTorch's ATen operators (at::lstm / at::gru), the
// only translation unit of perfvec that includes LibTorch. Narrow per-operator
// headers keep it at a few seconds to compile (<torch/torch.h> costs ~20 s).
#include "stages/encode/instruction_encoder.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/gru.h>
#include <ATen/ops/lstm.h>
#include <ATen/ops/zeros.h>
#include <c10/core/InferenceMode.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <type_traits>

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

struct InstructionEncoder::Impl {
  EncoderConfig config;
  std::vector<ParameterInfo> layout;
  std::vector<at::Tensor> params;  // layout order, float32, contiguous, on `device`
  at::Device device = at::kCPU;
  mutable std::atomic<int64_t> forwards{0};

  size_t indexOf(std::string_view name) const {
    for (size_t i = 0; i < layout.size(); ++i)
      if (layout[i].name == name) return i;
    throw std::invalid_argument("encoder: no parameter named '" + std::string(name) + "'");
  }

  // Activation bytes of one sequence step of one batch element (input copy,
  // input projection of all steps, per-layer outputs, a gate workspace).
  int64_t bytesPerStep() const {
    const int64_t gh = int64_t{config.gates()} * config.hidden;
    return 4 * (config.features + 2 * gh + int64_t{config.layers + 1} * config.hidden);
  }

  int64_t batchFor(const EncodeOptions& o, int64_t steps) const {
    if (o.perForward > 0) return o.perForward;
    return std::max<int64_t>(1, o.memoryBudgetBytes / (steps * bytesPerStep()));
  }

  // The RNN over input [B, T, F] (any strides) from a zero state. Returns the
  // last layer's output [B, T, H], or only its last step [B, H] when
  // `lastOnly`. No ReLU yet.
  at::Tensor run(const at::Tensor& input, bool lastOnly) const {
    forwards.fetch_add(1, std::memory_order_relaxed);
    const int64_t b = input.size(0);
    at::Tensor h0 = at::zeros({config.layers, b, config.hidden}, input.options());
    if (config.arch == Arch::kLstm) {
      auto r = at::lstm(input, {h0, h0}, params, /*has_biases=*/true, config.layers,
                        /*dropout=*/0.0, /*train=*/false, /*bidirectional=*/false,
                        /*batch_first=*/true);
      return lastOnly ? std::get<1>(r).select(0, config.layers - 1) : std::get<0>(r);
    }
    auto r = at::gru(input, h0, params, true, config.layers, 0.0, false, false, true);
    return lastOnly ? std::get<1>(r).select(0, config.layers - 1) : std::get<0>(r);
  }

  // Rows [first, first + count) of the caller's buffer as a flat tensor on
  // the device: a view of the caller's memory on the CPU, a copy elsewhere.
  at::Tensor rowsOnDevice(const float* rows, int64_t first, int64_t count) const {
    const int64_t f = config.features;
    at::Tensor host = at::from_blob(const_cast<float*>(rows + first * f), {count * f},
                                    at::TensorOptions().dtype(at::kFloat));
    return device.is_cpu() ? host : host.to(device);
  }

  // Calls sink(firstInstruction, r) for consecutive groups of instructions,
  // r = [count, H] (ReLU applied, on the device), covering [0, n) in order.
  template <typename Sink>
  void exact(const float* rows, int64_t n, const EncodeOptions& o, Sink&& sink) const {
    const int64_t w = config.window, f = config.features;
    const int64_t per = batchFor(o, w);  // windows
    for (int64_t i0 = 0; i0 < n; i0 += per) {
      const int64_t b = std::min(per, n - i0);
      // Instruction i sits at row C + i; its window is rows [i, i + W).
      at::Tensor base = rowsOnDevice(rows, i0, b - 1 + w);
      at::Tensor windows = base.as_strided({b, w, f}, {f, f, 1});
      sink(i0, run(windows, /*lastOnly=*/true).relu());
    }
  }

  // Calls sink(firstChunk, r) with r = [chunks, k, H] (ReLU applied, on the
  // device) for consecutive groups of chunks covering [0, n) in order.
  template <typename Sink>
  void chunked(const float* rows, int64_t n, const EncodeOptions& o, Sink&& sink) const {
    const int64_t c = config.context(), f = config.features, k = o.chunk;
    const int64_t full = n / k, rest = n % k;
    const int64_t per = batchFor(o, c + k);  // chunks
    for (int64_t j0 = 0; j0 < full; j0 += per) {
      const int64_t b = std::min(per, full - j0);
      // Chunk j is rows [jK, jK + C + K): consecutive chunks overlap by C rows.
      at::Tensor base = rowsOnDevice(rows, j0 * k, (b - 1) * k + c + k);
      at::Tensor seqs = base.as_strided({b, c + k, f}, {k * f, f, 1});
      sink(j0, run(seqs, false).narrow(1, c, k).relu());
    }
    if (rest > 0) {
      at::Tensor base = rowsOnDevice(rows, full * k, c + rest);
      at::Tensor seq = base.view({1, c + rest, f});
      sink(full, run(seq, false).narrow(1, c, rest).relu());
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
    constexpr auto dtype = std::is_same_v<T, double> ? at::kDouble : at::kFloat;
    if (o.mode == EncodeMode::kChunked) {
      chunked(rows, n, o, [&](int64_t j0, const at::Tensor& r) {
        at::Tensor dst = at::from_blob(out.data() + j0 * h, {r.size(0), h},
                                       at::TensorOptions().dtype(dtype));
        dst.copy_(r.sum(1, /*keepdim=*/false, at::kDouble));
      });
      return;
    }
    // Exact: windows are batched regardless of chunks; add them up per chunk
    // in double on the host.
    std::vector<double> acc(out.size(), 0.0);
    exact(rows, n, o, [&](int64_t i0, const at::Tensor& r) {
      at::Tensor host = r.to(at::kCPU, at::kFloat).contiguous();
      const float* p = host.data_ptr<float>();
      for (int64_t i = 0; i < host.size(0); ++i) {
        double* s = acc.data() + ((i0 + i) / k) * h;
        for (int64_t x = 0; x < h; ++x) s[x] += p[i * h + x];
      }
    });
    std::copy(acc.begin(), acc.end(), out.begin());
  }
};

// ---------------------------------------------------------------- encoder

InstructionEncoder::InstructionEncoder(const EncoderConfig& config)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->layout = parameterLayout(config);
  for (const auto& p : impl_->layout)
    impl_->params.push_back(at::empty(p.shape, at::TensorOptions().dtype(at::kFloat)));
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
}

void InstructionEncoder::initRandom(uint64_t seed) {
  // splitmix64: a fixed, portable sequence per seed.
  uint64_t state = seed;
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  const double bound = 1.0 / std::sqrt(static_cast<double>(impl_->config.hidden));
  for (const auto& info : impl_->layout) {
    std::vector<float> v(static_cast<size_t>(info.numel()));
    for (float& x : v) {
      const double u = static_cast<double>(next() >> 11) * 0x1.0p-53;  // [0, 1)
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
  auto copyTo = [&](int64_t first, const at::Tensor& r) {
    at::Tensor dst = at::from_blob(out.data() + first * h, r.sizes(),
                                   at::TensorOptions().dtype(at::kFloat));
    dst.copy_(r);
  };
  if (options.mode == EncodeMode::kExact) {
    impl_->exact(rows, n, options, copyTo);
  } else {
    impl_->chunked(rows, n, options, [&](int64_t j0, const at::Tensor& r) {
      copyTo(j0 * options.chunk, r);
    });
  }
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

}  // namespace

void setCpuThreads(int n) {
  if (n < 1) throw std::invalid_argument("encoder: threads must be >= 1");
  at::set_num_threads(n);
  if (auto* set = blasSymbol<void(int)>("openblas_set_num_threads")) set(n);
}

int cpuThreads() { return at::get_num_threads(); }

bool cudaAvailable() { return at::hasCUDA(); }

std::string cpuBackendDescription() {
  std::ostringstream out;
  out << "torch threads " << at::get_num_threads();
  // Which BLAS, LAPACK and malloc libraries are mapped into this process.
  std::set<std::string> libs;
  std::ifstream maps("/proc/self/maps");
  bool tcmalloc = false;
  for (std::string line; std::getline(maps, line);) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("blas") != std::string::npos) libs.insert(path);
    if (path.find("tcmalloc") != std::string::npos) tcmalloc = true;
  }
  out << "; blas";
  for (const auto& l : libs) out << ' ' << l;
  if (libs.empty()) out << " (none mapped)";
  if (auto* core = blasSymbol<char*()>("openblas_get_corename")) out << "; openblas core " << core();
  if (auto* threads = blasSymbol<int()>("openblas_get_num_threads"))
    out << ", threads " << threads();
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE"))
    out << "; OPENBLAS_CORETYPE=" << forced;
  out << "; malloc " << (tcmalloc ? "tcmalloc" : "glibc");
  return out.str();
}

}  // namespace pv::encode
