// Trainer: one worker's half of PerfVec training on LibTorch. The model is
// the instruction encoder (nn.LSTM / nn.GRU parameters, the layout pv-encode
// loads) followed by ReLU, and the table M of microarchitecture
// representations: the prediction of target t on microarchitecture u for an
// instruction is R_i . M[u, t]. Trained jointly, by Adam, on the (scaled)
// per-instruction labels of every microarchitecture at once.
//
// Data parallelism: every worker computes the gradient of the loss SUM over
// its share of a global batch divided by the global batch's row count, a
// GradientReducer sums the gradients over the workers (c10d Gloo), and every
// worker applies the same update, so N workers take exactly the step one
// worker takes on the concatenated batch (up to float summation order).
//
// This header does not include LibTorch (pimpl).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/train/training_data.h"

namespace pv::train {

// A reduction failed because another worker is gone (its connection was
// reset or closed): this worker's failure is a consequence, not a cause.
class PeerLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Sums a float buffer over all workers, in place (every worker gets the sum).
// Throws PeerLost when another worker is gone.
class GradientReducer {
 public:
  virtual ~GradientReducer() = default;
  virtual void sum(float* data, int64_t count) = 0;
  // Exact sums of counts and statistics across workers (doubles).
  virtual void sumDoubles(double* data, int64_t count) = 0;
  virtual int rank() const = 0;
  virtual int world() const = 0;
};

struct TrainerConfig {
  encode::EncoderConfig encoder;
  int64_t uarchs = 1;
  int64_t targets = 1;
  std::vector<float> targetWeights;  // per target (default all 1)
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double weightDecay = 0;  // decoupled (AdamW)
  // Weight of the chunk-sum term: for every chunk (K consecutive
  // instructions of one program) and column, (sum of its rows' errors)^2 /
  // its rows. Per-instruction errors that cancel cost it nothing; a bias b
  // on every row, which adds up over the chunk as over a program's whole
  // time (what pv-eval scores), costs it b^2 a row. 0: off.
  double chunkSumWeight = 0;
  // Dropout probability P of training steps (0: off): each output of every
  // RNN layer but the last, as it enters the next layer (nn.LSTM's dropout),
  // and each element of R_i, as it meets M, is zeroed with probability P and
  // the rest scaled by 1/(1-P), so that inference (no dropout) sees the
  // expected values. The masks follow from (seed, step, worker rank), on
  // every path alike, so a run is reproducible. Validation uses none.
  double dropout = 0;
  double clipNorm = 0;     // global gradient norm limit; 0 = none
  uint64_t seed = 1;       // initial weights
  // An LSTM's gradients by autograd (at::lstm) instead of perfvec's own
  // backward pass (the reference the tests compare it with).
  bool autograd = false;
  // M >= 0: initialised in [0, 1/sqrt(H)) and projected onto M >= 0 after
  // every step (projected Adam). With R_i >= 0 (ReLU) no prediction can then
  // be negative (Model::nonNegativeUarchs).
  bool nonNegativeTable = false;
  // Where the tensors live: "cpu", or "cuda:N" where LibTorch has CUDA
  // (there the LSTM trains by autograd; perfvec's own backward pass is a
  // CPU kernel). Gradients are summed across workers through host memory.
  std::string device = "cpu";
};

// CUDA devices this LibTorch can use (0 where it has no CUDA, as Debian's).
// It initialises CUDA where there is one: call it in a worker, never in a
// process that forks workers afterwards.
int cudaDeviceCount();

struct StepResult {
  double loss = 0;          // this worker's share: its loss sum / global rows
  double gradientNorm = 0;  // global, before clipping
};

class Trainer {
 public:
  explicit Trainer(const TrainerConfig& config);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // One optimiser step on this worker's share of a global batch with
  // `globalRows` real rows. `reducer` may be null (one worker).
  StepResult step(const Batch& batch, int64_t globalRows, double learningRate, GradientReducer* reducer);
  // The mean loss on a batch, without gradients (validation).
  double loss(const Batch& batch);
  // Sum and count of the loss over a batch (to average over many batches).
  std::pair<double, int64_t> lossSum(const Batch& batch);

  // The gradients of a batch's loss sum / globalRows, by parameter (no step;
  // with dropout, under the masks the next step would draw on rank 0).
  std::vector<NamedTensor> gradients(const Batch& batch, int64_t globalRows);

  uint64_t steps() const;
  // Parameters and optimiser state for checkpoints ("param/...", "adam_m/...",
  // "adam_v/...").
  std::vector<NamedTensor> state() const;
  // Throws std::invalid_argument when a tensor is missing or misshapen.
  void loadState(const std::vector<NamedTensor>& state, uint64_t steps);

  // The encoder's parameters under nn.LSTM / nn.GRU names (pv-encode's layout).
  std::vector<NamedTensor> encoderParameters() const;
  // M: uarchs x targets x hidden, row-major, in scaled-target units.
  std::vector<float> uarchTable() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One worker, for tests and single-process runs: sums over one process.
class SingleWorker : public GradientReducer {
 public:
  void sum(float*, int64_t) override {}
  void sumDoubles(double*, int64_t) override {}
  int rank() const override { return 0; }
  int world() const override { return 1; }
};

}  // namespace pv::train
