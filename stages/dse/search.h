// The search of a design space with a model: every point's M_u from the
// model's parametric model (pv-tune --parametric), T = R_p . M_u of each
// program for the commit target (time in ns, as pv-dot-predict computes
// it), a cost, and the objective to minimize. Exhaustive when the space is
// small enough, otherwise uniform random sampling with a seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stages/dse/design_space.h"
#include "stages/dse/expression.h"
#include "stages/dse/pareto.h"
#include "stages/model-lib/model_file.h"

namespace pv::dse {

// A program representation R_p (pv-aggregate's program sum).
struct Program {
  std::string name;         // for output: the file's stem
  std::string input;        // for errors: the file
  std::string encoderHash;  // the encoder that made it (the stream header's)
  std::vector<double> sum;
  uint64_t instructions = 0;
};

// The original PerfVec's hardware cost: 1000 + 10 x L1 KB + L2 KB.
inline constexpr const char* kOriginalCost = "1000 + 10 * l1d.size_kb + l2.size_kb";

enum class ObjectiveKind { kTime, kTimeCost, kExpression };

struct ObjectiveOptions {
  ObjectiveKind kind = ObjectiveKind::kTime;
  std::string expression;            // kExpression: over the variables, time and cost
  std::string cost = kOriginalCost;  // over the variables and time
  bool geomean = false;              // time: the programs' geometric mean instead of their sum
};

// One evaluated point.
struct PointValue {
  std::vector<double> programTimesNs;  // per program
  double timeNs = 0;                   // their sum or geometric mean
  double cost = 0;
  double objective = 0;
};

class PointEvaluator {
 public:
  // Compiles the cost and objective expressions: throws ExpressionError
  // for a malformed one, its message starting with the flag (--cost,
  // --objective) and the expression. Throws StageError when
  // the model has no parametric model.
  PointEvaluator(const DesignSpace& space, const Model& model, std::vector<Program> programs,
                 const ObjectiveOptions& objective);

  const DesignSpace& space() const { return space_; }
  const std::vector<Program>& programs() const { return programs_; }

  // The point's values; `variables` are space().variablesAt(choice). Throws
  // StageError for a predicted negative time (naming the program and the
  // point) and DesignSpace::configAt's errors.
  PointValue evaluate(const PointChoice& choice, const std::vector<double>& variables) const;
  // The point's values for given per-program times (ns): what evaluate
  // computes from the predicted times, here from simulated ones.
  PointValue valueOf(const PointChoice& choice, const std::vector<double>& variables,
                     std::vector<double> programTimesNs) const;

 private:
  const DesignSpace& space_;
  const Model& model_;
  std::vector<Program> programs_;
  ObjectiveOptions options_;
  size_t timeTarget_;
  Expression cost_;
  std::optional<Expression> objective_;
};

// How a space larger than SearchOptions::maxPoints is searched.
enum class LargeSpaceSearch {
  kRandom,  // points drawn uniformly
  kNlopt,   // NLopt's controlled random search with local mutation (CRS2-LM) over the values' indices
};

struct SearchOptions {
  uint64_t maxPoints = 1'000'000;  // exhaustive up to this many points
  uint64_t samples = 100'000;      // a larger space: points drawn (random) or objective evaluations (nlopt)
  uint64_t seed = 1;
  LargeSpaceSearch large = LargeSpaceSearch::kRandom;
};

struct ScoredPoint {
  uint64_t id = 0;  // exhaustive: the point's index; otherwise: index into SearchOutcome::sampled
  double timeNs = 0;
  double cost = 0;
  double objective = 0;
};

struct SearchOutcome {
  bool exhaustive = true;
  std::string method;                // "exhaustive", "random" or "nlopt CRS2-LM"
  uint64_t spacePoints = 0;          // points in the space (saturated)
  uint64_t visited = 0;              // distinct points looked at
  std::vector<uint64_t> rejectedBy;  // per constraint: points it was the first to rule out
  std::vector<ScoredPoint> points;   // the points that satisfy the constraints
  std::vector<PointChoice> sampled;  // random and NLopt search: the points looked at, by id

  PointChoice choiceOf(const DesignSpace& space, const ScoredPoint& p) const {
    return exhaustive ? space.pointAt(p.id) : sampled[p.id];
  }
};

// Evaluates the space's points: all of them when there are at most
// options.maxPoints, else as options.large says. Throws StageError(space
// file, position of a constraint) when no point visited satisfies the
// constraints.
SearchOutcome searchSpace(const PointEvaluator& evaluator, const SearchOptions& options);

// The `count` best points by objective (ties: by time, then id).
std::vector<ScoredPoint> bestPoints(const SearchOutcome& outcome, size_t count);
// The Pareto front of (time, cost), by time ascending.
std::vector<ScoredPoint> timeCostFront(const SearchOutcome& outcome);

}  // namespace pv::dse
