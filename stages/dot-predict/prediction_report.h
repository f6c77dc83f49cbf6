// What pv-dot-predict prints: its predictions as a table, CSV or JSON Lines,
// next to the ground truth of a pv-uarch --report when one is given. Text
// only; the caller writes it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "stages/dot-predict/dot_predictor.h"

namespace pv {

// Ground truth by microarchitecture name: the execution time in ns.
using TruthTimes = std::map<std::string, double>;

// A pv-uarch report in JSON (a JSON array of objects with at least "uarch",
// a string, and "time_ns", a finite number >= 0). Throws StageError naming
// `name` and where: "LINE:COLUMN" for text that is not JSON, "entry N"
// (1-based) for an entry without those keys, a negative or non-finite
// time, or a microarchitecture named twice.
TruthTimes parseTruth(std::string_view text, const std::string& name);
// The same for a file (a StageError naming it when it cannot be read).
TruthTimes readTruth(const std::string& path);

enum class PredictionFormat { kText, kCsv, kJson };

struct ReportOptions {
  PredictionFormat format = PredictionFormat::kText;
  bool allTargets = false;  // T of every target, in the target's units
  bool intervals = false;   // rows start with the interval's first index and length
  const TruthTimes* truth = nullptr;  // compare with this (whole-program predictions only)
};

// The whole output for `predictions` (a program, or its intervals): the
// header row (text and CSV), one line per prediction and microarchitecture,
// and in text with a truth the mean and max |error| over the
// microarchitectures whose truth is above 0 (the others show "-").
// `targetNames` are the model's. A prediction named "NAME (parametric)" is
// compared with NAME's truth.
//   text: uarch, time ns, cycles and CPI ("-" without a clock), truth ns
//         and error in %, targets (%.6g; CPI %.4f)
//   csv:  uarch,time_ns,clock_ghz,cycles,cpi[,truth_ns,error][,TARGET...]
//         (%.9g; error as a fraction, 6 decimals; no truth: empty cells)
//   json: {"uarch", "first_index", "instructions", "time_ns"[, "clock_ghz",
//         "cycles", "cpi"][, "truth_ns", "error"][, "targets": {...}]}
//         (9 significant digits; error 6 decimals)
std::string formatPredictions(const std::vector<Prediction>& predictions,
                              const std::vector<std::string>& targetNames, const ReportOptions& options);

// The same output piece by piece, so that a program's intervals are printed
// as they stream in (memory flat in their number): begin(), add() for each
// prediction, end(); their concatenation is formatPredictions().
class PredictionReport {
 public:
  PredictionReport(std::vector<std::string> targetNames, ReportOptions options);
  std::string begin() const;  // the header row (none in JSON)
  void add(const Prediction& prediction, std::string& out);
  std::string end() const;  // the summary line (text with a truth)

 private:
  std::vector<std::string> targetNames_;
  ReportOptions options_;
  size_t errorCount_ = 0;  // |error| over the rows with a truth
  double errorSum_ = 0, errorMax_ = 0;
};

}  // namespace pv
