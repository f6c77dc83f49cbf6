// Reuse-distance histories over 64-byte cache lines and exact addresses
// (features 18, 20, 21 and 22 of ../../shared/reference/perfvec-facts.md).
//
// ReuseDistanceTracker: the reuse distance of a line is 1 + the number of
// distinct OTHER lines touched since this line was last touched (an
// immediate re-touch gives 1); a line never touched gives kNever, which is
// also the cap. Each line holds one slot on a compacted time axis; a Fenwick
// tree over the slots counts the lines touched after a given slot. When the
// axis is full, the live slots are renumbered 0..n-1 in order and the axis
// is resized to about twice the number of distinct lines, so memory stays
// proportional to distinct lines however long the trace, and every access
// costs O(log n) amortized. Re-touching the most recently used line is O(1).
// With a budget of `maxLines`, the history is exact while at most that many
// distinct lines were touched; past it, the oldest quarter is forgotten in
// one pass (a forgotten line reads as never seen, kNever, PerfVec's cap) and
// the distances of the lines kept stay exact (the lines touched after a kept
// one are all kept). Memory is then at most about kBytesPerLine x maxLines.
//
// AddressDistanceTracker: instructions since the same exact address was last
// accessed, capped at kCap (kCap when never seen). Entries older than kCap
// instructions are purged from time to time, so memory is bounded by the
// addresses seen in the last kCap instructions (and by distinct addresses).
//
// Neither class throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stages/feature-lib/u64_map.h"

namespace pv::reuse {

inline constexpr unsigned kLineShift = 6;  // 64-byte lines

// A cache-line number (byte address >> 6); a distinct type so that byte
// addresses and line numbers cannot be mixed up.
struct CacheLine {
  uint64_t number = 0;
  static constexpr CacheLine of(uint64_t byteAddress) {
    return CacheLine{byteAddress >> kLineShift};
  }
  bool operator==(const CacheLine&) const = default;
};

class ReuseDistanceTracker {
 public:
  // Distance of a line never seen, and the cap of every distance.
  static constexpr uint64_t kNever = 100'000'000;
  // Smallest time axis (slots); a knob trading memory for compactions.
  static constexpr uint32_t kMinSlots = 1024;

  // Upper bound of the bytes one remembered line costs: the hash table (at
  // most 4 entries of 16 bytes per line: at most half full, doubling) and
  // its scratch (2), two time-axis slots of 8 bytes, two Fenwick counters
  // of 4; above the fixed floor of kMinSlots slots.
  static constexpr size_t kBytesPerLine = 128;
  // The lines a budget of `bytes` holds (at least 16).
  static size_t linesFor(size_t bytes) { return bytes / kBytesPerLine < 16 ? 16 : bytes / kBytesPerLine; }

  // `minSlots`: the smallest time axis (tests use tiny ones to exercise
  // compaction); at least 1. `maxLines`: the budget (0: unbounded).
  explicit ReuseDistanceTracker(uint32_t minSlots = kMinSlots, size_t maxLines = 0);

  // Reuse distance `line` would have if touched now; changes nothing.
  uint64_t lookup(CacheLine line) const;
  // Records a use of `line` now.
  void touch(CacheLine line);
  // lookup() then touch(), sharing the work.
  uint64_t access(CacheLine line);

  // Distinct lines remembered (ever touched, less those forgotten).
  size_t size() const { return live_; }
  // Lines forgotten to stay within the budget.
  uint64_t forgotten() const { return forgotten_; }
  // Bytes the history holds.
  size_t memoryBytes() const {
    return slotOf_.memoryBytes() + lineAt_.capacity() * sizeof(uint64_t) + tree_.capacity() * sizeof(int32_t);
  }
  // Length of the time axis (memory check: stays O(size())).
  size_t slots() const { return lineAt_.size(); }

 private:
  static constexpr uint64_t kNoLine = ~uint64_t{0};  // line numbers are < 2^58

  uint64_t distanceFromSlot(uint32_t slot) const;
  void place(uint32_t* slot, CacheLine line);
  void compact();
  void forgetOldest();
  void fenwickAdd(uint32_t slot, int32_t delta);
  uint32_t fenwickPrefix(uint32_t slot) const;  // live slots in [0, slot]

  U64Map<uint32_t> slotOf_;       // line -> slot of its last touch
  std::vector<uint64_t> lineAt_;  // slot -> line, kNoLine when stale
  std::vector<int32_t> tree_;     // Fenwick tree, 1-based, size slots()+1
  uint32_t minSlots_;
  size_t maxLines_;          // 0: unbounded
  uint64_t forgotten_ = 0;
  uint32_t next_ = 0;  // next free slot
  uint32_t live_ = 0;  // distinct lines (= live slots)
  bool hasMru_ = false;
  CacheLine mru_;  // most recently touched line
};

class AddressDistanceTracker {
 public:
  // Distance of an address not seen within the last kCap instructions.
  static constexpr uint64_t kCap = 1000;
  // Purge threshold (entries); a knob trading memory for purges.
  static constexpr size_t kMinPurgeSize = 4096;

  // Instructions between the last access to `address` and `now` (the
  // instruction's stream position; must increase from call to call), capped
  // at kCap; then records `now` as the last access.
  uint64_t access(uint64_t address, uint64_t now);

  // Addresses currently remembered (at most max(kMinPurgeSize, 4 * kCap)).
  size_t size() const { return last_.size(); }

 private:
  U64Map<uint64_t> last_;  // address -> position of its last access
  size_t purgeAt_ = kMinPurgeSize;
};

}  // namespace pv::reuse
