// MemorySystem: caches, MSHRs, prefetchers and DRAM channels.

#include "stages/uarch/memory_system.h"

#include <algorithm>
#include <cmath>

namespace pv::uarch {

namespace {
constexpr int kLineShift = 6;
static_assert((1u << kLineShift) == kLineBytes);
constexpr size_t kStrideEntries = 256;
}  // namespace

void Cache::init(const CacheConfig& config) {
  if (!config.enabled) return;
  assoc_ = config.ways;
  latency_ = config.latency;
  sets_ = uint64_t(config.sizeKb) * 1024 / (uint64_t(config.ways) * kLineBytes);
  setMask_ = (sets_ & (sets_ - 1)) == 0 ? sets_ - 1 : 0;
  if (sets_ == 1) setMask_ = 0;  // line % 1 == 0: the modulo path handles it
  ways_.assign(sets_ * assoc_, Way{});
  mshrFree_.assign(config.mshrs, 0);
}

Cache::Way& Cache::victim(uint64_t line) {
  Way* set = &ways_[setOf(line) * assoc_];
  Way* best = &set[0];
  for (uint32_t w = 0; w < assoc_; ++w) {
    if (set[w].tag == 0) return set[w];
    if (set[w].stamp < best->stamp) best = &set[w];
  }
  return *best;
}

int64_t Cache::reserveMshr(int64_t t) {
  size_t best = 0;
  for (size_t i = 1; i < mshrFree_.size(); ++i)
    if (mshrFree_[i] < mshrFree_[best]) best = i;
  mshrPicked_ = best;
  return std::max(t, mshrFree_[best]);
}

MemorySystem::MemorySystem(const UarchConfig& config) {
  caches_[kL1I].init(config.l1i);
  caches_[kL1D].init(config.l1d);
  caches_[kL2].init(config.l2);
  caches_[kL3].init(config.l3);
  const bool l3 = config.l3.enabled;
  next_ = {kL2, kL2, l3 ? kL3 : kMemory, kMemory};
  // The first-level caches have nothing above them.
  const CacheConfig* cfg[4] = {&config.l1i, &config.l1d, &config.l2, &config.l3};
  for (int i = 0; i < 4; ++i) {
    prefetcher_[i] = cfg[i]->prefetcher;
    inclusion_[i] = cfg[i]->inclusion;
    degree_[i] = cfg[i]->prefetchDegree;
  }
  for (int i = 0; i < 4; ++i)
    if (prefetcher_[i] == PrefetcherKind::kStride) strideTables_[i].assign(kStrideEntries, StrideEntry{});
  channelFree_.assign(config.memory.channels, 0);
  const double ghz = 1000.0 / config.periodPs();
  dramLatency_ = std::llround(config.memory.latencyNs * ghz);
  const double transferNs = kLineBytes / config.memory.bandwidthGBps;  // bytes / (bytes/ns)
  transferFixed_ = std::max<int64_t>(1, std::llround(transferNs * ghz * 1024.0));
}

int64_t MemorySystem::dram(uint64_t line, int64_t t, bool write) {
  const size_t channel = (line ^ (line >> 7) ^ (line >> 13)) % channelFree_.size();
  const int64_t start = std::max(t * 1024, channelFree_[channel]);
  channelFree_[channel] = start + transferFixed_;
  if (write) {
    ++stats_.dramWrites;
    return t;
  }
  ++stats_.dramReads;
  // Data arrives after the latency and its own transfer.
  return (start + transferFixed_ + 1023) / 1024 + dramLatency_;
}

void MemorySystem::writeback(CacheId from, uint64_t line, int64_t t) {
  ++caches_[from].stats.writebacks;
  const CacheId to = next_[from];
  if (to == kMemory) {
    dram(line, t, true);
    return;
  }
  if (Cache::Way* w = caches_[to].find(line)) {
    w->dirty = true;
    return;
  }
  // Write-allocate below (no fetch: the whole line is written).
  fill(to, line, t, true, t);
}

void MemorySystem::fill(CacheId id, uint64_t line, int64_t ready, bool dirty, int64_t t) {
  Cache& c = caches_[id];
  Cache::Way& v = c.victim(line);
  if (v.tag != 0) evict(id, v, t);
  v = Cache::Way{line + 1, ready, 0, dirty};
  c.touch(v);
}

void MemorySystem::evict(CacheId id, Cache::Way& way, int64_t t) {
  const uint64_t line = way.tag - 1;
  bool dirty = way.dirty;
  way.tag = 0;
  if (inclusion_[id] == Inclusion::kInclusive) {
    // The caches above may not keep what this one drops.
    for (CacheId above : {kL1I, kL1D, kL2}) {
      if (above >= id) break;
      if (Cache::Way* w = caches_[above].find(line)) {
        dirty |= w->dirty;
        w->tag = 0;
      }
    }
  }
  const CacheId below = next_[id];
  if (below != kMemory && inclusion_[below] == Inclusion::kExclusive) {
    // An exclusive cache below is filled with what this one evicts.
    if (dirty) ++caches_[id].stats.writebacks;
    if (Cache::Way* w = caches_[below].find(line)) {
      w->dirty |= dirty;
      caches_[below].touch(*w);
    } else {
      fill(below, line, t, dirty, t);
    }
    return;
  }
  if (dirty) writeback(id, line, t);
}

int64_t MemorySystem::access(CacheId id, uint64_t line, int64_t t, bool write, bool prefetch,
                             int8_t& level) {
  if (id == kMemory) {
    level = kLevelMemory;
    movedDirty_ = false;
    return dram(line, t, false);
  }
  Cache& c = caches_[id];
  const int8_t here = id <= kL1D ? kLevelL1 : (id == kL2 ? kLevelL2 : kLevelL3);
  const bool exclusive = inclusion_[id] == Inclusion::kExclusive;
  if (!prefetch) ++c.stats.accesses;
  const int64_t tagDone = t + c.latency();
  if (Cache::Way* w = c.find(line)) {
    level = here;
    const int64_t ready = std::max(tagDone, w->ready);
    movedDirty_ = false;
    if (exclusive) {
      // The line moves up to the cache that asked.
      movedDirty_ = w->dirty;
      w->tag = 0;
      return ready;
    }
    c.touch(*w);
    if (write) w->dirty = true;
    return ready;
  }
  if (!prefetch) ++c.stats.misses;
  const int64_t start = c.reserveMshr(tagDone);
  const int64_t done = access(next_[id], line, start, false, prefetch, level);
  c.releaseMshr(done);
  // An exclusive cache passes the line (and its dirtiness) up unfilled.
  if (exclusive) return done;
  fill(id, line, done, write || movedDirty_, done);
  movedDirty_ = false;
  return done;
}

void MemorySystem::prefetchLine(CacheId id, uint64_t line, int64_t t) {
  Cache& c = caches_[id];
  if (c.find(line)) return;
  ++c.stats.prefetches;
  int8_t level;
  const int64_t done = access(next_[id], line, t, false, true, level);
  fill(id, line, done, movedDirty_, done);
  movedDirty_ = false;
}

void MemorySystem::afterDemand(CacheId id, uint64_t addr, uint64_t pc, int64_t t, bool missed) {
  const uint64_t line = addr >> kLineShift;
  switch (prefetcher_[id]) {
    case PrefetcherKind::kNone:
      return;
    case PrefetcherKind::kNextLine:
      if (missed)
        for (uint32_t k = 1; k <= degree_[id]; ++k) prefetchLine(id, line + k, t);
      return;
    case PrefetcherKind::kStride: {
      StrideEntry& e = strideTables_[id][(pc >> 2) % kStrideEntries];
      if (e.pc != pc) {
        e = StrideEntry{pc, addr, 0, 0};
        return;
      }
      const int64_t stride = int64_t(addr - e.lastAddr);
      if (stride == e.stride && stride != 0) {
        e.confidence = uint8_t(std::min(3, e.confidence + 1));
      } else {
        e.confidence = 0;
        e.stride = stride;
      }
      e.lastAddr = addr;
      if (e.confidence >= 2) {
        uint64_t last = line;
        for (uint32_t k = 1; k <= degree_[id]; ++k) {
          const uint64_t target = (addr + uint64_t(e.stride) * k) >> kLineShift;
          if (target != last) prefetchLine(id, target, t);
          last = target;
        }
      }
      return;
    }
  }
}

int64_t MemorySystem::fetch(uint64_t pc, int64_t t, int8_t& level) {
  const uint64_t line = pc >> kLineShift;
  const int64_t done = access(kL1I, line, t, false, false, level);
  afterDemand(kL1I, pc, pc, t, level != kLevelL1);
  return done;
}

int64_t MemorySystem::load(uint64_t addr, uint64_t pc, int64_t t, int8_t& level) {
  const int64_t done = access(kL1D, addr >> kLineShift, t, false, false, level);
  afterDemand(kL1D, addr, pc, t, level != kLevelL1);
  if (level >= kLevelL2 && caches_[kL2].enabled()) afterDemand(kL2, addr, pc, t, level > kLevelL2);
  return done;
}

int64_t MemorySystem::store(uint64_t addr, uint64_t pc, int64_t t, int8_t& level) {
  const int64_t done = access(kL1D, addr >> kLineShift, t, true, false, level);
  afterDemand(kL1D, addr, pc, t, level != kLevelL1);
  if (level >= kLevelL2) afterDemand(kL2, addr, pc, t, level > kLevelL2);
  return done;
}

const MemoryStats& MemorySystem::stats() const {
  stats_.l1i = caches_[kL1I].stats;
  stats_.l1d = caches_[kL1D].stats;
  stats_.l2 = caches_[kL2].stats;
  stats_.l3 = caches_[kL3].stats;
  return stats_;
}

}  // namespace pv::uarch
