// Text, CSV and JSON from one list of reported rows.

#include "stages/dse/dse_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace pv::dse {
namespace {

struct Row {
  std::string set;  // "best" or "pareto"
  size_t rank = 0;  // 1.. within the set
  ScoredPoint point;
  PointChoice choice;
  PointValue value;
};

std::vector<Row> rowsOf(const PointEvaluator& evaluator, const SearchOutcome& outcome, const std::string& set,
                        const std::vector<ScoredPoint>& points) {
  std::vector<Row> rows;
  const DesignSpace& space = evaluator.space();
  for (size_t i = 0; i < points.size(); ++i) {
    PointChoice choice = outcome.choiceOf(space, points[i]);
    PointValue value = evaluator.evaluate(choice, space.variablesAt(choice));
    rows.push_back({set, i + 1, points[i], std::move(choice), std::move(value)});
  }
  return rows;
}

// A refinement's simulated points as rows, by simulated objective (ties: the
// order simulated), the values simulated.
std::vector<Row> simulatedRows(const Refinement& refinement) {
  std::vector<size_t> order(refinement.simulated.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return refinement.simulated[a].simulated.objective < refinement.simulated[b].simulated.objective;
  });
  std::vector<Row> rows;
  for (size_t r = 0; r < order.size(); ++r) {
    const SimulatedPoint& p = refinement.simulated[order[r]];
    rows.push_back({"simulated", r + 1, ScoredPoint{}, p.point.choice, p.simulated});
  }
  return rows;
}

double relativeError(double predicted, double truth) { return truth > 0 ? (predicted - truth) / truth : 0.0; }

std::string searchLine(const SearchOutcome& o) {
  return fmt::format("{}: {} of {} points looked at, {} satisfy the constraints", o.method, o.visited, o.spacePoints,
                     o.points.size());
}

std::string text(const PointEvaluator& evaluator, const SearchOutcome& outcome, const ReportOptions& options,
                 const std::vector<Row>& best, const std::vector<Row>& front) {
  const DesignSpace& space = evaluator.space();
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "space      {} (base {})\n", space.file(), space.basePath());
  fmt::format_to(it, "search     {}\n", searchLine(outcome));
  for (size_t c = 0; c < space.constraints().size(); ++c)
    fmt::format_to(it, "constraint \"{}\" ruled out {}\n", space.constraints()[c].text, outcome.rejectedBy[c]);
  fmt::format_to(it, "programs   {}:", evaluator.programs().size());
  for (const auto& p : evaluator.programs()) fmt::format_to(it, " {} ({} instructions)", p.name, p.instructions);
  fmt::format_to(it, "\nobjective  {}\n", options.objectiveText);
  // A column is as wide as its name, at least 14.
  auto width = [](const std::string& name) { return std::max<size_t>(14, name.size()); };
  auto table = [&](const std::vector<Row>& rows) {
    fmt::format_to(it, "{:>5} {:>14} {:>14} {:>12}", "rank", "objective", "time ns", "cost");
    for (const auto& p : space.parameters()) fmt::format_to(it, " {:>{}}", p.key, width(p.key));
    for (const auto& p : evaluator.programs()) fmt::format_to(it, " {:>{}}", p.name + " ns", width(p.name + " ns"));
    out += '\n';
    for (const Row& r : rows) {
      fmt::format_to(it, "{:>5} {:>14.6g} {:>14.6g} {:>12.6g}", r.rank, r.value.objective, r.value.timeNs,
                     r.value.cost);
      for (size_t i = 0; i < r.choice.size(); ++i) {
        const SpaceParameter& p = space.parameters()[i];
        fmt::format_to(it, " {:>{}}", valueText(p.values[r.choice[i]]), width(p.key));
      }
      for (size_t p = 0; p < r.value.programTimesNs.size(); ++p)
        fmt::format_to(it, " {:>{}.6g}", r.value.programTimesNs[p], width(evaluator.programs()[p].name + " ns"));
      out += '\n';
    }
  };
  if (const Refinement* r = options.refinement) {
    size_t rounds = 0;
    for (const auto& p : r->simulated) rounds = std::max(rounds, p.round);
    fmt::format_to(it,
                   "refinement {} point(s) simulated with pv-uarch in {} round(s): {:.1f} s simulating, {:.1f} s "
                   "refitting; the search below uses the parametric model refitted on them\n",
                   r->simulated.size(), rounds, r->simulateSeconds, r->fitSeconds);
    fmt::format_to(it, "\nsimulated points, in the order simulated (objective: predicted when chosen, simulated)\n");
    fmt::format_to(it, "{:>5} {:>8} {:>14} {:>14} {:>8}", "round", "point", "predicted", "simulated", "error");
    for (const auto& p : space.parameters()) fmt::format_to(it, " {:>{}}", p.key, width(p.key));
    out += '\n';
    for (const auto& p : r->simulated) {
      fmt::format_to(it, "{:>5} {:>8} {:>14.6g} {:>14.6g} {:>7.1f}%", p.round, p.point.name, p.predicted.objective,
                     p.simulated.objective, 100 * relativeError(p.predicted.objective, p.simulated.objective));
      for (size_t i = 0; i < p.point.choice.size(); ++i)
        fmt::format_to(it, " {:>{}}", valueText(space.parameters()[i].values[p.point.choice[i]]),
                       width(space.parameters()[i].key));
      out += '\n';
    }
    const SimulatedPoint& c = r->simulated[r->chosen];
    fmt::format_to(it, "\nchosen     {} ({}): simulated objective {:.6g}, time {:.6g} ns, cost {:.6g}\n", c.point.name,
                   space.describe(c.point.choice), c.simulated.objective, c.simulated.timeNs, c.simulated.cost);
    fmt::format_to(it, "\nsimulated points by simulated objective\n");
    table(simulatedRows(*r));
  }
  fmt::format_to(it, "\nbest {} points by objective\n", best.size());
  table(best);
  fmt::format_to(it, "\nPareto front of (time, cost): {} points, fastest first\n", front.size());
  table(front);
  return out;
}

std::string csv(const PointEvaluator& evaluator, const std::vector<Row>& best, const std::vector<Row>& front,
                const std::vector<Row>& simulated) {
  const DesignSpace& space = evaluator.space();
  std::string out = "set,rank,objective,time_ns,cost";
  for (const auto& p : space.parameters()) out += "," + p.key;
  for (const auto& p : evaluator.programs()) out += ",time_ns:" + p.name;
  out += '\n';
  auto it = std::back_inserter(out);
  for (const auto* rows : {&best, &front, &simulated})
    for (const Row& r : *rows) {
      fmt::format_to(it, "{},{},{:.9g},{:.9g},{:.9g}", r.set, r.rank, r.value.objective, r.value.timeNs, r.value.cost);
      for (size_t i = 0; i < r.choice.size(); ++i) out += "," + valueText(space.parameters()[i].values[r.choice[i]]);
      for (double t : r.value.programTimesNs) fmt::format_to(it, ",{:.9g}", t);
      out += '\n';
    }
  return out;
}

nlohmann::json jsonValue(const ParameterValue& v) {
  return std::visit([](const auto& x) { return nlohmann::json(x); }, v);
}

std::string json(const PointEvaluator& evaluator, const SearchOutcome& outcome, const ReportOptions& options,
                 const std::vector<Row>& best, const std::vector<Row>& front) {
  const DesignSpace& space = evaluator.space();
  nlohmann::json j;
  j["space"] = space.file();
  j["base"] = space.basePath();
  j["search"] = outcome.method;
  j["space_points"] = outcome.spacePoints;
  j["visited"] = outcome.visited;
  j["feasible"] = outcome.points.size();
  j["objective"] = options.objectiveText;
  j["constraints"] = nlohmann::json::array();
  for (size_t c = 0; c < space.constraints().size(); ++c)
    j["constraints"].push_back({{"expression", space.constraints()[c].text}, {"ruled_out", outcome.rejectedBy[c]}});
  j["programs"] = nlohmann::json::array();
  for (const auto& p : evaluator.programs())
    j["programs"].push_back({{"name", p.name}, {"input", p.input}, {"instructions", p.instructions}});
  // A point's values by parameter, and per-program times by program.
  auto parameters = [&](const PointChoice& choice) {
    nlohmann::json params = nlohmann::json::object();
    for (size_t i = 0; i < choice.size(); ++i)
      params[space.parameters()[i].key] = jsonValue(space.parameters()[i].values[choice[i]]);
    return params;
  };
  auto programTimes = [&](const std::vector<double>& timesNs) {
    nlohmann::json times = nlohmann::json::object();
    for (size_t p = 0; p < evaluator.programs().size(); ++p) times[evaluator.programs()[p].name] = timesNs[p];
    return times;
  };
  auto points = [&](const std::vector<Row>& rows) {
    nlohmann::json a = nlohmann::json::array();
    for (const Row& r : rows) {
      a.push_back({{"rank", r.rank},
                   {"objective", r.value.objective},
                   {"time_ns", r.value.timeNs},
                   {"cost", r.value.cost},
                   {"parameters", parameters(r.choice)},
                   {"program_time_ns", programTimes(r.value.programTimesNs)}});
    }
    return a;
  };
  j["best"] = points(best);
  j["pareto"] = points(front);
  if (const Refinement* r = options.refinement) {
    nlohmann::json ref;
    ref["simulate_seconds"] = r->simulateSeconds;
    ref["fit_seconds"] = r->fitSeconds;
    ref["chosen"] = r->simulated[r->chosen].point.name;
    ref["points"] = nlohmann::json::array();
    for (const auto& p : r->simulated) {
      ref["points"].push_back({{"name", p.point.name},
                               {"round", p.round},
                               {"parameters", parameters(p.point.choice)},
                               {"predicted", {{"objective", p.predicted.objective}, {"time_ns", p.predicted.timeNs}}},
                               {"simulated",
                                {{"objective", p.simulated.objective},
                                 {"time_ns", p.simulated.timeNs},
                                 {"cost", p.simulated.cost},
                                 {"program_time_ns", programTimes(p.simulated.programTimesNs)}}}});
    }
    j["refinement"] = std::move(ref);
  }
  return j.dump(2) + "\n";
}

}  // namespace

std::string formatReport(const PointEvaluator& evaluator, const SearchOutcome& outcome, const ReportOptions& options) {
  const std::vector<Row> best = rowsOf(evaluator, outcome, "best", bestPoints(outcome, options.top));
  const std::vector<Row> front = rowsOf(evaluator, outcome, "pareto", timeCostFront(outcome));
  const std::vector<Row> simulated = options.refinement ? simulatedRows(*options.refinement) : std::vector<Row>{};
  switch (options.format) {
    case ReportFormat::kCsv:
      return csv(evaluator, best, front, simulated);
    case ReportFormat::kJson:
      return json(evaluator, outcome, options, best, front);
    case ReportFormat::kText:
      break;
  }
  return text(evaluator, outcome, options, best, front);
}

}  // namespace pv::dse
