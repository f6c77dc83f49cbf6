// In-memory form of one committed instruction: every field of the PerfVec
// gem5 trace record (../shared/reference/perfvec-facts.md), plus optional
// timing. A plain value type with fixed-size register arrays so that batches
// of thousands are one allocation.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace pv {

// gem5 OpClass numbers used by the feature definitions.
inline constexpr uint16_t kOpNoOpClass = 0;
inline constexpr uint16_t kOpIntAlu = 1;
inline constexpr uint16_t kOpMemRead = 47;
inline constexpr uint16_t kOpMemWrite = 48;

// Bits of Instruction::flags, in the order of trace fields 11-23.
enum InstructionFlag : uint16_t {
  kFlagMicroop = 1u << 0,
  kFlagCondCtrl = 1u << 1,
  kFlagUncondCtrl = 1u << 2,
  kFlagDirectCtrl = 1u << 3,
  kFlagSquashAfter = 1u << 4,
  kFlagSerializeAfter = 1u << 5,
  kFlagSerializeBefore = 1u << 6,
  kFlagAtomic = 1u << 7,
  kFlagStoreConditional = 1u << 8,
  kFlagReadBarrier = 1u << 9,
  kFlagWriteBarrier = 1u << 10,
  kFlagQuiesce = 1u << 11,
  kFlagNonSpeculative = 1u << 12,
};
inline constexpr int kFlagCount = 13;

// Limits of the original feature layout (8 source, 6 destination slots).
inline constexpr int kMaxSrcRegs = 8;
inline constexpr int kMaxDstRegs = 6;

struct RegId {
  uint8_t regClass = 0;
  uint16_t index = 0;
  bool operator==(const RegId&) const = default;
};

// Timing fields (training labels). Latencies are relative to fetchTick, in
// gem5 ticks (ps).
struct Timing {
  uint64_t fetchTick = 0;
  int64_t robOutLatency = 0;
  int64_t retireLatency = 0;
  int64_t decodeLatency = 0;
  int64_t renameLatency = 0;
  int64_t dispatchLatency = 0;
  int64_t issueLatency = 0;
  bool hasStoreTiming = false;  // store-queue instructions only
  int64_t storeLatency = 0;
  int64_t sqOutLatency = 0;
  bool operator==(const Timing&) const = default;
};

struct Instruction {
  bool isFault = false;
  int32_t sqIndex = -1;
  bool hasTiming = false;
  Timing timing;
  uint16_t opClass = 0;
  uint16_t flags = 0;
  bool effAddrValid = false;
  uint64_t dataAddr = 0;
  uint32_t accessSize = 0;
  int8_t dataDepth = -1;
  std::array<int8_t, 3> dataWalkDepth{-1, -1, -1};
  std::array<uint64_t, 3> dataWalkAddr{};
  std::array<uint32_t, 3> dataWriteback{};
  uint64_t pc = 0;
  bool branching = false;
  bool mispredicted = false;
  int8_t fetchDepth = -1;
  std::array<int8_t, 3> instWalkDepth{-1, -1, -1};
  std::array<uint64_t, 3> instWalkAddr{};
  std::array<uint32_t, 2> instWriteback{};
  uint8_t srcCount = 0;
  uint8_t dstCount = 0;
  std::array<RegId, kMaxSrcRegs> src{};
  std::array<RegId, kMaxDstRegs> dst{};

  bool has(InstructionFlag f) const { return (flags & f) != 0; }
  bool isStoreQueueEntry() const { return sqIndex != -1; }
  bool isLoad() const { return opClass == kOpMemRead; }
  // A store for the reuse-distance histories: a MemWrite, or any other
  // store-queue instruction that is not a load.
  bool isStore() const {
    return opClass == kOpMemWrite || (isStoreQueueEntry() && !isLoad());
  }
  bool operator==(const Instruction&) const = default;
};

// A batch of consecutive instructions of one stream.
struct InstructionBatch {
  uint64_t firstIndex = 0;  // stream position of rows[0]
  std::vector<Instruction> rows;
  // Labelled streams only: rows.size() x labelWidth floats, row-major
  // [instruction][uarch][target]; labelWidth = uarchs x targets (header).
  std::vector<float> labels;
  bool operator==(const InstructionBatch&) const = default;
};

}  // namespace pv
