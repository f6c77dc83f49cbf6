// Branch direction predictors (bimodal, gshare, a TAGE-like one) and the
// branch target buffer of one simulated microarchitecture. Trace-driven:
// predict() and update() are called back to back with the real outcome, so
// there is no speculative history to repair.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "stages/model-lib/uarch_config.h"

namespace pv::uarch {

class DirectionPredictor {
 public:
  explicit DirectionPredictor(const BranchConfig& config);
  // Predicts the conditional branch at `pc`, then learns its outcome;
  // returns the prediction.
  bool predictAndUpdate(uint64_t pc, bool taken);

 private:
  struct TaggedEntry {
    uint16_t tag = 0;
    int8_t counter = 0;  // -4..3, taken when >= 0
    uint8_t useful = 0;  // 0..3
  };
  bool tage(uint64_t pc, bool taken);
  // The last `length` outcomes folded into `bits` bits.
  uint32_t folded(uint32_t length, uint32_t bits) const;
  void pushHistory(bool taken);

  PredictorKind kind_;
  std::vector<uint8_t> base_;  // 2-bit counters
  uint64_t baseMask_;
  uint32_t gshareBits_;
  // Global history, newest outcome in bit 0 of word 0.
  std::array<uint64_t, 2> history_{};
  // TAGE
  std::vector<std::vector<TaggedEntry>> tables_;
  std::vector<uint32_t> lengths_;
  uint32_t tableBits_ = 0, tagBits_ = 0;
  uint64_t branches_ = 0;
  uint64_t allocSeed_ = 0x9e3779b97f4a7c15ull;
};

class BranchTargetBuffer {
 public:
  explicit BranchTargetBuffer(const BranchConfig& config);
  // The predicted target of `pc`, or false when the BTB has none.
  bool lookup(uint64_t pc, uint64_t& target);
  void update(uint64_t pc, uint64_t target);

 private:
  struct Entry {
    uint64_t pc = ~0ull;
    uint64_t target = 0;
    uint64_t stamp = 0;
  };
  Entry* find(uint64_t pc);
  std::vector<Entry> entries_;
  uint64_t sets_, ways_, clock_ = 0;
};

}  // namespace pv::uarch
