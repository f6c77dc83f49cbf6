// U64Map: an open-addressing hash map from 64-bit keys to small trivially
// copyable values, for the per-line and per-address histories of
// pv-reuse-distance. Linear probing over a power-of-two table kept at most
// half full, Fibonacci hashing (sequential keys such as cache-line numbers
// spread evenly). Every key is allowed, including ~0 (held aside).
//
// Pointers and references to values stay valid until the next insertion or
// rebuild (an insertion may grow the table). There is no single-key erase;
// eraseIf() rebuilds the table in O(buckets).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace pv::reuse {

template <class V>
class U64Map {
  static_assert(std::is_trivially_copyable_v<V>);

 public:
  U64Map() { allocate(kMinBuckets); }

  size_t size() const { return size_ + (hasEmptyKey_ ? 1 : 0); }
  size_t buckets() const { return entries_.size(); }
  // Bytes held: the table and eraseIf()'s scratch.
  size_t memoryBytes() const { return (entries_.capacity() + spare_.capacity()) * sizeof(Entry); }

  // The value of `key`, or nullptr.
  V* find(uint64_t key) {
    if (key == kEmpty) return hasEmptyKey_ ? &emptyKeyValue_ : nullptr;
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      Entry& e = entries_[i];
      if (e.key == key) return &e.value;
      if (e.key == kEmpty) return nullptr;
    }
  }
  const V* find(uint64_t key) const { return const_cast<U64Map*>(this)->find(key); }

  // The value of `key`, inserted as V{} when absent (*inserted says which).
  V& findOrInsert(uint64_t key, bool* inserted) {
    if (key == kEmpty) {
      *inserted = !hasEmptyKey_;
      if (!hasEmptyKey_) emptyKeyValue_ = V{};
      hasEmptyKey_ = true;
      return emptyKeyValue_;
    }
    if ((size_ + 1) * 2 > entries_.size()) grow();
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      Entry& e = entries_[i];
      if (e.key == key) {
        *inserted = false;
        return e.value;
      }
      if (e.key == kEmpty) {
        e.key = key;
        e.value = V{};
        ++size_;
        *inserted = true;
        return e.value;
      }
    }
  }

  // Calls f(key, value&) for every entry, in no particular order.
  template <class F>
  void forEach(F&& f) {
    for (Entry& e : entries_)
      if (e.key != kEmpty) f(e.key, e.value);
    if (hasEmptyKey_) f(kEmpty, emptyKeyValue_);
  }

  // Removes every entry for which pred(key, value) is true, rebuilding the
  // table in place (no allocation once warm; the bucket count only shrinks
  // when the table would be less than 1/8 full).
  template <class P>
  void eraseIf(P&& pred) {
    spare_.clear();
    for (const Entry& e : entries_)
      if (e.key != kEmpty && !pred(e.key, e.value)) spare_.push_back(e);
    if (hasEmptyKey_ && pred(kEmpty, emptyKeyValue_)) hasEmptyKey_ = false;
    size_t n = entries_.size();
    while (n > kMinBuckets && spare_.size() * 8 < n) n /= 2;
    if (n == entries_.size()) {
      std::fill(entries_.begin(), entries_.end(), Entry{kEmpty, V{}});
      size_ = 0;
    } else {
      allocate(n);
    }
    for (const Entry& e : spare_) place(e);
  }

  void clear() {
    allocate(kMinBuckets);
    hasEmptyKey_ = false;
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr size_t kMinBuckets = 64;
  struct Entry {
    uint64_t key;
    V value;
  };

  size_t home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void allocate(size_t n) {
    entries_.assign(n, Entry{kEmpty, V{}});
    mask_ = n - 1;
    shift_ = 64;
    for (size_t m = n; m > 1; m >>= 1) --shift_;
    size_ = 0;
  }

  void place(const Entry& entry) {
    size_t i = home(entry.key);
    while (entries_[i].key != kEmpty) i = (i + 1) & mask_;
    entries_[i] = entry;
    ++size_;
  }

  void grow() {
    std::vector<Entry> old;
    old.swap(entries_);
    allocate(old.size() * 2);
    for (const Entry& e : old)
      if (e.key != kEmpty) place(e);
  }

  std::vector<Entry> entries_;
  std::vector<Entry> spare_;  // scratch of eraseIf()
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;  // entries in the table (not counting the ~0 key)
  bool hasEmptyKey_ = false;
  V emptyKeyValue_{};
};

}  // namespace pv::reuse
