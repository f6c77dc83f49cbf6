// What pv-dot-predict prints: its predictions as a table, CSV or JSON Lines,
// next to the ground truth of a pv-uarch --report when one is given. Text
// only; the caller writes it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "stages/dot-predict/dot_predictor.h"
#include "stages/model-lib/uarch_report.h"

namespace pv {

enum class PredictionFormat { kText, kCsv, kJson };

struct ReportOptions {
  PredictionFormat format = PredictionFormat::kText;
  bool allTargets = false;  // T of every target, in the target's units
  bool intervals = false;   // rows start with the interval's first index and length
  const TruthTimes* truth = nullptr;  // compare with this (whole-program predictions only)
  // The microarchitectures whose M_u the model learned in training (null:
  // unknown). With a truth, the text summary then also gives the error over
  // these and over the others (held out, tuned afterwards, parametric).
  const std::set<std::string>* seenUarchs = nullptr;
  // Text only: a line printed before the summary (what the model saw).
  std::string caption;
};

// The whole output for `predictions` (a program, or its intervals): the
// header row (text and CSV), one line per prediction and microarchitecture,
// and in text with a truth the mean and max |error| over the
// microarchitectures whose truth is above 0 (the others show "-"); with
// seenUarchs and both kinds present, also over the seen and the unseen
// ones; the caption, when set, comes first.
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
  struct ErrorSummary {
    size_t count = 0;  // rows with a truth
    double sum = 0, max = 0;  // of |error|
    void add(double error);
  };
  ErrorSummary all_, seen_, unseen_;
};

}  // namespace pv
