// sampleConfig: draws one configuration of the sampling space.

#include "stages/uarch/config_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <vector>
#include "stages/core/splitmix64.h"

namespace pv::uarch {

namespace {

// Draws on SplitMix64 (the same everywhere; std:: distributions are not
// specified bit for bit).
class Random {
 public:
  explicit Random(uint64_t seed) : generator_(seed) {}
  uint64_t next() { return generator_.next(); }
  // Uniform in [lo, hi] (the modulo bias is below 2^-40 for these ranges).
  uint32_t range(uint32_t lo, uint32_t hi) { return lo + uint32_t(next() % (uint64_t(hi) - lo + 1)); }
  template <class T>
  T pick(std::initializer_list<T> values) {
    return *(values.begin() + range(0, uint32_t(values.size() - 1)));
  }
  bool chance(uint32_t percent) { return range(0, 99) < percent; }

 private:
  SplitMix64 generator_;
};

uint32_t powerOfTwo(Random& r, uint32_t loLog, uint32_t hiLog) { return 1u << r.range(loLog, hiLog); }

PrefetcherKind anyPrefetcher(Random& r) {
  return r.pick({PrefetcherKind::kNone, PrefetcherKind::kNextLine, PrefetcherKind::kStride});
}

}  // namespace

UarchConfig sampleConfig(uint64_t seed, uint32_t index) {
  Random r(seed * 0x2545f4914f6cdd1dull + index * SplitMix64::kGamma + 1);
  UarchConfig c;
  char name[48];
  std::snprintf(name, sizeof name, "s%llu-%04u", static_cast<unsigned long long>(seed), index);
  c.name = name;

  CoreConfig& core = c.core;
  core.frequencyGhz = r.pick({1.0, 2.0, 2.5, 3.33, 5.0});
  const bool inOrder = r.chance(33);
  core.kind = inOrder ? CoreKind::kInOrder : CoreKind::kOutOfOrder;
  if (inOrder) {
    const uint32_t width = r.range(1, 3);
    core.fetchWidth = core.decodeWidth = core.renameWidth = core.dispatchWidth = width;
    core.issueWidth = core.commitWidth = width;
    core.fetchBuffer = r.range(2, 16);
    core.rob = r.range(4, 32);
    core.issueQueue = r.range(2, 16);
    core.loadQueue = r.range(2, 16);
    core.storeQueue = r.range(2, 16);
  } else {
    const uint32_t width = r.range(2, 8);
    core.fetchWidth = width;
    core.decodeWidth = std::max<uint32_t>(1, width - r.range(0, 1));
    core.renameWidth = core.decodeWidth;
    core.dispatchWidth = core.decodeWidth;
    core.issueWidth = width + r.range(0, 4);
    core.commitWidth = width;
    core.fetchBuffer = r.range(8, 64);
    core.rob = r.range(32, 384);
    core.issueQueue = r.range(16, 128);
    core.loadQueue = r.range(16, 96);
    core.storeQueue = r.range(16, 96);
  }
  core.fetchToDecode = r.range(1, 3);
  core.decodeToRename = r.range(1, 3);
  core.renameToDispatch = r.range(1, 3);
  core.dispatchToIssue = r.range(1, 2);
  core.completeToCommit = r.range(1, 2);

  // Functional units: in-order cores get fewer.
  const uint32_t wide = inOrder ? 1 : 2;
  c.units = {r.range(1, 3 * wide), r.range(1, wide), r.range(1, wide), r.range(1, 2 * wide),
             r.range(1, 2 * wide), r.range(1, wide), r.range(1, 2 * wide), r.range(1, 1 + wide),
             r.range(1, wide)};
  // Latencies: the defaults scaled by 0.5-2 (integer ALU and address
  // generation stay at 1 cycle).
  const auto defaults = UarchConfig::defaultLatencies();
  for (int op = 0; op < kOpClassCount; ++op) {
    if (defaults[op] <= 1) continue;
    const double scale = 0.5 + r.range(0, 150) / 100.0;
    c.latency[op] = std::max<uint32_t>(1, uint32_t(std::lround(defaults[op] * scale)));
  }

  BranchConfig& b = c.branch;
  b.predictor = r.pick({PredictorKind::kBimodal, PredictorKind::kGshare, PredictorKind::kTage});
  b.tableBits = r.range(10, 16);
  b.historyBits = r.range(4, std::min<uint32_t>(b.tableBits, 16));
  b.tageTables = r.range(3, 8);
  b.tageTableBits = r.range(8, 12);
  b.tageTagBits = r.range(7, 12);
  b.tageMinHistory = r.range(2, 8);
  b.tageMaxHistory = r.range(32, 128);
  b.btbWays = r.pick({1u, 2u, 4u, 8u});
  b.btbEntries = powerOfTwo(r, 9, 13);
  b.mispredictPenalty = r.range(6, 20);

  auto l1 = [&](CacheConfig& cache, bool data) {
    cache.ways = r.range(2, 4);
    cache.sizeKb = cache.ways * r.range(4, 16);
    cache.latency = r.range(1, 4);
    cache.mshrs = r.range(1, 32);
    cache.prefetcher = data ? anyPrefetcher(r) : r.pick({PrefetcherKind::kNone, PrefetcherKind::kNextLine});
    cache.prefetchDegree = r.range(1, 4);
  };
  l1(c.l1i, false);
  l1(c.l1d, true);
  c.l2.ways = r.range(4, 32);
  c.l2.sizeKb = c.l2.ways * r.pick({64u, 128u, 256u});
  c.l2.latency = r.range(8, 23);
  c.l2.mshrs = r.range(4, 64);
  c.l2.prefetcher = anyPrefetcher(r);
  c.l2.prefetchDegree = r.range(1, 4);
  // Mostly inclusive or exclusive, as in PerfVec's space.
  c.l2.inclusion = r.pick({Inclusion::kInclusive, Inclusion::kInclusive, Inclusion::kExclusive,
                           Inclusion::kExclusive, Inclusion::kNonInclusive});
  c.l3.enabled = r.chance(33);
  c.l3.ways = r.pick({8u, 12u, 16u});
  c.l3.sizeKb = c.l3.ways * 1024 * r.pick({1u, 2u}) / 4 * r.pick({1u, 2u, 4u, 8u}) / 2;
  c.l3.latency = r.range(25, 50);
  c.l3.mshrs = r.range(16, 64);
  c.l3.prefetcher = r.pick({PrefetcherKind::kNone, PrefetcherKind::kNextLine});
  c.l3.prefetchDegree = r.range(1, 2);
  c.l3.inclusion = r.pick({Inclusion::kInclusive, Inclusion::kExclusive, Inclusion::kNonInclusive});

  const auto& kinds = dramKinds();
  const DramKind& dram = kinds[r.range(0, uint32_t(kinds.size() - 1))];
  c.memory.kind = std::string(dram.name);
  c.memory.latencyNs = dram.latencyNs;
  c.memory.bandwidthGBps = dram.bandwidthGBps;
  c.memory.channels = r.pick({1u, 2u, 4u});
  return c;
}

}  // namespace pv::uarch
