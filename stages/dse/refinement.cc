// The refinement loop: search, simulate the best unsimulated points, fit
// their M_u, refit the parametric model, again.

#include "stages/dse/refinement.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <set>

#include "stages/core/stage_error.h"
#include "stages/model-lib/prediction.h"
#include "stages/model-lib/uarch_params.h"

namespace pv::dse {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// M_u of a simulated point: the parametric M(params) with the time target's
// row refitted so that R_p . m reproduces the simulated times (one equation
// a program; with fewer programs than the width H the ridge keeps m near
// M(params) in the directions the programs do not see).
Microarchitecture fittedPoint(const Model& model, const DesignSpace& space, const PointToSimulate& p,
                              const std::vector<Program>& programs, const std::vector<double>& timesNs,
                              double ridge) {
  Microarchitecture u = fromConfig(space.configAt(p.choice, p.name));
  u.origin = "simulated";
  u.representation = parametricRepresentation(model, u, space.file());
  const size_t h = model.architecture.hidden, target = timeTargetIndex(model);
  std::vector<double> x, y, prior(h);
  for (size_t i = 0; i < programs.size(); ++i) {
    x.insert(x.end(), programs[i].sum.begin(), programs[i].sum.end());
    y.push_back(timesNs[i] * kTimeUnitsPerNs);
  }
  for (size_t d = 0; d < h; ++d) prior[d] = u.representation[target * h + d];
  const std::vector<double> m =
      model.nonNegativeUarchs ? fit::nonNegativeRidgeFit(x, y, h, prior, ridge) : fit::ridgeFit(x, y, h, prior, ridge);
  for (size_t d = 0; d < h; ++d) u.representation[target * h + d] = static_cast<float>(m[d]);
  return u;
}

}  // namespace

Refinement refineBySimulation(const DesignSpace& space, const Model& model, const std::vector<Program>& programs,
                              const ObjectiveOptions& objective, const SearchOptions& search,
                              const RefineOptions& options, const Simulator& simulate, std::ostream* log) {
  Refinement out;
  out.model = model;
  std::set<PointChoice> done;
  for (size_t round = 1; round <= options.rounds; ++round) {
    // Rank the space with the model as it stands.
    const PointEvaluator evaluator(space, out.model, programs, objective);
    const SearchOutcome outcome = searchSpace(evaluator, search);
    std::vector<SimulatedPoint> batch;
    for (const ScoredPoint& s : bestPoints(outcome, outcome.points.size())) {
      if (batch.size() == options.perRound) break;
      PointChoice choice = outcome.choiceOf(space, s);
      if (done.count(choice)) continue;
      done.insert(choice);
      SimulatedPoint p;
      p.round = round;
      p.point.name = fmt::format("sim-{}", out.simulated.size() + batch.size() + 1);
      p.point.choice = choice;
      p.point.configToml = space.configTomlAt(choice, p.point.name);
      p.predicted = evaluator.evaluate(choice, space.variablesAt(choice));
      batch.push_back(std::move(p));
    }
    if (batch.empty()) break;  // every feasible point is simulated
    if (log) *log << fmt::format("pv-dse: round {}: simulating {} point(s)\n", round, batch.size()) << std::flush;
    std::vector<PointToSimulate> points;
    for (const auto& p : batch) points.push_back(p.point);
    const auto simulateStart = std::chrono::steady_clock::now();
    const std::vector<std::vector<double>> times = simulate(points);
    out.simulateSeconds += secondsSince(simulateStart);
    if (times.size() != batch.size())
      throw StageError("simulation", "", fmt::format("{} results for {} points", times.size(), batch.size()));
    const auto fitStart = std::chrono::steady_clock::now();
    for (size_t i = 0; i < batch.size(); ++i) {
      SimulatedPoint& p = batch[i];
      if (times[i].size() != programs.size())
        throw StageError("simulation", "",
                         fmt::format("point {}: {} times for {} programs", p.point.name, times[i].size(), programs.size()));
      for (size_t j = 0; j < programs.size(); ++j)
        if (!(times[i][j] > 0) || !std::isfinite(times[i][j]))
          throw StageError(programs[j].input, "",
                           fmt::format("simulated time {} ns at point {} ({}): not a time above 0", times[i][j],
                                       space.describe(p.point.choice), p.point.name));
      p.simulated = evaluator.valueOf(p.point.choice, space.variablesAt(p.point.choice), times[i]);
      out.model.uarchs.push_back(fittedPoint(out.model, space, p.point, programs, times[i], options.ridge));
      out.simulated.push_back(std::move(p));
    }
    // The refit starts from the same seed each time: the parametric model
    // depends on the points it is fitted on, not on the rounds before.
    const double loss = fit::fitParametricModel(out.model, options.mlp);
    out.fitSeconds += secondsSince(fitStart);
    if (log)
      *log << fmt::format("pv-dse: round {}: parametric model refitted on {} simulated point(s), loss {:.4g}\n", round,
                          out.simulated.size(), loss)
           << std::flush;
  }
  for (size_t i = 1; i < out.simulated.size(); ++i)
    if (out.simulated[i].simulated.objective < out.simulated[out.chosen].simulated.objective) out.chosen = i;
  return out;
}

}  // namespace pv::dse
