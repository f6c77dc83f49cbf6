// Point evaluation (parametric M_u, dot products, cost, objective) and the
// exhaustive and random searches.

#include "stages/dse/search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "stages/core/splitmix64.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/prediction.h"
#include "stages/model-lib/uarch_params.h"

namespace pv::dse {
namespace {

// `text` compiled over the space's variables and `more`; a malformed one
// is reported with the flag that gave it.
Expression compile(const char* flag, const std::string& text, const DesignSpace& space,
                   std::initializer_list<const char*> more) {
  std::vector<std::string> names = space.variableNames();
  for (const char* n : more) names.emplace_back(n);
  try {
    return Expression(text, std::move(names));
  } catch (const ExpressionError& e) {
    throw ExpressionError(std::string(flag) + " \"" + text + "\": " + e.what());
  }
}

}  // namespace

PointEvaluator::PointEvaluator(const DesignSpace& space, const Model& model, std::vector<Program> programs,
                               const ObjectiveOptions& objective)
    : space_(space),
      model_(model),
      programs_(std::move(programs)),
      options_(objective),
      timeTarget_(timeTargetIndex(model)),
      cost_(compile("--cost", objective.cost, space, {"time"})) {
  if (model.uarchModel.empty())
    throw StageError(model.name.empty() ? "model" : model.name, "",
                     "the model has no parametric microarchitecture model (make one with pv-tune --parametric)");
  if (objective.kind == ObjectiveKind::kExpression)
    objective_.emplace(compile("--objective", objective.expression, space, {"time", "cost"}));
}

PointValue PointEvaluator::evaluate(const PointChoice& choice, const std::vector<double>& variables) const {
  const Microarchitecture u = fromConfig(space_.configAt(choice, space_.base().name));
  const std::vector<float> representation = parametricRepresentation(model_, u, space_.file());
  PointValue v;
  double logSum = 0;
  for (const Program& p : programs_) {
    const double t = targetDot(p.sum, representation, timeTarget_);
    // As in pv-dot-predict: no execution takes a negative time.
    if (!(t >= 0))
      throw StageError(p.input, "",
                       fmt::format("predicted time {} ns at point {}: negative, which no execution can take{}",
                                   t / kTimeUnitsPerNs, space_.describe(choice),
                                   model_.nonNegativeUarchs ? ""
                                                            : " (the model's M_u are unconstrained: "
                                                              "pv-tune --refit --non-negative constrains them)"));
    const double ns = t / kTimeUnitsPerNs;
    v.programTimesNs.push_back(ns);
    v.timeNs += ns;
    logSum += std::log(ns);
  }
  if (options_.geomean) v.timeNs = std::exp(logSum / double(programs_.size()));
  std::vector<double> vars = variables;
  vars.push_back(v.timeNs);
  v.cost = cost_.evaluate(vars);
  switch (options_.kind) {
    case ObjectiveKind::kTime:
      v.objective = v.timeNs;
      break;
    case ObjectiveKind::kTimeCost:
      v.objective = v.timeNs * v.cost;
      break;
    case ObjectiveKind::kExpression:
      vars.push_back(v.cost);
      v.objective = objective_->evaluate(vars);
      break;
  }
  if (std::isnan(v.cost) || std::isnan(v.objective))
    throw StageError(std::isnan(v.cost) ? "--cost" : "--objective", "",
                     fmt::format("\"{}\" is not a number at point {}",
                                 std::isnan(v.cost) ? options_.cost : options_.expression, space_.describe(choice)));
  return v;
}

SearchOutcome searchSpace(const PointEvaluator& evaluator, const SearchOptions& options) {
  const DesignSpace& space = evaluator.space();
  SearchOutcome out;
  out.spacePoints = space.pointCount();
  out.exhaustive = out.spacePoints <= options.maxPoints;
  out.rejectedBy.assign(space.constraints().size(), 0);
  auto visit = [&](const PointChoice& choice, uint64_t id) {
    ++out.visited;
    const std::vector<double> vars = space.variablesAt(choice);
    if (auto broken = space.brokenConstraint(vars)) {
      ++out.rejectedBy[*broken];
      return;
    }
    const PointValue v = evaluator.evaluate(choice, vars);
    out.points.push_back({id, v.timeNs, v.cost, v.objective});
  };
  if (out.exhaustive) {
    for (uint64_t i = 0; i < out.spacePoints; ++i) visit(space.pointAt(i), i);
  } else {
    // Uniform over the product: each parameter's value drawn independently;
    // a point drawn twice is looked at once.
    SplitMix64 rng(options.seed);
    std::set<PointChoice> seen;
    for (uint64_t s = 0; s < options.samples; ++s) {
      PointChoice choice(space.parameters().size());
      for (size_t i = 0; i < choice.size(); ++i) choice[i] = rng.below(space.parameters()[i].values.size());
      if (!seen.insert(choice).second) continue;
      out.sampled.push_back(choice);
      visit(choice, out.sampled.size() - 1);
    }
  }
  if (out.points.empty() && space.constraints().empty())
    throw StageError(space.file(), "", "the search looked at no point (--samples 0?)");
  if (out.points.empty()) {
    // Name the constraint that ruled out the most points: the one to relax.
    const size_t worst = std::max_element(out.rejectedBy.begin(), out.rejectedBy.end()) - out.rejectedBy.begin();
    const SpaceConstraint& c = space.constraints()[worst];
    throw StageError(
        space.file(), c.position,
        fmt::format("no point satisfies the constraints: of the {} points {}, constraint \"{}\" ruled "
                    "out {}",
                    out.visited, out.exhaustive ? "of the space" : "drawn", c.text, out.rejectedBy[worst]));
  }
  return out;
}

std::vector<ScoredPoint> bestPoints(const SearchOutcome& outcome, size_t count) {
  std::vector<ScoredPoint> points = outcome.points;
  auto better = [](const ScoredPoint& a, const ScoredPoint& b) {
    if (a.objective != b.objective) return a.objective < b.objective;
    if (a.timeNs != b.timeNs) return a.timeNs < b.timeNs;
    return a.id < b.id;
  };
  count = std::min(count, points.size());
  std::partial_sort(points.begin(), points.begin() + count, points.end(), better);
  points.resize(count);
  return points;
}

std::vector<ScoredPoint> timeCostFront(const SearchOutcome& outcome) {
  std::vector<CostPair> pairs;
  pairs.reserve(outcome.points.size());
  for (const auto& p : outcome.points) pairs.push_back({p.timeNs, p.cost});
  std::vector<ScoredPoint> front;
  for (size_t i : paretoFront(pairs)) front.push_back(outcome.points[i]);
  return front;
}

}  // namespace pv::dse
