// Point evaluation (parametric M_u, dot products, cost, objective) and the
// exhaustive and random searches.

#include "stages/dse/search.h"

#include <fmt/format.h>
#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
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

using PointVisitor = std::function<std::optional<double>(const PointChoice&, uint64_t id)>;

// NLopt over the indices of the values: coordinate i in [-0.5, n_i - 0.5]
// rounds to a value of parameter i (parameters of one value stay out). A
// point is looked at once (a cache of the objective by point); a point the
// constraints rule out is +inf to the optimizer. CRS2-LM needs no
// gradient, which a grid has not, and takes the seed through nlopt_srand.
class NloptSearch {
 public:
  NloptSearch(const DesignSpace& space, SearchOutcome& out, const PointVisitor& visit)
      : space_(space), out_(out), visit_(visit) {
    for (size_t i = 0; i < space.parameters().size(); ++i)
      if (space.parameters()[i].values.size() > 1) free_.push_back(i);
  }

  void run(const SearchOptions& options) {
    const unsigned n = static_cast<unsigned>(free_.size());
    nlopt_opt opt = nlopt_create(NLOPT_GN_CRS2_LM, n);
    if (!opt) throw StageError("nlopt", "", "cannot create the optimizer");
    std::vector<double> lower(n), upper(n), x(n);
    for (unsigned d = 0; d < n; ++d) {
      lower[d] = -0.5;
      upper[d] = double(space_.parameters()[free_[d]].values.size()) - 0.5;
      x[d] = (lower[d] + upper[d]) / 2;
    }
    nlopt_srand(options.seed);
    nlopt_set_lower_bounds(opt, lower.data());
    nlopt_set_upper_bounds(opt, upper.data());
    nlopt_set_min_objective(opt, &NloptSearch::objective, this);
    nlopt_set_maxeval(opt, static_cast<int>(std::min<uint64_t>(options.samples, INT32_MAX)));
    opt_ = opt;
    double best = 0;
    const nlopt_result result = nlopt_optimize(opt, x.data(), &best);
    nlopt_destroy(opt);
    // An error of a point (a negative time, a configuration the format
    // refuses) stopped the optimizer: it is the search's error.
    if (failure_) std::rethrow_exception(failure_);
    // Ending without a feasible point is reported by the caller; other
    // failures are NLopt's.
    if (result < 0 && result != NLOPT_ROUNDOFF_LIMITED && !out_.points.empty())
      throw StageError("nlopt", "", fmt::format("the optimizer failed (NLopt result {})", int(result)));
  }

 private:
  static double objective(unsigned n, const double* x, double* /*gradient*/, void* self) {
    auto& s = *static_cast<NloptSearch*>(self);
    PointChoice choice(s.space_.parameters().size(), 0);
    for (unsigned d = 0; d < n; ++d) {
      const double last = double(s.space_.parameters()[s.free_[d]].values.size() - 1);
      choice[s.free_[d]] = static_cast<size_t>(std::clamp(std::round(x[d]), 0.0, last));
    }
    if (auto it = s.seen_.find(choice); it != s.seen_.end()) return it->second;
    double value = HUGE_VAL;
    try {
      s.out_.sampled.push_back(choice);
      if (auto v = s.visit_(choice, s.out_.sampled.size() - 1)) value = *v;
    } catch (...) {
      // No exception may cross NLopt's C frames.
      s.failure_ = std::current_exception();
      nlopt_force_stop(s.opt_);
    }
    s.seen_.emplace(std::move(choice), value);
    return value;
  }

  const DesignSpace& space_;
  SearchOutcome& out_;
  const PointVisitor& visit_;
  std::vector<size_t> free_;
  std::map<PointChoice, double> seen_;
  nlopt_opt opt_ = nullptr;
  std::exception_ptr failure_;
};

void searchWithNlopt(const DesignSpace& space, const SearchOptions& options, SearchOutcome& out,
                     const PointVisitor& visit) {
  NloptSearch(space, out, visit).run(options);
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
  std::vector<double> times;
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
    times.push_back(t / kTimeUnitsPerNs);
  }
  return valueOf(choice, variables, std::move(times));
}

PointValue PointEvaluator::valueOf(const PointChoice& choice, const std::vector<double>& variables,
                                   std::vector<double> programTimesNs) const {
  PointValue v;
  v.programTimesNs = std::move(programTimesNs);
  double logSum = 0;
  for (double ns : v.programTimesNs) {
    v.timeNs += ns;
    logSum += std::log(ns);
  }
  if (options_.geomean) v.timeNs = std::exp(logSum / double(v.programTimesNs.size()));
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
  // Looks at a point; its objective, or nullopt when a constraint rules it out.
  const PointVisitor visit = [&](const PointChoice& choice, uint64_t id) -> std::optional<double> {
    ++out.visited;
    const std::vector<double> vars = space.variablesAt(choice);
    if (auto broken = space.brokenConstraint(vars)) {
      ++out.rejectedBy[*broken];
      return std::nullopt;
    }
    const PointValue v = evaluator.evaluate(choice, vars);
    out.points.push_back({id, v.timeNs, v.cost, v.objective});
    return v.objective;
  };
  if (out.exhaustive) {
    out.method = "exhaustive";
    for (uint64_t i = 0; i < out.spacePoints; ++i) visit(space.pointAt(i), i);
  } else if (options.large == LargeSpaceSearch::kNlopt) {
    out.method = "nlopt CRS2-LM";
    searchWithNlopt(space, options, out, visit);
  } else {
    out.method = "random";
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
