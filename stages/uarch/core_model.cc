// CoreModel: per-instruction event times and labels.

#include "stages/uarch/core_model.h"

#include <algorithm>

namespace pv::uarch {

namespace {
enum Target : int {
  kFetch = 0,
  kCommit,
  kStoreCommit,
  kDecode,
  kRename,
  kDispatch,
  kL1Fetch,
  kL1Load,
  kL1Store,
  kL2Fetch,
  kL2Load,
  kL2Store,
  kMemFetch,
  kMemLoad,
  kMemStore,
  kMispredict,
};
constexpr size_t kStoreWords = 1024;
}  // namespace

uint16_t registerSlot(RegId reg) {
  if (reg.regClass < 6 && reg.index < 64) return uint16_t(reg.regClass * 64 + reg.index);
  const uint32_t h = (uint32_t(reg.regClass) * 0x9e3779b1u) ^ (uint32_t(reg.index) * 0x85ebca6bu);
  return uint16_t(384 + ((h >> 16) & 127));
}

DecodedInstruction decode(const Instruction& inst) {
  using D = DecodedInstruction;
  D d;
  d.pc = inst.pc;
  d.addr = inst.dataAddr;
  d.opClass = uint8_t(inst.opClass < kOpClassCount ? inst.opClass : 0);
  const bool memoryRead = inst.opClass == uint16_t(OpClass::kMemRead) ||
                          inst.opClass == uint16_t(OpClass::kFloatMemRead);
  const bool memoryWrite = inst.isStore() || inst.opClass == uint16_t(OpClass::kFloatMemWrite);
  // Without a valid address a memory instruction has nothing to access; it
  // is timed as an operation of its class.
  if (inst.effAddrValid && memoryRead) d.kind |= D::kLoad;
  else if (inst.effAddrValid && memoryWrite) d.kind |= D::kStore;
  if (inst.has(kFlagCondCtrl) || inst.has(kFlagUncondCtrl)) {
    d.kind |= D::kControl;
    if (inst.has(kFlagCondCtrl)) d.kind |= D::kConditional;
    if (inst.has(kFlagDirectCtrl)) d.kind |= D::kDirect;
    if (inst.branching || !inst.has(kFlagCondCtrl)) d.kind |= D::kTaken;
  }
  if (inst.has(kFlagSerializeBefore) || inst.has(kFlagReadBarrier) || inst.has(kFlagWriteBarrier))
    d.kind |= D::kSerializeBefore;
  if (inst.has(kFlagSerializeAfter)) d.kind |= D::kSerializeAfter;
  if (inst.has(kFlagSquashAfter)) d.kind |= D::kSquashAfter;
  d.srcCount = std::min<uint8_t>(inst.srcCount, kMaxSrcRegs);
  d.dstCount = std::min<uint8_t>(inst.dstCount, kMaxDstRegs);
  for (int i = 0; i < d.srcCount; ++i) d.src[i] = registerSlot(inst.src[i]);
  for (int i = 0; i < d.dstCount; ++i) d.dst[i] = registerSlot(inst.dst[i]);
  return d;
}

CoreModel::CoreModel(const UarchConfig& config)
    : config_(config),
      memory_(config),
      predictor_(config.branch),
      btb_(config.branch),
      cycleToTenthNs_(float(config.periodPs()) / 100.0f),
      inOrder_(config.core.kind == CoreKind::kInOrder),
      calendar_(kCalendarSize),
      regReady_(kRegisterSlots, 0),
      robCommit_(config.core.rob, -1),
      fetchBufferOut_(config.core.fetchBuffer, -1),
      loadQueueOut_(config.core.loadQueue, -1),
      storeQueueOut_(config.core.storeQueue, -1),
      storeWords_(kStoreWords) {
  const auto& c = config.core;
  fetchLimit_.width = c.fetchWidth;
  decodeLimit_.width = c.decodeWidth;
  renameLimit_.width = c.renameWidth;
  dispatchLimit_.width = c.dispatchWidth;
  commitLimit_.width = c.commitWidth;
  for (int op = 0; op < kOpClassCount; ++op) pool_[op] = poolOf(uint16_t(op));
  for (int p = 0; p < kPoolCount; ++p)
    if (!poolIsPipelined(FuPool(p))) unitFree_[p].assign(config.units[p], 0);
  iqHeap_.reserve(c.issueQueue);
}

void CoreModel::run(const DecodedInstruction* insts, size_t count, float* labels, size_t stride) {
  for (size_t r = 0; r < count; ++r) step(insts[r], labels + r * stride);
}

void CoreModel::iqInsert(int64_t issue, bool replaceOldest) {
  // A min-heap of issue cycles. When the queue is full the earliest-issuing
  // entry made room for this one: overwrite it and sift down once.
  std::vector<int64_t>& h = iqHeap_;
  if (!replaceOldest) {
    h.push_back(issue);
    std::push_heap(h.begin(), h.end(), std::greater<>());
    return;
  }
  const size_t n = h.size();
  size_t at = 0;
  for (;;) {
    size_t child = 2 * at + 1;
    if (child >= n) break;
    if (child + 1 < n && h[child + 1] < h[child]) ++child;
    if (h[child] >= issue) break;
    h[at] = h[child];
    at = child;
  }
  h[at] = issue;
}

int64_t CoreModel::issueSlot(int64_t t, FuPool pool, uint32_t latency) {
  const bool pipelined = unitFree_[pool].empty();
  int64_t* unit = nullptr;
  if (!pipelined) {
    unit = &*std::min_element(unitFree_[pool].begin(), unitFree_[pool].end());
    t = std::max(t, *unit);
  }
  const uint32_t issueWidth = config_.core.issueWidth;
  const uint32_t units = config_.units[pool];
  for (;;) {
    CalendarSlot& s = calendar_[size_t(t) & (kCalendarSize - 1)];
    if (s.cycle != t) {
      s.cycle = t;
      s.issued = 0;
      s.pool.fill(0);
    }
    if (s.issued < issueWidth && s.pool[pool] < units) {
      ++s.issued;
      ++s.pool[pool];
      break;
    }
    ++t;
  }
  if (unit) *unit = t + latency;
  return t;
}

void CoreModel::step(const DecodedInstruction& in, float* out) {
  using D = DecodedInstruction;
  const CoreConfig& core = config_.core;
  const uint64_t seq = stats_.instructions;
  out[kMispredict] = 0.0f;

  // The previous taken branch's target is this pc.
  if (pending_.active) {
    if (pending_.checkTarget && pending_.predictedTarget != in.pc) {
      ++stats_.mispredicts;
      *pending_.mispredictLabel = 1.0f;
      redirect_ = std::max({redirect_, pending_.fetch + int64_t(config_.branch.mispredictPenalty),
                            pending_.resolve + 1});
    }
    btb_.update(pending_.pc, in.pc);
    pending_.active = false;
  }

  // Fetch.
  int64_t t = std::max(fetchCursor_, redirect_);
  if (seq >= core.fetchBuffer) t = std::max(t, fetchBufferOut_[seq % core.fetchBuffer]);
  const uint64_t line = in.pc / kLineBytes;
  int8_t fetchLevel = kLevelL1;
  if (line != lastFetchLine_) {
    const int64_t ready = memory_.fetch(in.pc, t, fetchLevel);
    // Hits are pipelined: only the time beyond a hit stalls fetch.
    t = std::max(t, ready - int64_t(memory_.l1iLatency()));
    lastFetchLine_ = line;
  }
  const int64_t fetch = fetchLimit_.take(t);
  fetchCursor_ = (in.kind & D::kTaken) ? fetch + 1 : fetch;

  const int64_t decode = decodeLimit_.take(fetch + core.fetchToDecode);
  const int64_t rename = renameLimit_.take(decode + core.decodeToRename);

  // Dispatch: a ROB, issue-queue and load/store-queue entry.
  const bool isLoad = in.kind & D::kLoad, isStore = in.kind & D::kStore;
  int64_t d = std::max(rename + int64_t(core.renameToDispatch), serializeFence_);
  if (seq >= core.rob) d = std::max(d, robCommit_[seq % core.rob] + 1);
  if (isLoad && stats_.loads >= core.loadQueue)
    d = std::max(d, loadQueueOut_[stats_.loads % core.loadQueue] + 1);
  if (isStore && stats_.stores >= core.storeQueue)
    d = std::max(d, storeQueueOut_[stats_.stores % core.storeQueue] + 1);
  if (in.kind & D::kSerializeBefore) d = std::max(d, lastCommit_ + 1);
  // A full issue queue frees its entry that issues first.
  const bool iqFull = iqHeap_.size() >= core.issueQueue;
  if (iqFull) d = std::max(d, iqHeap_.front());
  const int64_t dispatch = dispatchLimit_.take(d);
  fetchBufferOut_[seq % core.fetchBuffer] = dispatch;

  // Issue.
  int64_t ready = dispatch + core.dispatchToIssue;
  for (int i = 0; i < in.srcCount; ++i) ready = std::max(ready, regReady_[in.src[i]]);
  if (inOrder_) ready = std::max(ready, lastIssue_);
  const FuPool pool = FuPool(pool_[in.opClass]);
  const uint32_t latency = config_.latency[in.opClass];
  StoreWord* older = nullptr;
  if (isLoad) {
    StoreWord& w = storeWords_[(in.addr >> 3) % kStoreWords];
    if (w.word == (in.addr >> 3)) {
      older = &w;
      // A load after a store to its word needs the store's data.
      ready = std::max(ready, w.dataReady);
    }
  }
  const int64_t issue = issueSlot(ready, pool, latency);
  lastIssue_ = issue;
  iqInsert(issue, iqFull);

  // Execute.
  int64_t complete = issue + latency;
  int8_t dataLevel = -1;
  if (isLoad) {
    ++stats_.loads;
    if (older && older->written > complete) {
      ++stats_.forwardedLoads;  // from the store queue, at L1 speed, no cache access
      complete += memory_.l1dLatency();
    } else {
      complete = memory_.load(in.addr, in.pc, complete, dataLevel);
    }
  }
  for (int i = 0; i < in.dstCount; ++i) regReady_[in.dst[i]] = complete;

  // Commit.
  const int64_t commit = commitLimit_.take(std::max(complete + int64_t(core.completeToCommit), lastCommit_));
  lastCommit_ = commit;
  robCommit_[seq % core.rob] = commit;
  if (isLoad) loadQueueOut_[(stats_.loads - 1) % core.loadQueue] = commit;
  int64_t storeDone = commit;
  if (isStore) {
    const int64_t start = std::max(commit + 1, lastStoreWrite_ + 1);
    lastStoreWrite_ = start;
    storeDone = memory_.store(in.addr, in.pc, start, dataLevel);
    storeQueueOut_[stats_.stores % core.storeQueue] = storeDone;
    ++stats_.stores;
    StoreWord& w = storeWords_[(in.addr >> 3) % kStoreWords];
    w = StoreWord{in.addr >> 3, complete, storeDone};
    stats_.storeCycles = std::max(stats_.storeCycles, storeDone);
  }
  if (in.kind & D::kSerializeAfter) serializeFence_ = commit + 1;
  if (in.kind & D::kSquashAfter) redirect_ = std::max(redirect_, commit + 1);

  // Branches.
  if (in.kind & D::kControl) {
    ++stats_.branches;
    const bool taken = in.kind & D::kTaken;
    bool predictedTaken = true;
    if (in.kind & D::kConditional) {
      ++stats_.conditionalBranches;
      predictedTaken = predictor_.predictAndUpdate(in.pc, taken);
    }
    const bool directionMiss = predictedTaken != taken;
    if (directionMiss) {
      ++stats_.mispredicts;
      ++stats_.directionMispredicts;
      out[kMispredict] = 1.0f;
      redirect_ = std::max({redirect_, fetch + int64_t(config_.branch.mispredictPenalty), complete + 1});
    }
    if (taken) {
      uint64_t target = 0;
      const bool hit = btb_.lookup(in.pc, target);
      if (!hit) ++stats_.btbMisses;
      if (!hit && !directionMiss) {
        if (in.kind & D::kDirect) {
          redirect_ = std::max(redirect_, decode + 1);  // the decoder computes the target
        } else {
          ++stats_.mispredicts;
          out[kMispredict] = 1.0f;
          redirect_ = std::max({redirect_, fetch + int64_t(config_.branch.mispredictPenalty), complete + 1});
        }
      }
      // The BTB learns the target from the next pc; a predicted target is
      // checked then.
      pending_ = PendingBranch{true, hit && !directionMiss, in.pc, target, fetch, complete,
                               out + kMispredict};
    }
  }

  // Labels.
  const int64_t times[6] = {fetch, commit, storeDone, decode, rename, dispatch};
  for (int i = 0; i < 6; ++i) {
    const int64_t delta = times[i] - frontier_[i];
    out[i] = delta > 0 ? float(delta) * cycleToTenthNs_ : 0.0f;
    frontier_[i] = std::max(frontier_[i], times[i]);
  }
  // The first fetch counts from cycle 0 like every later one.
  const int fetchDepth = std::min<int>(fetchLevel, 2);
  const int loadDepth = isLoad ? std::min<int>(dataLevel, 2) : -1;
  const int storeDepth = isStore ? std::min<int>(dataLevel, 2) : -1;
  for (int level = 0; level < 3; ++level) {
    out[kL1Fetch + 3 * level] = fetchDepth >= level ? 1.0f : 0.0f;
    out[kL1Load + 3 * level] = loadDepth >= level ? 1.0f : 0.0f;
    out[kL1Store + 3 * level] = storeDepth >= level ? 1.0f : 0.0f;
  }
  ++stats_.instructions;
  stats_.cycles = lastCommit_;
}

}  // namespace pv::uarch
