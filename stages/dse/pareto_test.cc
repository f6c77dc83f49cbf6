#include "stages/dse/pareto.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace pv::dse {
namespace {

TEST(ParetoFront, keepsTheHandPickedNonDominatedPoints) {
  // Time x cost, drawn by hand:
  //   0 (1, 9)  fastest, dearest             front
  //   1 (2, 5)                                front
  //   2 (3, 5)  as dear as 1, slower          dominated by 1
  //   3 (4, 2)                                front
  //   4 (5, 3)  slower and dearer than 3      dominated by 3
  //   5 (6, 1)  slowest, cheapest             front
  //   6 (2, 7)  as fast as 1, dearer          dominated by 1
  //   7 (4, 2)  equal to 3: neither dominates front
  const std::vector<CostPair> points = {{1, 9}, {2, 5}, {3, 5}, {4, 2}, {5, 3}, {6, 1}, {2, 7}, {4, 2}};
  EXPECT_EQ(paretoFront(points), (std::vector<size_t>{0, 1, 3, 7, 5}));
}

TEST(ParetoFront, ofOnePointIsThatPointAndOfNoneIsEmpty) {
  EXPECT_EQ(paretoFront(std::vector<CostPair>{{3, 4}}), (std::vector<size_t>{0}));
  EXPECT_TRUE(paretoFront(std::vector<CostPair>{}).empty());
}

TEST(ParetoFront, leavesOutNaN) {
  const std::vector<CostPair> points = {{1, std::nan("")}, {2, 2}};
  EXPECT_EQ(paretoFront(points), (std::vector<size_t>{1}));
}

TEST(Dominates, needsNoWorseInBothAndBetterInOne) {
  EXPECT_TRUE(dominates({1, 1}, {1, 2}));
  EXPECT_TRUE(dominates({1, 1}, {2, 2}));
  EXPECT_FALSE(dominates({1, 1}, {1, 1}));
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));
}

// Small integer coordinates make ties and duplicates common.
std::vector<CostPair> toPoints(const std::vector<std::pair<int, int>>& raw) {
  std::vector<CostPair> points;
  for (auto [t, c] : raw) points.push_back({double(t % 8), double(c % 8)});
  return points;
}

RC_GTEST_PROP(ParetoFront, noPointOfTheFrontIsDominatedAndEveryOtherIs, (const std::vector<std::pair<int, int>>& raw)) {
  const std::vector<CostPair> points = toPoints(raw);
  const std::vector<size_t> front = paretoFront(points);
  for (size_t i = 0; i < points.size(); ++i) {
    const bool onFront = std::find(front.begin(), front.end(), i) != front.end();
    const bool dominated =
        std::any_of(points.begin(), points.end(), [&](const CostPair& p) { return dominates(p, points[i]); });
    RC_ASSERT(onFront == !dominated);
  }
}

RC_GTEST_PROP(ParetoFront, isSortedByTimeWithCostFalling, (const std::vector<std::pair<int, int>>& raw)) {
  const std::vector<CostPair> points = toPoints(raw);
  const std::vector<size_t> front = paretoFront(points);
  for (size_t k = 1; k < front.size(); ++k) {
    const CostPair& a = points[front[k - 1]];
    const CostPair& b = points[front[k]];
    RC_ASSERT(a.time <= b.time);
    RC_ASSERT(a.cost >= b.cost);
  }
}

}  // namespace
}  // namespace pv::dse
