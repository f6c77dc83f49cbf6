// The reading side of pv-train: draws every global batch from the
// BatchStream, deals each worker its share through its work pipe, and sets
// the pace: the learning-rate schedule, validation, checkpoints, the end.
// Workers only compute. No LibTorch.
//
// A global batch of n chunks is cut the same way for any number of
// workers: worker r of N gets chunks [n r / N, n (r+1) / N). Since the
// gradients are sums divided by the global row count, N workers take the
// step one worker takes (up to float summation order).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "stages/train/training_data.h"
#include "stages/train/work_channel.h"

namespace pv::train {

struct Schedule {
  double learningRate = 2e-3;
  double finalLearningRate = 0.05;  // cosine decay to this fraction of learningRate
  int64_t warmupSteps = 50;
  // The learning rate of step `step` (0-based) of `totalSteps`: linear
  // warm-up, then cosine decay; with totalSteps 0 (a stream of unknown
  // length and no --max-steps) it stays at learningRate after the warm-up.
  double at(uint64_t step, uint64_t totalSteps) const;
};

// What the workers need to write the model: kEnd's text.
struct RunRecord {
  uint64_t instructions = 0;  // training rows drawn
  double epochs = 0;
  std::vector<std::string> programs;
  std::string text() const;
  static RunRecord parse(const std::string& text);  // throws std::runtime_error
};

struct DealOptions {
  int world = 1;                  // workers in all
  std::vector<int> localRanks;    // the ranks whose pipes these are, in order
  uint64_t totalSteps = 0;        // stop after this many (0: when the data ends)
  uint64_t startStep = 0;         // steps a resumed run has done: replayed, not sent
  Schedule schedule;
  uint64_t validateEvery = 0;     // steps (0: at the end only)
  bool checkpoints = false;
  uint64_t checkpointEvery = 200; // steps
  double checkpointSeconds = 300; // also after this much time
  WaitCheck check;                // called while a pipe is full: a dead worker throws
  // Called after every global batch is dealt (progress, tests).
  std::function<void(uint64_t stepsDone)> onStep;
};

struct DealResult {
  uint64_t steps = 0;  // steps done in all (with the resumed ones)
  RunRecord record;
};

// A worker's pipe was closed: the worker ended. `pipe` is its index in the
// pipes given to deal().
class WorkerGone : public std::runtime_error {
 public:
  WorkerGone(size_t pipe, const std::string& what) : std::runtime_error(what), pipe_(pipe) {}
  size_t pipe() const { return pipe_; }

 private:
  size_t pipe_;
};

// Deals until totalSteps or the end of the data, then sends kEnd to every
// worker. `pipes[i]` is the write end for localRanks[i]. Throws what the
// BatchStream throws (StageError naming an input) and std::runtime_error
// (WorkerGone) when a pipe closes.
DealResult deal(BatchStream& batches, const std::vector<std::string>& programNames, const DealOptions& options,
                const std::vector<int>& pipes);

// The chunks of worker `rank` of `world` in a global batch of `count`.
inline std::pair<int64_t, int64_t> shareOf(int64_t count, int rank, int world) {
  return {count * rank / world, count * (rank + 1) / world};
}

}  // namespace pv::train
