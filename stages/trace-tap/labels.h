// LabelBuilder: the 16 PerfVec training targets of each instruction of one
// gem5 trace, in 0.1 ns (ticks / 100), float32.
//
// Time targets are increments of a monotone frontier along the trace, so
// that a target summed over a program gives the program's total:
//
//   t      = the instruction's time of that stage (absolute ticks)
//   target = max(0, t - frontier);  frontier = max(frontier, t)
//
// with t = fetchTick for fetch; fetchTick + retireLatency for commit;
// fetchTick + sqOutLatency for store commit of a store-queue instruction
// with store timing, else its retire time; fetchTick + the decode, rename
// and dispatch latencies. Frontiers start at 0; a start line (sq_index -99)
// sets them all to its tick.
//
// Indicators (0/1): a depth d (-1 none, 0 L1, 1 L2, 2 memory) counts for
// level k when d >= k. Fetch uses the fetch depth (forced to 2 for the very
// first instruction of the trace; the Instruction keeps its raw value), load
// the data depth of a MemRead, store the data depth of a store
// (Instruction::isStore()). Mispredict is trace field 39.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/core/targets.h"
#include "stages/trace-readers/gem5_record.h"

namespace pv::gem5 {

// The targets (enum Target, targetNames()) are shared vocabulary: see
// stages/core/targets.h.


class LabelBuilder {
 public:
  // `input` names the trace in error messages.
  explicit LabelBuilder(std::string input = "labels") : input_(std::move(input)) {}

  // A start line: every frontier moves to `tick`.
  void start(uint64_t tick);

  // Writes the kTargetCount labels of the next instruction of the trace to
  // `out`. Throws StageError when the instruction carries no timing.
  void add(const Instruction& inst, float* out);

  // Labels a batch: row r goes to out + r * stride. `starts` (in stream
  // order, as Gem5TraceReader::next() reports them) are applied before the
  // instruction at their index; marks at or past the end of the batch are
  // applied after it.
  void addBatch(const InstructionBatch& batch, std::span<const StartMark> starts,
                float* out, size_t stride);

  // Instructions labelled so far.
  uint64_t instructions() const { return count_; }

 private:
  static constexpr int kTimes = 6;  // fetch .. dispatch
  std::string input_;
  std::array<int64_t, kTimes> frontier_{};
  uint64_t count_ = 0;
};

}  // namespace pv::gem5
