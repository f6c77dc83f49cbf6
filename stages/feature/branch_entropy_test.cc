// Tests of the branch entropy features (16, 17): edge cases and a RapidCheck
// law against the definition computed naively.
#include "stages/feature/branch_entropy.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

namespace pv {
namespace {

// H(p) in nats, straight from the definition.
double entropy(double p) {
  if (p <= 0.0 || p >= 1.0) return 0.0;
  return -p * std::log(p) - (1 - p) * std::log(1 - p);
}

// Mean of the 8 values ending `back` executions before the latest outcome
// of `history`, padding with 0.5 before the first outcome.
double windowMean(const std::vector<bool>& history, int back) {
  double sum = 0;
  for (int i = 0; i < 8; ++i) {
    long at = static_cast<long>(history.size()) - 1 - back - i;
    sum += at >= 0 ? (history[at] ? 1.0 : 0.0) : 0.5;
  }
  return sum / 8;
}

TEST(BranchEntropy, TheFirstExecutionSeesOnlyPadding) {
  BranchEntropyTracker t;
  auto e = t.record(0x400, true);
  EXPECT_FLOAT_EQ(e.pre, static_cast<float>(std::log(2.0)));  // 8 x 0.5
  EXPECT_FLOAT_EQ(e.now, static_cast<float>(entropy(4.5 / 8)));
}

TEST(BranchEntropy, AnAlwaysTakenBranchReachesZero) {
  BranchEntropyTracker t;
  BranchEntropyTracker::Entropy e;
  for (int i = 0; i < 8; ++i) e = t.record(0x400, true);
  EXPECT_FLOAT_EQ(e.pre, static_cast<float>(entropy(7.5 / 8)));
  EXPECT_EQ(e.now, 0.0f);  // exactly 0: p == 1
  e = t.record(0x400, true);
  EXPECT_EQ(e.pre, 0.0f);
  EXPECT_EQ(e.now, 0.0f);
}

TEST(BranchEntropy, ANeverTakenBranchReachesZero) {
  BranchEntropyTracker t;
  BranchEntropyTracker::Entropy e;
  for (int i = 0; i < 9; ++i) e = t.record(0x400, false);
  EXPECT_EQ(e.pre, 0.0f);
  EXPECT_EQ(e.now, 0.0f);
}

TEST(BranchEntropy, AnAlternatingBranchStaysAtTheMaximum) {
  BranchEntropyTracker t;
  for (int i = 0; i < 20; ++i) {
    auto e = t.record(0x400, i % 2 == 0);
    if (i >= 8) {
      EXPECT_FLOAT_EQ(e.pre, static_cast<float>(std::log(2.0)));
      EXPECT_FLOAT_EQ(e.now, static_cast<float>(std::log(2.0)));
    }
  }
}

TEST(BranchEntropy, OnlyTheLastEightOutcomesCount) {
  BranchEntropyTracker t;
  for (int i = 0; i < 100; ++i) t.record(0x400, false);
  BranchEntropyTracker::Entropy e;
  for (int i = 0; i < 8; ++i) e = t.record(0x400, true);
  EXPECT_EQ(e.now, 0.0f);
}

TEST(BranchEntropy, EachPcHasItsOwnHistory) {
  BranchEntropyTracker t;
  for (int i = 0; i < 9; ++i) t.record(0x400, true);
  auto e = t.record(0x800, true);
  EXPECT_FLOAT_EQ(e.pre, static_cast<float>(std::log(2.0)));
  EXPECT_EQ(t.size(), 2u);
}

TEST(BranchEntropy, TheTableIsSymmetricAndPeaksAtOneHalf) {
  for (int k = 0; k <= 16; ++k)
    EXPECT_EQ(BranchEntropyTracker::entropyOfSixteenths(k),
              BranchEntropyTracker::entropyOfSixteenths(16 - k));
  EXPECT_EQ(BranchEntropyTracker::entropyOfSixteenths(0), 0.0f);
  EXPECT_FLOAT_EQ(BranchEntropyTracker::entropyOfSixteenths(8), std::log(2.0f));
}

RC_GTEST_PROP(BranchEntropy, EqualsTheDefinitionOnRandomOutcomes, ()) {
  const auto events = *rc::gen::container<std::vector<std::pair<int, bool>>>(
      rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::arbitrary<bool>()));
  BranchEntropyTracker t;
  std::map<int, std::vector<bool>> histories;
  for (const auto& [pc, taken] : events) {
    auto& h = histories[pc];
    h.push_back(taken);
    auto e = t.record(0x1000 + 4 * static_cast<uint64_t>(pc), taken);
    RC_ASSERT(e.pre == static_cast<float>(entropy(windowMean(h, 1))));
    RC_ASSERT(e.now == static_cast<float>(entropy(windowMean(h, 0))));
  }
  RC_ASSERT(t.size() == histories.size());
}

// With a budget: a branch among the size() most recently executed ones
// continues its history; one that was forgotten starts again as never seen.
RC_GTEST_PROP(BranchEntropy, WithABudgetForgetsTheLeastRecentlyExecuted, ()) {
  const auto events = *rc::gen::container<std::vector<std::pair<int, bool>>>(
      rc::gen::pair(rc::gen::inRange(0, 12), rc::gen::arbitrary<bool>()));
  const size_t budget = *rc::gen::inRange<size_t>(1, 10);
  BranchEntropyTracker t(budget);
  std::map<int, std::vector<bool>> histories;  // the branches remembered
  std::vector<int> recency;                    // most recent last
  for (const auto& [pc, taken] : events) {
    auto& h = histories[pc];
    h.push_back(taken);
    std::erase(recency, pc);
    recency.push_back(pc);
    auto e = t.record(0x1000 + 4 * static_cast<uint64_t>(pc), taken);
    RC_ASSERT(e.pre == static_cast<float>(entropy(windowMean(h, 1))));
    RC_ASSERT(e.now == static_cast<float>(entropy(windowMean(h, 0))));
    RC_ASSERT(t.size() <= budget);
    // The tracker keeps the t.size() most recent: forget the rest here too.
    while (recency.size() > t.size()) {
      histories.erase(recency.front());
      recency.erase(recency.begin());
    }
  }
  if (histories.size() <= budget && t.forgotten() == 0) RC_ASSERT(t.size() == histories.size());
}

// 10x the branches a budget holds: the heap holds at most the budget.
TEST(BranchEntropy, MemoryStaysWithinTheBudgetOnTenTimesTheBranches) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan's allocator: glibc's mallinfo2 does not see it";
#else
  const size_t budget = 1 << 20;
  const size_t branches = BranchEntropyTracker::branchesFor(budget);
  const size_t before = mallinfo2().uordblks;
  size_t peak = 0;
  {
    BranchEntropyTracker t(branches);
    for (uint64_t i = 0; i < 10 * branches; ++i) {
      t.record(0x400000 + 4 * i, i % 3 == 0);
      if (i % 997 == 0) peak = std::max(peak, mallinfo2().uordblks - before);
    }
    peak = std::max(peak, mallinfo2().uordblks - before);
    EXPECT_GT(t.forgotten(), 0u);
    EXPECT_LE(t.size(), branches);
  }
  std::printf("%zu branches with a budget of %zu KiB (%zu branches): peak heap %zu KiB\n", 10 * branches,
              budget >> 10, branches, peak >> 10);
  EXPECT_LE(peak, budget);
#endif
}

}  // namespace
}  // namespace pv
