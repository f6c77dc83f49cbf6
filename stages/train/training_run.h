// One worker's training loop: epochs of shuffled chunks, its share of every
// global batch, gradient reduction, the learning-rate schedule, validation,
// checkpoints (rank 0 writes; every worker resumes from them), progress, and
// the final model. Deterministic for a seed: a resumed run ends with the
// weights of an uninterrupted one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"
#include "stages/train/trainer.h"
#include "stages/train/training_data.h"

namespace pv::train {

struct RunOptions {
  int64_t window = 64;             // W
  int64_t chunk = 192;             // K (1: exact mode)
  int64_t batch = 64;              // chunks per global step (all workers)
  double epochs = 10;              // may be fractional
  int64_t maxSteps = 0;            // stop after this many steps in total (0: epochs decide)
  double learningRate = 2e-3;
  double finalLearningRate = 0.05; // cosine decay to this fraction of learningRate
  int64_t warmupSteps = 50;
  double validationFraction = 0.05;
  uint64_t seed = 1;
  std::string checkpoint;          // "" = none
  int64_t checkpointEvery = 200;   // steps
  double checkpointSeconds = 300;  // also after this much time
  bool progress = false;           // a progress line on stderr (rank 0)
  std::string stageName = "pv-train";
  // Called after every step with the global step and loss (tests, logs).
  std::function<void(uint64_t step, double loss)> onStep;
};

struct RunResult {
  uint64_t steps = 0;
  uint64_t resumedFrom = 0;        // 0: started fresh
  double epochs = 0;
  double firstLoss = 0, lastLoss = 0;  // mean global training loss of the first / last 10 steps
  double validationLoss = 0;
  double samplesPerSecond = 0;     // training rows per second, all workers
  double seconds = 0;
  std::vector<float> uarchTable;   // uarchs x targets x hidden, in label units (scales applied)
  std::vector<NamedTensor> encoder;
};

// What identifies a run for resuming (see schema/checkpoint.capnp).
std::string runKey(const TrainingSet& set, const TrainerConfig& config, const RunOptions& options, int world);

// Trains. `reducer` sums across workers (SingleWorker for one). Throws
// StageError on a bad checkpoint; std::invalid_argument on bad options.
RunResult runTraining(const TrainingSet& set, const TrainerConfig& config, const RunOptions& options,
                      const std::vector<double>& featureMean, const std::vector<double>& featureStd,
                      const std::vector<double>& targetScales, GradientReducer& reducer);

}  // namespace pv::train
