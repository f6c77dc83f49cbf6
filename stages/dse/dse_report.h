// The report of a search: what was searched, the best points and the Pareto
// front of (time, cost), as a text table, CSV or JSON. Each reported point
// is evaluated again for its per-program times (a handful of dot products),
// so the search keeps only four numbers a point.
#pragma once

#include <string>

#include "stages/dse/refinement.h"
#include "stages/dse/search.h"

namespace pv::dse {

enum class ReportFormat { kText, kCsv, kJson };

struct ReportOptions {
  ReportFormat format = ReportFormat::kText;
  size_t top = 10;
  std::string objectiveText;  // how the objective is described: "time", "time-cost" or the expression
  // A refinement by simulation before the search (the evaluator's model is
  // then the refitted one): its simulated points, the chosen one, the time.
  const Refinement* refinement = nullptr;
};

// The whole report. CSV: one row a point, "set" saying best (with its
// rank), pareto or simulated (ranked by the simulated objective, the values
// simulated). JSON: one object.
std::string formatReport(const PointEvaluator& evaluator, const SearchOutcome& outcome, const ReportOptions& options);

}  // namespace pv::dse
