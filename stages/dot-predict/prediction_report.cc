// pv-dot-predict's output formats and its ground-truth reader.

#include "stages/dot-predict/prediction_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"

namespace pv {
namespace {

using Json = nlohmann::ordered_json;

// The numbers as CSV prints them, so that the formats agree.
double significant9(double x) { return std::strtod(fmt::format("{:.9g}", x).c_str(), nullptr); }
double decimals6(double x) { return std::strtod(fmt::format("{:.6f}", x).c_str(), nullptr); }

std::string headerRow(const std::vector<std::string>& targetNames, const ReportOptions& o) {
  std::string out;
  auto it = std::back_inserter(out);
  const bool truth = o.truth != nullptr;
  switch (o.format) {
    case PredictionFormat::kJson:
      return out;
    case PredictionFormat::kCsv:
      if (o.intervals) out += "first_index,instructions,";
      out += "uarch,time_ns,clock_ghz,cycles,cpi";
      if (truth) out += ",truth_ns,error";
      if (o.allTargets)
        for (const auto& t : targetNames) out += "," + t;
      break;
    case PredictionFormat::kText:
      if (o.intervals) fmt::format_to(it, "{:>12} {:>12} ", "first", "instructions");
      fmt::format_to(it, "{:<24} {:>16} {:>16} {:>9}", "uarch", "time ns", "cycles", "CPI");
      if (truth) fmt::format_to(it, " {:>16} {:>9}", "truth ns", "error");
      if (o.allTargets)
        for (const auto& t : targetNames) fmt::format_to(it, " {:>12}", t);
      break;
  }
  out += '\n';
  return out;
}

// The truth of a prediction's microarchitecture, if above 0.
const double* truthOf(const UarchPrediction& u, const TruthTimes* truth) {
  if (!truth) return nullptr;
  const std::string suffix = " (parametric)";
  const std::string name =
      u.uarch.ends_with(suffix) ? u.uarch.substr(0, u.uarch.size() - suffix.size()) : u.uarch;
  auto known = truth->find(name);
  return known != truth->end() && known->second > 0 ? &known->second : nullptr;
}

// A row's error and whether its microarchitecture was seen in training.
struct RowError {
  double error;
  bool seen;
};

void appendRows(const Prediction& p, const std::vector<std::string>& targetNames, const ReportOptions& o,
                std::vector<RowError>& errors, std::string& out) {
  auto it = std::back_inserter(out);
  for (const auto& u : p.uarchs) {
    const double* truth = truthOf(u, o.truth);
    const double error = truth ? (u.timeNs - *truth) / *truth : 0;
    if (truth) errors.push_back({error, o.seenUarchs && o.seenUarchs->contains(u.uarch)});
    switch (o.format) {
      case PredictionFormat::kText:
        if (o.intervals) fmt::format_to(it, "{:>12} {:>12} ", p.firstIndex, p.instructions);
        fmt::format_to(it, "{:<24} {:>16.6g} ", u.uarch, u.timeNs);
        if (u.clockGhz > 0)
          fmt::format_to(it, "{:>16.6g} {:>9.4f}", u.cycles, u.cpi);
        else
          fmt::format_to(it, "{:>16} {:>9}", "-", "-");
        if (o.truth) {
          if (truth)
            fmt::format_to(it, " {:>16.6g} {:>+8.2f}%", *truth, 100 * error);
          else
            fmt::format_to(it, " {:>16} {:>9}", "-", "-");
        }
        if (o.allTargets)
          for (double t : u.targets) fmt::format_to(it, " {:>12.6g}", t);
        out += '\n';
        break;
      case PredictionFormat::kCsv:
        if (o.intervals) fmt::format_to(it, "{},{},", p.firstIndex, p.instructions);
        fmt::format_to(it, "{},{:.9g},{:.9g},{:.9g},{:.9g}", u.uarch, u.timeNs, u.clockGhz, u.cycles, u.cpi);
        if (o.truth) {
          if (truth)
            fmt::format_to(it, ",{:.9g},{:.6f}", *truth, error);
          else
            out += ",,";
        }
        if (o.allTargets)
          for (double t : u.targets) fmt::format_to(it, ",{:.9g}", t);
        out += '\n';
        break;
      case PredictionFormat::kJson: {
        Json line;
        line["uarch"] = u.uarch;
        line["first_index"] = p.firstIndex;
        line["instructions"] = p.instructions;
        line["time_ns"] = significant9(u.timeNs);
        if (u.clockGhz > 0) {
          line["clock_ghz"] = significant9(u.clockGhz);
          line["cycles"] = significant9(u.cycles);
          line["cpi"] = significant9(u.cpi);
        }
        if (truth) {
          line["truth_ns"] = significant9(*truth);
          line["error"] = decimals6(error);
        }
        if (o.allTargets) {
          Json targets = Json::object();
          for (size_t t = 0; t < u.targets.size() && t < targetNames.size(); ++t)
            targets[targetNames[t]] = significant9(u.targets[t]);
          line["targets"] = std::move(targets);
        }
        // A name that is not UTF-8 is printed with U+FFFD, never refused.
        out += line.dump(-1, ' ', false, Json::error_handler_t::replace);
        out += '\n';
        break;
      }
    }
  }
}

}  // namespace

PredictionReport::PredictionReport(std::vector<std::string> targetNames, ReportOptions options)
    : targetNames_(std::move(targetNames)), options_(options) {}

std::string PredictionReport::begin() const { return headerRow(targetNames_, options_); }

void PredictionReport::ErrorSummary::add(double error) {
  ++count;
  sum += std::fabs(error);
  max = std::max(max, std::fabs(error));
}

void PredictionReport::add(const Prediction& prediction, std::string& out) {
  std::vector<RowError> errors;
  appendRows(prediction, targetNames_, options_, errors, out);
  for (const auto& e : errors) {
    all_.add(e.error);
    (e.seen ? seen_ : unseen_).add(e.error);
  }
}

std::string PredictionReport::end() const {
  if (options_.format != PredictionFormat::kText) return "";
  std::string out;
  if (!options_.caption.empty()) out += options_.caption + "\n";
  if (all_.count == 0) return out;
  out += fmt::format("mean |error| {:.2f}%, max {:.2f}% over {} microarchitectures with a truth\n",
                     100 * all_.sum / all_.count, 100 * all_.max, all_.count);
  if (options_.seenUarchs && seen_.count > 0 && unseen_.count > 0) {
    out += fmt::format("  {} seen in training: mean |error| {:.2f}%, max {:.2f}%\n", seen_.count,
                       100 * seen_.sum / seen_.count, 100 * seen_.max);
    out += fmt::format("  {} not seen in training: mean |error| {:.2f}%, max {:.2f}%\n", unseen_.count,
                       100 * unseen_.sum / unseen_.count, 100 * unseen_.max);
  }
  return out;
}

std::string formatPredictions(const std::vector<Prediction>& predictions,
                              const std::vector<std::string>& targetNames, const ReportOptions& options) {
  PredictionReport report(targetNames, options);
  std::string out = report.begin();
  for (const auto& p : predictions) report.add(p, out);
  return out + report.end();
}

}  // namespace pv
