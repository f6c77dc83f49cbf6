// The reader of pv-uarch's --report in JSON: the ground truth that
// pv-dot-predict compares with and pv-dse refines with.

#include "stages/model-lib/uarch_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"

namespace pv {
namespace {

using Json = nlohmann::ordered_json;

// "LINE:COLUMN" (1-based) of the byte at `offset`.
std::string lineColumn(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, lineStart = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  return fmt::format("{}:{}", line, offset - lineStart + 1);
}

// nlohmann's reason without its "[json.exception.KIND.N] " and "parse error
// at line L, column C: " prefixes (the place is given as the position).
std::string parseReason(std::string what) {
  if (what.starts_with("[json.exception.")) what.erase(0, what.find("] ") + 2);
  if (what.starts_with("parse error")) what.erase(0, what.find(": ") + 2);
  return what;
}

}  // namespace

TruthTimes parseTruth(std::string_view text, const std::string& name) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.byte counts the bytes read: the place is the last one, where the parser stopped.
    throw StageError(name, lineColumn(text, e.byte > 0 ? e.byte - 1 : 0), "not JSON: " + parseReason(e.what()));
  } catch (const Json::out_of_range& e) {
    // A number too large for a double: "number overflow parsing '1e999'", placed at that literal.
    const std::string reason = parseReason(e.what());
    const size_t open = reason.find('\''), close = reason.rfind('\'');
    const size_t at = open < close ? text.find(reason.substr(open + 1, close - open - 1)) : std::string_view::npos;
    throw StageError(name, at == std::string_view::npos ? "" : lineColumn(text, at), "not a report: " + reason);
  }
  if (!doc.is_array())
    throw StageError(name, "", "not a pv-uarch report (a JSON array of {\"uarch\", \"time_ns\", ...})");
  TruthTimes truth;
  std::map<std::string, size_t> entryOf;
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& e = doc[i];
    const std::string entry = fmt::format("entry {}", i + 1);
    if (!e.is_object() || !e.contains("uarch") || !e["uarch"].is_string() || !e.contains("time_ns") ||
        !e["time_ns"].is_number())
      throw StageError(name, entry, "no \"uarch\" name or numeric \"time_ns\"");
    const std::string uarch = e["uarch"].get<std::string>();
    const double time = e["time_ns"].get<double>();
    if (!std::isfinite(time) || time < 0)
      throw StageError(name, entry, fmt::format("uarch '{}': time_ns {} is not a time (finite, >= 0)", uarch, time));
    if (auto [at, added] = entryOf.emplace(uarch, i + 1); !added)
      throw StageError(name, entry, fmt::format("uarch '{}' again (entry {} has it)", uarch, at->second));
    truth[uarch] = time;
  }
  return truth;
}

TruthTimes readTruth(const std::string& path) { return parseTruth(readFileBytes(path), path); }

}  // namespace pv
