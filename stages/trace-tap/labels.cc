// LabelBuilder: frontier increments and cache-level indicators.
#include "stages/trace-tap/labels.h"

#include <algorithm>

#include "stages/core/stage_error.h"

namespace pv::gem5 {

void LabelBuilder::start(uint64_t tick) {
  frontier_.fill(static_cast<int64_t>(tick));
}

void LabelBuilder::add(const Instruction& inst, float* out) {
  if (!inst.hasTiming) [[unlikely]] {
    throw StageError(input_, "instruction " + std::to_string(count_),
                     "no timing: labels need a trace with timing fields");
  }
  const Timing& t = inst.timing;
  const int64_t fetch = static_cast<int64_t>(t.fetchTick);
  const int64_t retire = fetch + t.retireLatency;
  const int64_t storeCommit =
      inst.isStoreQueueEntry() && t.hasStoreTiming ? fetch + t.sqOutLatency
                                                   : retire;
  const std::array<int64_t, kTimes> times = {
      fetch,
      retire,
      storeCommit,
      fetch + t.decodeLatency,
      fetch + t.renameLatency,
      fetch + t.dispatchLatency,
  };
  static constexpr int kSlot[kTimes] = {kTargetFetch,  kTargetCommit,
                                        kTargetStoreCommit, kTargetDecode,
                                        kTargetRename, kTargetDispatch};
  for (int i = 0; i < kTimes; ++i) {
    const int64_t delta = times[i] - frontier_[i];
    out[kSlot[i]] = delta > 0 ? static_cast<float>(static_cast<double>(delta) / 100.0)
                              : 0.0f;
    frontier_[i] = std::max(frontier_[i], times[i]);
  }

  const int fetchDepth = count_ == 0 ? 2 : inst.fetchDepth;
  const int loadDepth = inst.isLoad() ? inst.dataDepth : -1;
  const int storeDepth = inst.isStore() ? inst.dataDepth : -1;
  for (int level = 0; level < 3; ++level) {
    out[kTargetL1Fetch + 3 * level] = fetchDepth >= level ? 1.0f : 0.0f;
    out[kTargetL1Load + 3 * level] = loadDepth >= level ? 1.0f : 0.0f;
    out[kTargetL1Store + 3 * level] = storeDepth >= level ? 1.0f : 0.0f;
  }
  out[kTargetMispredict] = inst.mispredicted ? 1.0f : 0.0f;
  ++count_;
}

void LabelBuilder::addBatch(const InstructionBatch& batch,
                            std::span<const StartMark> starts, float* out,
                            size_t stride) {
  size_t s = 0;
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    const uint64_t index = batch.firstIndex + r;
    while (s < starts.size() && starts[s].index <= index) start(starts[s++].tick);
    add(batch.rows[r], out + r * stride);
  }
  while (s < starts.size()) start(starts[s++].tick);
}

}  // namespace pv::gem5
