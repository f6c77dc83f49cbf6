// Whole-run totals of each simulated microarchitecture (cycles, time,
// CPI/IPC, cache and branch statistics) as named values, and their text,
// CSV and JSON forms. Formatting only; the caller writes the string.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "stages/uarch/core_model.h"

namespace pv::uarch {

struct RunReport {
  // (key, value) in a fixed order; values are numbers or quoted strings in
  // JSON, "" for a level the configuration does not have.
  std::vector<std::pair<std::string, std::string>> values;
  // Numeric copies of the main totals, for tests.
  double timeNs = 0;
  double cpi = 0;
};

RunReport reportOf(const CoreModel& model);

enum class ReportFormat { kText, kCsv, kJson };
// The format a report file's name asks for (.csv, .json, else text).
ReportFormat reportFormatFor(const std::string& path);
std::string formatReports(const std::vector<RunReport>& reports, ReportFormat format);

}  // namespace pv::uarch
