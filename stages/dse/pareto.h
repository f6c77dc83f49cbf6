// The Pareto front of points with two costs to minimize (pv-dse: predicted
// time and hardware cost). A point dominates another when it is no worse
// in both and better in one; the front is the points no other dominates
// (equal points do not dominate each other: all of them are on it or none).
#pragma once

#include <span>
#include <utility>
#include <vector>

namespace pv::dse {

struct CostPair {
  double time = 0;
  double cost = 0;
};

// True when `a` dominates `b`.
bool dominates(const CostPair& a, const CostPair& b);

// Indices of the points on the front, by time ascending (cost descending),
// ties by index. O(n log n). NaN coordinates are never on the front.
std::vector<size_t> paretoFront(std::span<const CostPair> points);

}  // namespace pv::dse
