// One sweep in time order keeping the lowest cost seen so far.

#include "stages/dse/pareto.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pv::dse {

bool dominates(const CostPair& a, const CostPair& b) {
  return a.time <= b.time && a.cost <= b.cost && (a.time < b.time || a.cost < b.cost);
}

std::vector<size_t> paretoFront(std::span<const CostPair> points) {
  std::vector<size_t> order;
  for (size_t i = 0; i < points.size(); ++i)
    if (!std::isnan(points[i].time) && !std::isnan(points[i].cost)) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (points[a].time != points[b].time) return points[a].time < points[b].time;
    if (points[a].cost != points[b].cost) return points[a].cost < points[b].cost;
    return a < b;
  });
  std::vector<size_t> front;
  double lowestCost = 0;
  bool anyKept = false;
  // Points of equal time form a group: only its cheapest ones can be on the
  // front (they dominate the rest), and only if cheaper than every faster point.
  for (size_t g = 0; g < order.size();) {
    size_t end = g;
    while (end < order.size() && points[order[end]].time == points[order[g]].time) ++end;
    const double groupCost = points[order[g]].cost;
    if (!anyKept || groupCost < lowestCost) {
      for (size_t k = g; k < end && points[order[k]].cost == groupCost; ++k) front.push_back(order[k]);
      lowestCost = groupCost;
      anyKept = true;
    }
    g = end;
  }
  return front;
}

}  // namespace pv::dse
