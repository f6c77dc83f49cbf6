// Reuse-distance histories: see reuse_distance_tracker.h.
#include "stages/feature-lib/reuse_distance_tracker.h"

#include <algorithm>

namespace pv::reuse {

ReuseDistanceTracker::ReuseDistanceTracker(uint32_t minSlots, size_t maxLines)
    : lineAt_(std::max<uint32_t>(minSlots, 1), kNoLine),
      tree_(lineAt_.size() + 1, 0),
      minSlots_(std::max<uint32_t>(minSlots, 1)),
      maxLines_(maxLines) {}

uint64_t ReuseDistanceTracker::lookup(CacheLine line) const {
  if (hasMru_ && line == mru_) return 1;
  const uint32_t* slot = slotOf_.find(line.number);
  return slot == nullptr ? kNever : distanceFromSlot(*slot);
}

void ReuseDistanceTracker::touch(CacheLine line) {
  if (hasMru_ && line == mru_) return;  // order unchanged
  bool inserted = false;
  uint32_t* slot = &slotOf_.findOrInsert(line.number, &inserted);
  if (!inserted) {
    fenwickAdd(*slot, -1);
    lineAt_[*slot] = kNoLine;
    --live_;
  }
  place(slot, line);
}

uint64_t ReuseDistanceTracker::access(CacheLine line) {
  if (hasMru_ && line == mru_) return 1;
  bool inserted = false;
  uint32_t* slot = &slotOf_.findOrInsert(line.number, &inserted);
  uint64_t distance = kNever;
  if (!inserted) {
    distance = distanceFromSlot(*slot);
    fenwickAdd(*slot, -1);
    lineAt_[*slot] = kNoLine;
    --live_;
  }
  place(slot, line);
  return distance;
}

uint64_t ReuseDistanceTracker::distanceFromSlot(uint32_t slot) const {
  // Lines touched after `slot`, plus one.
  uint64_t distance = uint64_t{live_} - fenwickPrefix(slot) + 1;
  return std::min(distance, kNever);
}

// Gives `line` (whose old slot, if any, is already released) the newest slot.
void ReuseDistanceTracker::place(uint32_t* slot, CacheLine line) {
  if (next_ == lineAt_.size()) compact();
  *slot = next_;
  lineAt_[next_] = line.number;
  fenwickAdd(next_, +1);
  ++next_;
  ++live_;
  mru_ = line;
  hasMru_ = true;
  if (maxLines_ != 0 && live_ > maxLines_) forgetOldest();  // `slot` is not used after this
}

// Forgets the oldest lines down to three quarters of the budget (at least
// the newest line is kept): their slots are the lowest, so one pass over
// the axis finds them, the map drops every entry below the first slot kept,
// and compact() rebuilds the axis and the tree. Amortized O(1) per line.
void ReuseDistanceTracker::forgetOldest() {
  const uint32_t keep = static_cast<uint32_t>(std::max<size_t>(1, maxLines_ - maxLines_ / 4));
  const uint32_t drop = live_ - std::min(live_, keep);
  uint32_t cutoff = 0, dropped = 0;
  for (; cutoff < next_ && dropped < drop; ++cutoff)
    if (lineAt_[cutoff] != kNoLine) {
      lineAt_[cutoff] = kNoLine;
      ++dropped;
    }
  slotOf_.eraseIf([cutoff](uint64_t, uint32_t slot) { return slot < cutoff; });
  live_ -= dropped;
  forgotten_ += dropped;
  compact();
}

// Renumbers the live slots 0..live_-1 keeping their order, resizes the axis
// to about twice that, and rebuilds the Fenwick tree in O(slots).
void ReuseDistanceTracker::compact() {
  uint32_t kept = 0;
  for (uint32_t s = 0; s < next_; ++s) {
    uint64_t l = lineAt_[s];
    if (l == kNoLine) continue;
    lineAt_[kept] = l;
    *slotOf_.find(l) = kept;
    ++kept;
  }
  size_t size = std::max<size_t>(minSlots_, 2 * (size_t{kept} + 1));
  lineAt_.resize(size);
  lineAt_.shrink_to_fit();
  std::fill(lineAt_.begin() + kept, lineAt_.end(), kNoLine);
  tree_.assign(size + 1, 0);
  tree_.shrink_to_fit();
  for (size_t i = 1; i <= size; ++i) {
    if (i <= kept) tree_[i] += 1;
    size_t parent = i + (i & (~i + 1));
    if (parent <= size) tree_[parent] += tree_[i];
  }
  next_ = kept;
}

void ReuseDistanceTracker::fenwickAdd(uint32_t slot, int32_t delta) {
  const size_t n = tree_.size();
  for (size_t i = size_t{slot} + 1; i < n; i += i & (~i + 1)) tree_[i] += delta;
}

uint32_t ReuseDistanceTracker::fenwickPrefix(uint32_t slot) const {
  int32_t sum = 0;
  for (size_t i = size_t{slot} + 1; i > 0; i &= i - 1) sum += tree_[i];
  return static_cast<uint32_t>(sum);
}

uint64_t AddressDistanceTracker::access(uint64_t address, uint64_t now) {
  bool inserted = false;
  uint64_t& last = last_.findOrInsert(address, &inserted);
  uint64_t distance = inserted ? kCap : std::min(now - last, kCap);
  last = now;
  if (last_.size() >= purgeAt_) {
    // Anything at least kCap old reads as kCap whether remembered or not.
    last_.eraseIf([now](uint64_t, uint64_t at) { return now - at >= kCap; });
    purgeAt_ = std::max(kMinPurgeSize, 4 * last_.size());
  }
  return distance;
}

}  // namespace pv::reuse
