// InstructionEncoder: PerfVec's instruction representation model, the LibTorch
// core of pv-encode (../../shared/reference/perfvec-facts.md, "Default model").
//
// Model: rows of F normalised features; an LSTM (or GRU), batch-first, hidden
// H, L layers, over a window of the last W rows (the instruction itself
// last); ReLU on the last layer's output; the output at the window's last
// step is the instruction's representation R_i (H floats). Parameters carry
// nn.LSTM / nn.GRU's own names and layouts (weight_ih_l0 [G*H, F],
// weight_hh_l0 [G*H, H], bias_ih_l0 [G*H], bias_hh_l0 [G*H], ... with gate
// blocks i,f,g,o for the LSTM (G = 4) and r,z,n for the GRU (G = 3)), so a
// PyTorch state dict maps onto them one to one.
//
// Input layout of every encode call. `rows` is a row-major float32 matrix of
// context() + n rows, F floats each, already normalised (FeatureNormaliser):
//   rows [0, C)        the C = W - 1 rows before the first instruction (the
//                      previous call's last C rows; zeros at stream start,
//                      i.e. zeros in normalised space, as PerfVec pads)
//   rows [C, C + n)    the n instructions to encode, in order
// The n instructions are split into chunks of K rows (the last may be
// shorter); chunk j holds instructions [jK, min(n, (j+1)K)) and its context is
// the C rows before it. Callers keep no state between calls: to continue a
// stream, pass the last C rows of this call's buffer as the next call's
// context, and pass a multiple of K instructions to every call but the
// stream's last (chunks restart at every call, so this makes the chunking, and
// in kChunked mode the results, independent of how the stream is cut into
// calls). The buffer is only read, never copied per window: forward inputs
// are strided views over it.
//
// Modes:
//   kExact    PerfVec's semantics: R_i from a fresh window of the last W rows
//             (zero initial state), one window per instruction; windows are
//             batched many per forward call. Cost ~W times kChunked.
//   kChunked  the RNN runs once over a chunk's C + K rows (zero initial
//             state); the outputs at the last K steps are the K R_i. Each
//             instruction sees between W and W + K - 1 rows of history.
//             With K = 1 this is kExact. Chunks are batched many per forward.
//
// Results do not depend on how many chunks or windows a forward call batches
// (up to float rounding in the BLAS kernels, ~1e-6 relative).
//
// Speed (CPU): perfvec's own kernel runs the recurrence in place over time
// blocks (one GEMM per block for the input projection, one per step for
// W_hh h, LibTorch's vectorised sigmoid/tanh; nothing allocated per step) and
// splits a forward's sequences over the LibTorch threads, each with one BLAS
// thread. GEMMs are only efficient with many sequences per forward: pass at
// least ~32 chunks (or windows) per thread to each call; a call with one
// chunk runs ~10x slower per instruction. Numbers: bench/encode.
//
// Threads and devices: the thread count is process-wide (setCpuThreads;
// LibTorch's default here is 1). CUDA is used only when LibTorch was built
// with it (cudaAvailable(); Debian's libtorch-dev is CPU only); setDevice
// throws std::runtime_error otherwise. On CUDA the encoder runs at::lstm /
// at::gru (cuDNN).
//
// Errors: bad shapes, names or sizes throw std::invalid_argument; none of the
// calls print. This header does not include LibTorch (pimpl), so users of the
// encoder compile without its headers. An encoder may be used from one
// thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pv::encode {

enum class Arch { kLstm, kGru };

// "lstm" / "gru".
std::string_view archName(Arch arch);
// Inverse of archName; nullopt for anything else.
std::optional<Arch> parseArch(std::string_view name);

// Hyper-parameters. Defaults: PerfVec's LSTM-2-256 over 256 instructions.
struct EncoderConfig {
  Arch arch = Arch::kLstm;
  int features = 51;  // F
  int hidden = 256;   // H: the width of R_i
  int layers = 2;     // L
  int window = 256;   // W: instructions per window, the instruction included

  // C = W - 1: context rows before the first instruction of a call.
  int context() const { return window - 1; }
  // Gate blocks per weight matrix: 4 (LSTM) or 3 (GRU).
  int gates() const { return arch == Arch::kLstm ? 4 : 3; }
  // Throws std::invalid_argument unless every value is >= 1.
  void validate() const;
};

// One named parameter: its nn.LSTM / nn.GRU name and shape.
struct ParameterInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numel() const;
};

// The parameters `config` has, in nn.LSTM's order (weight_ih_l0,
// weight_hh_l0, bias_ih_l0, bias_hh_l0, then layer 1, ...).
std::vector<ParameterInfo> parameterLayout(const EncoderConfig& config);

enum class EncodeMode { kExact, kChunked };

// "exact" / "chunked"; parseEncodeMode returns nullopt for anything else.
std::string_view encodeModeName(EncodeMode mode);
std::optional<EncodeMode> parseEncodeMode(std::string_view name);

struct EncodeOptions {
  EncodeMode mode = EncodeMode::kChunked;
  // K: instructions per chunk (>= 1). Per-chunk sums are per K instructions
  // in both modes; in kChunked mode K also sets how much history is shared.
  int64_t chunk = 4096;
  // Forward batching. kChunked: chunks per forward call; kExact: windows per
  // forward call. 0 = as many as fit in memoryBudgetBytes of activations.
  int64_t perForward = 0;
  // Activation memory one forward call may use when perForward is 0.
  int64_t memoryBudgetBytes = int64_t{256} << 20;
  // Run LibTorch's at::lstm / at::gru instead of perfvec's CPU kernel (always
  // so on CUDA). Same results to float rounding; on the CPU ~3x slower,
  // allocation-bound (see bench_encode) and memory ~ every step of a chunk.
  bool atenRnn = false;
};

class InstructionEncoder {
 public:
  // Parameters start as initRandom(0). Throws std::invalid_argument on a bad
  // config.
  explicit InstructionEncoder(const EncoderConfig& config);
  ~InstructionEncoder();
  InstructionEncoder(InstructionEncoder&&) noexcept;
  InstructionEncoder& operator=(InstructionEncoder&&) noexcept;
  InstructionEncoder(const InstructionEncoder&) = delete;
  InstructionEncoder& operator=(const InstructionEncoder&) = delete;

  const EncoderConfig& config() const;

  // --- Parameters (flat float32, row-major in the shape parameters() says).
  std::vector<ParameterInfo> parameters() const;
  // Throws std::invalid_argument for an unknown name.
  std::vector<float> parameter(std::string_view name) const;
  // Throws std::invalid_argument for an unknown name or a size other than
  // the parameter's numel().
  void setParameter(std::string_view name, std::span<const float> values);
  // Deterministic for a seed on every platform (own generator, not
  // LibTorch's): every parameter uniform in [-1/sqrt(H), 1/sqrt(H)), like
  // PyTorch's default RNN initialisation.
  void initRandom(uint64_t seed);

  // --- Device.
  // "cpu" (default), "cuda" or "cuda:N". Moves the parameters. Throws
  // std::runtime_error when CUDA is asked for and LibTorch has none, and
  // std::invalid_argument for anything else.
  void setDevice(const std::string& device);
  std::string device() const;

  // --- Encoding. `rows` holds context() + n rows (see the top of this file).
  // Number of chunks n instructions make: ceil(n / K).
  static int64_t chunkCount(int64_t n, int64_t chunk);

  // Per-chunk sums of R_i: sums[j * H + h] = sum over chunk j's instructions
  // of R_i[h]; `sums` has chunkCount(n, K) * H entries (overwritten).
  void encodeSums(const float* rows, int64_t n, const EncodeOptions& options,
                  std::span<double> sums) const;
  void encodeSums(const float* rows, int64_t n, const EncodeOptions& options,
                  std::span<float> sums) const;
  // Every R_i: out[i * H + h]; `out` has n * H entries (overwritten).
  void encodeEach(const float* rows, int64_t n, const EncodeOptions& options,
                  std::span<float> out) const;

  // Chunks (kChunked) or windows (kExact) one forward call batches under
  // `options`: perForward, or what fits in memoryBudgetBytes (at least 1).
  // A call with that many chunks (windows) makes exactly one forward call.
  int64_t forwardBatch(const EncodeOptions& options) const;

  // Forward calls made so far (for tests and statistics).
  int64_t forwardCalls() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Per-feature normalisation (x - mean) / std, a standard deviation of 0
// replaced by 1. Computed in double, stored as float. Plain C++.
class FeatureNormaliser {
 public:
  FeatureNormaliser() = default;
  // Throws std::invalid_argument when the sizes differ, or a value is not
  // finite, or a deviation is negative.
  FeatureNormaliser(std::vector<double> mean, std::vector<double> stddev);

  int features() const { return static_cast<int>(mean_.size()); }
  // Normalises n rows of features() floats in place.
  void apply(float* rows, int64_t n) const;

 private:
  std::vector<double> mean_;
  std::vector<double> scale_;  // the divisor: std, or 1 where std == 0
};

// --- Process-wide CPU settings (LibTorch and the BLAS it loaded).

// Sets LibTorch's intra-op threads (at::set_num_threads) to n >= 1 and
// OpenBLAS's own pool to 1 thread: the encoder parallelises over sequences,
// one BLAS thread per worker (two thread pools spinning against each other
// on a shared machine cost up to 10x). The first CPU forward also sets
// OpenBLAS to 1 thread.
void setCpuThreads(int n);
// The CPUs this process may run on (sched_getaffinity): the thread count a
// stage should default to.
int availableCpus();
// LibTorch's intra-op thread count.
int cpuThreads();
// True when LibTorch has a usable CUDA device.
bool cudaAvailable();
// What the CPU encoder runs on; the things that change its speed.
struct CpuBackend {
  int threads = 1;               // LibTorch intra-op threads
  std::string blasLibrary;       // the file providing sgemm_ to this process
  bool openBlas = false;         // blasLibrary is OpenBLAS
  std::string openBlasCore;      // the kernels OpenBLAS picked ("Cooperlake", ...)
  int openBlasThreads = 0;       // OpenBLAS's own pool
  std::string openBlasCoreType;  // $OPENBLAS_CORETYPE when set
  std::string mallocLibrary;     // the file providing malloc (libc, tcmalloc)

  // One line: "threads 2; sgemm from ... (OpenBLAS core ..., 1 thread); ...".
  std::string describe() const;
  // Settings known to make encoding much slower, as messages for a user
  // (a reference BLAS instead of OpenBLAS; OPENBLAS_CORETYPE set).
  std::vector<std::string> warnings() const;
};
CpuBackend cpuBackend();

// OpenBLAS (Debian's 0.3.21) maps a 128 MiB work buffer for every thread
// inside a BLAS call at the same time, keeps it for later calls, and when
// that mmap fails it retries forever: under a memory limit (pv-launch
// memory_limit is RLIMIT_DATA) an encoder would hang, not fail. Call once
// the thread count is set (setCpuThreads). With a finite RLIMIT_DATA it
// checks that a buffer for each thread (and 32 MiB) fits beside what
// the process already uses (else throws std::runtime_error starting "out
// of memory:"), then has every thread call sgemm at once, so the buffers
// are mapped before tensors can take the room. Without a limit it does
// nothing.
void reserveBlasBuffers();

// OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded (before main):
// a forced core type picks older kernels (encoding 1.5x slower measured on
// this project's machines, docs/user-guide.md). Executables that encode call
// this first thing in main: when the variable is set and
// PV_KEEP_OPENBLAS_CORETYPE is not, it removes it and runs the program again
// (execv /proc/self/exe with the same arguments). Returns only when nothing
// was to be done (also for --help, -h and --version, which encode nothing)
// or the exec failed (then the forced kernels stay: slower, same results).
void reexecWithoutForcedOpenBlasCore(char** argv);

}  // namespace pv::encode
