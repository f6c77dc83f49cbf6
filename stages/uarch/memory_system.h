// The cache hierarchy of one simulated microarchitecture: L1I and L1D over a
// shared L2, an optional L3, and DRAM channels. Trace-driven: accesses are
// made in program order, each with the cycle it starts; the answer is the
// cycle its data is ready and the deepest level it reached.
//
// Caches are flat arrays of ways (set-associative, true LRU by last-use
// stamp, write-back, write-allocate). A way keeps the cycle its fill
// arrives, so a hit on a line still in flight waits for it (a merged miss).
// MSHRs bound the misses in flight per cache: a miss starts when the
// earliest MSHR frees. DRAM: a fixed latency plus a line transfer per
// channel (bandwidth), channels picked by line address. Prefetchers
// (next-line: on a demand miss, the next `degree` lines; stride: per-pc
// stride table, confident after two equal strides) fill a cache without
// using its MSHRs; their requests count as prefetches, not demand accesses.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "stages/model-lib/uarch_config.h"

namespace pv::uarch {

// Levels an access can reach; depth labels use min(level, 2) (L3 counts as
// memory for the three PerfVec levels).
enum Level : int8_t { kLevelL1 = 0, kLevelL2 = 1, kLevelL3 = 2, kLevelMemory = 3 };

struct CacheStats {
  uint64_t accesses = 0;  // demand
  uint64_t misses = 0;    // demand
  uint64_t prefetches = 0;        // lines a prefetcher brought in
  uint64_t writebacks = 0;        // dirty lines evicted
};

struct MemoryStats {
  CacheStats l1i, l1d, l2, l3;
  uint64_t dramReads = 0;
  uint64_t dramWrites = 0;
};

class Cache {
 public:
  struct Way {
    uint64_t tag = 0;  // line + 1; 0 = empty
    int64_t ready = 0;
    uint64_t stamp = 0;
    bool dirty = false;
  };

  void init(const CacheConfig& config);
  bool enabled() const { return sets_ != 0; }
  uint32_t latency() const { return latency_; }

  // The way holding `line`, or nullptr.
  Way* find(uint64_t line) {
    Way* set = &ways_[setOf(line) * assoc_];
    const uint64_t tag = line + 1;
    for (uint32_t w = 0; w < assoc_; ++w)
      if (set[w].tag == tag) return &set[w];
    return nullptr;
  }
  void touch(Way& way) { way.stamp = ++clock_; }
  // The least recently used way of line's set (empty ways first).
  Way& victim(uint64_t line);
  // The cycle a miss arriving at `t` can start, reserving the earliest free
  // MSHR; release(done) records when that MSHR frees.
  int64_t reserveMshr(int64_t t);
  void releaseMshr(int64_t done) { mshrFree_[mshrPicked_] = done; }

  CacheStats stats;

 private:
  uint64_t setOf(uint64_t line) const { return setMask_ ? (line & setMask_) : line % sets_; }
  std::vector<Way> ways_;
  std::vector<int64_t> mshrFree_;
  size_t mshrPicked_ = 0;
  uint64_t sets_ = 0, setMask_ = 0, clock_ = 0;
  uint32_t assoc_ = 0, latency_ = 0;
};

class MemorySystem {
 public:
  explicit MemorySystem(const UarchConfig& config);

  // Each returns the cycle the data is ready; `level` gets the deepest level
  // reached (kLevelL1 for a hit).
  int64_t fetch(uint64_t pc, int64_t t, int8_t& level);
  int64_t load(uint64_t addr, uint64_t pc, int64_t t, int8_t& level);
  int64_t store(uint64_t addr, uint64_t pc, int64_t t, int8_t& level);

  const MemoryStats& stats() const;
  uint32_t l1iLatency() const { return caches_[kL1I].latency(); }
  uint32_t l1dLatency() const { return caches_[kL1D].latency(); }

 private:
  enum CacheId : uint8_t { kL1I, kL1D, kL2, kL3, kMemory };
  struct StrideEntry {
    uint64_t pc = 0;
    uint64_t lastAddr = 0;
    int64_t stride = 0;
    uint8_t confidence = 0;
  };

  int64_t access(CacheId id, uint64_t line, int64_t t, bool write, bool prefetch, int8_t& level);
  int64_t dram(uint64_t line, int64_t t, bool write);
  void prefetchLine(CacheId id, uint64_t line, int64_t t);
  void afterDemand(CacheId id, uint64_t addr, uint64_t pc, int64_t t, bool missed);
  void writeback(CacheId from, uint64_t line, int64_t t);
  // Installs `line` in `id` (evicting its LRU way) and handles the victim:
  // back-invalidation above an inclusive cache, insertion into an exclusive
  // cache below, write-back of dirty data.
  void fill(CacheId id, uint64_t line, int64_t ready, bool dirty, int64_t t);
  void evict(CacheId id, Cache::Way& way, int64_t t);

  std::array<Cache, 4> caches_;
  std::array<CacheId, 4> next_{};
  std::array<PrefetcherKind, 4> prefetcher_{};
  std::array<Inclusion, 4> inclusion_{};
  // Set by access(): the line handed up by an exclusive cache was dirty.
  bool movedDirty_ = false;
  std::array<uint32_t, 4> degree_{};
  std::array<std::vector<StrideEntry>, 4> strideTables_;  // per cache
  // DRAM, in 1/1024 cycles so that fractional transfer times add up.
  std::vector<int64_t> channelFree_;
  int64_t dramLatency_ = 0;
  int64_t transferFixed_ = 0;
  mutable MemoryStats stats_;
};

}  // namespace pv::uarch
