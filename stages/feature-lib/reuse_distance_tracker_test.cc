// Tests of the reuse-distance histories: examples, RapidCheck laws against
// naive O(n^2) references, and memory bounds.
#include "stages/feature-lib/reuse_distance_tracker.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

namespace pv::reuse {
namespace {

constexpr uint64_t kNever = ReuseDistanceTracker::kNever;

CacheLine L(uint64_t n) { return CacheLine{n}; }

// The definition, literally: scan back to the last touch of `line` in
// `history` and count the distinct other lines in between.
uint64_t naiveDistance(const std::vector<uint64_t>& history, uint64_t line) {
  std::set<uint64_t> between;
  for (size_t i = history.size(); i-- > 0;) {
    if (history[i] == line) return between.size() + 1;
    between.insert(history[i]);
  }
  return kNever;
}

TEST(ReuseDistanceTracker, AFirstTouchGivesTheNeverSeenDistance) {
  ReuseDistanceTracker t;
  EXPECT_EQ(t.lookup(L(7)), kNever);
  EXPECT_EQ(t.access(L(7)), kNever);
}

TEST(ReuseDistanceTracker, AnImmediateReuseGivesOne) {
  ReuseDistanceTracker t;
  t.touch(L(3));
  EXPECT_EQ(t.lookup(L(3)), 1u);
  EXPECT_EQ(t.access(L(3)), 1u);
  EXPECT_EQ(t.access(L(3)), 1u);
}

TEST(ReuseDistanceTracker, DistanceCountsDistinctOtherLinesSinceTheLastUse) {
  ReuseDistanceTracker t;
  EXPECT_EQ(t.access(L(1)), kNever);
  EXPECT_EQ(t.access(L(2)), kNever);
  EXPECT_EQ(t.access(L(3)), kNever);
  EXPECT_EQ(t.access(L(2)), 2u);  // 3
  EXPECT_EQ(t.access(L(2)), 1u);
  EXPECT_EQ(t.access(L(1)), 3u);  // 2, 3 (2 twice counts once)
  EXPECT_EQ(t.access(L(3)), 3u);  // 2, 1
}

TEST(ReuseDistanceTracker, LookupLeavesTheHistoryUnchanged) {
  ReuseDistanceTracker t;
  t.touch(L(1));
  t.touch(L(2));
  EXPECT_EQ(t.lookup(L(1)), 2u);
  EXPECT_EQ(t.lookup(L(1)), 2u);
  EXPECT_EQ(t.lookup(L(9)), kNever);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.access(L(1)), 2u);
}

TEST(ReuseDistanceTracker, AddressesInTheSame64ByteLineShareALine) {
  EXPECT_EQ(CacheLine::of(0x1000), CacheLine::of(0x103f));
  EXPECT_NE(CacheLine::of(0x103f), CacheLine::of(0x1040));
  ReuseDistanceTracker t;
  t.touch(CacheLine::of(549755747600));
  EXPECT_EQ(t.lookup(CacheLine::of(549755747608)), 1u);
}

TEST(ReuseDistanceTracker, ManyDistinctLinesSurviveCompaction) {
  ReuseDistanceTracker t(4);
  const uint64_t n = 5000;
  for (uint64_t i = 0; i < n; ++i) EXPECT_EQ(t.access(L(i)), kNever);
  for (uint64_t i = 0; i < n; ++i) ASSERT_EQ(t.access(L(i)), n) << i;
  EXPECT_EQ(t.size(), n);
}

TEST(ReuseDistanceTracker, MemoryStaysProportionalToDistinctLines) {
  ReuseDistanceTracker t;
  std::mt19937_64 rng(1);
  const uint64_t lines = 100;
  for (int i = 0; i < 3'000'000; ++i) t.touch(L(rng() % lines));
  EXPECT_EQ(t.size(), lines);
  EXPECT_LE(t.slots(), std::max<size_t>(ReuseDistanceTracker::kMinSlots, 2 * (lines + 1)));
}

// An access sequence over a small alphabet; `update` false means lookup only.
struct Op {
  uint64_t line;
  bool update;
};

rc::Gen<std::vector<Op>> genOps() {
  return rc::gen::mapcat(rc::gen::inRange<uint64_t>(1, 12), [](uint64_t alphabet) {
    return rc::gen::container<std::vector<Op>>(
        rc::gen::construct<Op>(rc::gen::inRange<uint64_t>(0, alphabet),
                               rc::gen::weightedElement<bool>({{4, true}, {1, false}})));
  });
}

RC_GTEST_PROP(ReuseDistanceTracker, EqualsTheNaiveDefinitionOnRandomSequences, ()) {
  const auto ops = *genOps();
  const auto minSlots = *rc::gen::inRange<uint32_t>(1, 40);
  ReuseDistanceTracker t(minSlots);
  std::vector<uint64_t> history;
  for (const Op& op : ops) {
    const uint64_t expected = naiveDistance(history, op.line);
    if (op.update) {
      RC_ASSERT(t.access(L(op.line)) == expected);
      history.push_back(op.line);
    } else {
      RC_ASSERT(t.lookup(L(op.line)) == expected);
    }
  }
  RC_ASSERT(t.size() == std::set<uint64_t>(history.begin(), history.end()).size());
}

// With a budget: a line's distance is its rank by recency among the
// distinct lines (the naive definition) while it is among the lines
// remembered, the newest size() ones, and never seen (kNever) once
// forgotten; while the distinct lines fit, nothing is forgotten.
RC_GTEST_PROP(ReuseDistanceTracker, WithABudgetRemembersTheNewestLinesExactly, ()) {
  const auto ops = *genOps();
  const auto maxLines = *rc::gen::inRange<size_t>(1, 14);
  ReuseDistanceTracker t(*rc::gen::inRange<uint32_t>(1, 40), maxLines);
  std::vector<uint64_t> history;
  for (const Op& op : ops) {
    const uint64_t naive = naiveDistance(history, op.line);
    const uint64_t expected = naive <= t.size() ? naive : kNever;
    if (op.update) {
      RC_ASSERT(t.access(L(op.line)) == expected);
      history.push_back(op.line);
    } else {
      RC_ASSERT(t.lookup(L(op.line)) == expected);
    }
    RC_ASSERT(t.size() <= maxLines);
  }
  const size_t distinct = std::set<uint64_t>(history.begin(), history.end()).size();
  if (distinct <= maxLines) RC_ASSERT(t.forgotten() == 0u);
  RC_ASSERT(t.size() + t.forgotten() >= distinct);
}

// A footprint of 10x the lines a budget holds stays within the budget's
// bytes, while one that fits is exact.
TEST(ReuseDistanceTracker, MemoryStaysWithinTheBudgetOnTenTimesTheFootprint) {
  const size_t budget = 256 << 10;
  const size_t lines = ReuseDistanceTracker::linesFor(budget);
  ReuseDistanceTracker t(ReuseDistanceTracker::kMinSlots, lines);
  std::mt19937_64 rng(5);
  size_t peak = 0;
  for (uint64_t i = 0; i < 10 * lines; ++i) {
    t.access(L(i));
    if (rng() % 3 == 0) t.access(L(i - rng() % std::min<uint64_t>(i + 1, lines / 2)));
    peak = std::max(peak, t.memoryBytes());
  }
  std::printf("%zu lines touched with a budget of %zu KiB (%zu lines): peak %zu KiB, %llu forgotten\n",
              10 * lines, budget >> 10, lines, peak >> 10, static_cast<unsigned long long>(t.forgotten()));
  EXPECT_LE(peak, budget);
  EXPECT_GT(t.forgotten(), 0u);
  EXPECT_LE(t.size(), lines);
  // Recent lines are still exact: the newest line is at distance 1, the
  // one before it at 2.
  t.access(L(1'000'000));
  t.access(L(1'000'001));
  EXPECT_EQ(t.lookup(L(1'000'001)), 1u);
  EXPECT_EQ(t.lookup(L(1'000'000)), 2u);
  EXPECT_EQ(t.lookup(L(0)), kNever);  // long forgotten
}

RC_GTEST_PROP(ReuseDistanceTracker, SeparateLookupAndTouchEqualAccess, ()) {
  const auto ops = *genOps();
  ReuseDistanceTracker a(*rc::gen::inRange<uint32_t>(1, 16));
  ReuseDistanceTracker b(*rc::gen::inRange<uint32_t>(1, 16));
  for (const Op& op : ops) {
    const uint64_t viaLookup = b.lookup(L(op.line));
    b.touch(L(op.line));
    RC_ASSERT(a.access(L(op.line)) == viaLookup);
  }
}

TEST(AddressDistanceTracker, FirstAccessGivesTheCap) {
  AddressDistanceTracker t;
  EXPECT_EQ(t.access(0x40, 0), AddressDistanceTracker::kCap);
  EXPECT_EQ(t.access(0x48, 1), AddressDistanceTracker::kCap);
}

TEST(AddressDistanceTracker, DistanceIsInstructionsSinceTheSameExactAddress) {
  AddressDistanceTracker t;
  t.access(0x40, 10);
  EXPECT_EQ(t.access(0x40, 15), 5u);
  EXPECT_EQ(t.access(0x40, 16), 1u);
  EXPECT_EQ(t.access(0x40, 1015), 999u);
  EXPECT_EQ(t.access(0x40, 2015), 1000u);
  EXPECT_EQ(t.access(0x40, 5000), 1000u);
}

TEST(AddressDistanceTracker, EveryAddressValueIsAKey) {
  AddressDistanceTracker t;
  EXPECT_EQ(t.access(~uint64_t{0}, 1), 1000u);
  EXPECT_EQ(t.access(~uint64_t{0}, 3), 2u);
  EXPECT_EQ(t.access(0, 4), 1000u);
}

TEST(AddressDistanceTracker, MemoryStaysBoundedOnManyDistinctAddresses) {
  AddressDistanceTracker t;
  for (uint64_t i = 0; i < 2'000'000; ++i) t.access(i * 8, i);
  EXPECT_LE(t.size(), std::max<size_t>(AddressDistanceTracker::kMinPurgeSize,
                                       4 * AddressDistanceTracker::kCap));
}

TEST(AddressDistanceTracker, PurgingForgetsOnlyWhatCanNoLongerMatter) {
  // Enough distinct addresses to purge many times; some come back within the
  // cap, some after it.
  AddressDistanceTracker t;
  std::unordered_map<uint64_t, uint64_t> last;
  std::mt19937_64 rng(7);
  uint64_t now = 0;
  for (int i = 0; i < 300'000; ++i) {
    now += 1 + rng() % 3;
    const uint64_t addr = 8 * (rng() % 1500 + (rng() % 4 == 0 ? 0 : rng() % 100'000));
    auto it = last.find(addr);
    const uint64_t expected = it == last.end() ? 1000 : std::min<uint64_t>(now - it->second, 1000);
    ASSERT_EQ(t.access(addr, now), expected) << i;
    last[addr] = now;
  }
}

RC_GTEST_PROP(AddressDistanceTracker, EqualsTheNaiveDefinition, ()) {
  const auto alphabet = *rc::gen::inRange<uint64_t>(1, 10);
  const auto ops = *rc::gen::container<std::vector<std::pair<uint64_t, uint64_t>>>(
      rc::gen::pair(rc::gen::inRange<uint64_t>(0, alphabet),
                    rc::gen::weightedOneOf<uint64_t>({{8, rc::gen::inRange<uint64_t>(1, 10)},
                                                      {1, rc::gen::inRange<uint64_t>(1, 3000)}})));
  AddressDistanceTracker t;
  std::vector<std::pair<uint64_t, uint64_t>> seen;  // (address, when)
  uint64_t now = 0;
  for (const auto& [addr, gap] : ops) {
    now += gap;
    uint64_t expected = AddressDistanceTracker::kCap;
    for (size_t i = seen.size(); i-- > 0;)
      if (seen[i].first == addr) {
        expected = std::min(now - seen[i].second, AddressDistanceTracker::kCap);
        break;
      }
    RC_ASSERT(t.access(addr * 8, now) == expected);
    seen.emplace_back(addr, now);
  }
}

}  // namespace
}  // namespace pv::reuse
