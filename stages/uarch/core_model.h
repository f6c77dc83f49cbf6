// CoreModel: the trace-driven timing model of one microarchitecture. It
// takes committed instructions in program order and computes, per
// instruction, the cycle of each pipeline event:
//
//   fetch     after the previous fetch (fetch_width per cycle, a taken
//             branch ends the fetch group), an L1I miss stall, a redirect
//             (misprediction, BTB miss, squash), and a full fetch buffer
//   decode, rename, dispatch
//             the previous stage + its delay, width per cycle; dispatch also
//             waits for a ROB, issue-queue, load- or store-queue entry and
//             for serialising instructions
//   issue     operands ready (register scoreboard over srcRegs/dstRegs;
//             loads wait for an older store to the same word), a free
//             functional unit of the op class's pool, issue_width per cycle;
//             in order on in-order cores
//   complete  issue + the op class latency; loads add the data cache
//   commit    in order, after completion, commit_width per cycle
//   store     stores write the L1D after commit, one per cycle in order,
//             and hold their store-queue entry until written
//
// and from them the 16 PerfVec targets (stages/trace-tap/labels.h: time
// targets are increments of monotone frontiers in 0.1 ns). Caches and
// predictors are updated in program order. No I/O, no allocation per
// instruction: rings and calendars are sized at construction.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/uarch/branch_predictor.h"
#include "stages/uarch/memory_system.h"
#include "stages/model-lib/uarch_config.h"

namespace pv::uarch {

// What the model needs of an instruction, decoded once per batch and shared
// by all configurations.
struct DecodedInstruction {
  enum Kind : uint16_t {
    kLoad = 1 << 0,
    kStore = 1 << 1,
    kControl = 1 << 2,
    kConditional = 1 << 3,
    kDirect = 1 << 4,
    kTaken = 1 << 5,
    kSerializeBefore = 1 << 6,
    kSerializeAfter = 1 << 7,
    kSquashAfter = 1 << 8,
  };
  uint64_t pc = 0;
  uint64_t addr = 0;
  uint16_t kind = 0;
  uint8_t opClass = 0;  // < kOpClassCount
  uint8_t srcCount = 0, dstCount = 0;
  std::array<uint16_t, kMaxSrcRegs> src{};  // register slots (registerSlot())
  std::array<uint16_t, kMaxDstRegs> dst{};
};

inline constexpr uint16_t kRegisterSlots = 512;
// A register's slot in the scoreboard: classes 0-5 with index < 64 get
// their own; the rest (misc registers, large indices) share 128 hashed ones.
uint16_t registerSlot(RegId reg);
DecodedInstruction decode(const Instruction& inst);

struct CoreStats {
  uint64_t instructions = 0;
  uint64_t loads = 0, stores = 0;
  uint64_t branches = 0, conditionalBranches = 0;
  uint64_t mispredicts = 0;          // direction or target (full redirect)
  uint64_t directionMispredicts = 0;
  uint64_t btbMisses = 0;            // taken branches the BTB did not know
  uint64_t forwardedLoads = 0;       // served by an older store
  int64_t cycles = 0;                // last commit cycle
  int64_t storeCycles = 0;           // last store write
};

class CoreModel {
 public:
  static constexpr int kTargets = 16;
  explicit CoreModel(const UarchConfig& config);

  // Simulates `count` instructions; instruction r's kTargets labels go to
  // labels + r * stride. The mispredict label of the last instruction may
  // still be set by the next call (a taken branch's target is only known
  // from the next instruction's pc), so its row must stay writable until
  // then.
  void run(const DecodedInstruction* insts, size_t count, float* labels, size_t stride);

  const CoreStats& stats() const { return stats_; }
  const MemoryStats& memoryStats() const { return memory_.stats(); }
  const UarchConfig& config() const { return config_; }

 private:
  // In-order event times with `width` events per cycle.
  struct WidthLimiter {
    int64_t cycle = -1;
    uint32_t used = 0;
    uint32_t width = 1;
    int64_t take(int64_t t) {
      if (t > cycle) {
        cycle = t;
        used = 1;
      } else if (used < width) {
        ++used;
      } else {
        ++cycle;
        used = 1;
      }
      return cycle;
    }
  };
  // Issue slots and pipelined units per cycle, over a window of cycles.
  struct CalendarSlot {
    int64_t cycle = -1;
    uint8_t issued = 0;
    std::array<uint8_t, kPoolCount> pool{};
  };
  static constexpr size_t kCalendarSize = 4096;

  void step(const DecodedInstruction& inst, float* out);
  int64_t issueSlot(int64_t ready, FuPool pool, uint32_t latency);
  void iqInsert(int64_t issue, bool replaceOldest);

  UarchConfig config_;
  MemorySystem memory_;
  DirectionPredictor predictor_;
  BranchTargetBuffer btb_;
  float cycleToTenthNs_;
  bool inOrder_;
  std::array<uint8_t, kOpClassCount> pool_{};

  WidthLimiter fetchLimit_, decodeLimit_, renameLimit_, dispatchLimit_, commitLimit_;
  std::vector<CalendarSlot> calendar_;
  std::array<std::vector<int64_t>, kPoolCount> unitFree_;  // unpipelined pools
  std::vector<int64_t> regReady_;
  std::vector<int64_t> robCommit_;       // ring: commit cycle by sequence
  std::vector<int64_t> fetchBufferOut_;  // ring: dispatch cycle by sequence
  std::vector<int64_t> loadQueueOut_;    // ring: commit cycle by load number
  std::vector<int64_t> storeQueueOut_;   // ring: write cycle by store number
  std::vector<int64_t> iqHeap_;          // issue cycles of queued instructions
  struct StoreWord {
    uint64_t word = ~0ull;
    int64_t dataReady = 0;
    int64_t written = 0;
  };
  std::vector<StoreWord> storeWords_;

  int64_t fetchCursor_ = 0;
  int64_t redirect_ = 0;
  int64_t serializeFence_ = 0;
  int64_t lastIssue_ = 0;
  int64_t lastCommit_ = 0;
  int64_t lastStoreWrite_ = 0;
  uint64_t lastFetchLine_ = ~0ull;

  // A taken branch whose target is checked against the next instruction.
  struct PendingBranch {
    bool active = false;
    bool checkTarget = false;  // the BTB predicted a target and direction was right
    uint64_t pc = 0;
    uint64_t predictedTarget = 0;
    int64_t fetch = 0, resolve = 0;
    float* mispredictLabel = nullptr;
  } pending_;

  // Frontiers of the six time targets (cycles).
  std::array<int64_t, 6> frontier_{};
  CoreStats stats_;
};

}  // namespace pv::uarch
