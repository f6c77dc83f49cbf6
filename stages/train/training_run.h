// One worker's side of a training run: it reads work records from its pipe
// (dealer.h), trains on its share of every global batch, sums gradients and
// losses with the other workers, validates, and (rank 0) writes checkpoints
// and prints progress. Resumes from the checkpoint when there is one of the
// same run: with the batches replayed by the dealer, a resumed run ends with
// the weights of an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"
#include "stages/train/dealer.h"
#include "stages/train/trainer.h"
#include "stages/train/training_data.h"

namespace pv::train {

struct WorkerOptions {
  int64_t window = 64;             // W
  int64_t chunk = 192;             // K (1: exact mode)
  DataStatistics statistics;       // normalisation (the same in every worker)
  std::vector<float> programWeights;  // programs x uarchs loss weights (--relative-loss); empty: none
  std::string runKey;              // see runKey()
  std::string checkpoint;          // "" = none
  uint64_t totalSteps = 0;         // for progress (0: unknown)
  bool progress = false;           // a progress line on stderr (rank 0)
  std::string stageName = "pv-train";
  // Ranks that read their own streams: a step record's row count and the
  // end record's instructions and epochs are this rank's, summed here
  // across the ranks (without it they are the global batch's already).
  bool rowsPerRank = false;
  // Called once the workers agree on the step they start at (a checkpoint's,
  // or 0), before the first record is read.
  std::function<void(uint64_t startStep)> onStart;
  // Called after every step with the global step and loss (tests, logs).
  std::function<void(uint64_t step, double loss)> onStep;
};

struct RunResult {
  uint64_t steps = 0;
  uint64_t resumedFrom = 0;        // 0: started fresh
  double firstLoss = 0, lastLoss = 0;  // mean global training loss of the first / last 10 steps
  double validationLoss = 0;
  double samplesPerSecond = 0;     // training rows per second, all workers
  double seconds = 0;
  std::vector<float> uarchTable;   // uarchs x targets x hidden, in label units (scales applied)
  std::vector<NamedTensor> encoder;
  RunRecord record;                // from the dealer's end record
};

// What identifies a run for resuming (see schema/checkpoint.capnp): the
// model, the options that shape the batches and the schedule, the names,
// and the data (programs, their sizes and the normalisation statistics).
struct RunIdentity {
  std::vector<std::string> programs;
  std::vector<int64_t> programRows;  // empty for live streams
  std::vector<std::string> validationPrograms;
  DataLayout layout;
  DataStatistics statistics;
  int64_t window = 0, chunk = 0, batch = 0;
  uint64_t totalSteps = 0, dataSeed = 0;
  double epochs = 0, validationFraction = 0;
  double relativeLoss = 0;  // --relative-loss's power (0: off)
  size_t shuffleChunks = 0, validationChunks = 0;
  Schedule schedule;
  int world = 1;
};
std::string runKey(const RunIdentity& identity, const TrainerConfig& config);

// The steps a checkpoint holds when it is of this run; 0 when there is none;
// throws StageError when it belongs to another run.
uint64_t checkpointStep(const std::string& checkpoint, const std::string& runKey);

// Trains until the end record. `reducer` sums across workers (SingleWorker
// for one). Throws StageError on a bad checkpoint, std::runtime_error when
// the pipe breaks.
RunResult runWorker(int workFd, const TrainerConfig& config, const WorkerOptions& options, GradientReducer& reducer);

}  // namespace pv::train
