// Run reports: totals per microarchitecture in text, CSV and JSON.

#include "stages/uarch/run_report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace pv::uarch {

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
std::string integer(uint64_t v) { return std::to_string(v); }
std::string ratio(uint64_t part, uint64_t whole) {
  return whole ? number(double(part) / double(whole)) : "0";
}
// A value of the report in JSON: null for a level the configuration does
// not have, otherwise the number its text says. Counts (digits only) stay
// integers; the others are the double nearest their text ("%.6g", time_ns
// "%.3f"), which nlohmann prints in its shortest round-trip form: the same
// value, with the digits the text has ("0.333333"), though whole numbers
// gain ".0" and fixed decimals lose their trailing zeros (time_ns 1234.500
// is 1234.5). Values that are not numbers stay strings.
nlohmann::ordered_json jsonValue(const std::string& text) {
  if (text.empty()) return nullptr;
  const char* end = text.data() + text.size();
  uint64_t count = 0;
  if (auto r = std::from_chars(text.data(), end, count); r.ec == std::errc() && r.ptr == end) return count;
  double number = 0;
  if (auto r = std::from_chars(text.data(), end, number); r.ec == std::errc() && r.ptr == end) return number;
  return text;
}

}  // namespace

RunReport reportOf(const CoreModel& model) {
  const UarchConfig& c = model.config();
  const CoreStats& s = model.stats();
  const MemoryStats& m = model.memoryStats();
  RunReport r;
  auto add = [&](std::string key, std::string value) { r.values.emplace_back(std::move(key), std::move(value)); };
  const uint64_t cycles = uint64_t(std::max<int64_t>(0, s.cycles));
  r.timeNs = double(cycles) * c.periodPs() / 1000.0;
  r.cpi = s.instructions ? double(cycles) / double(s.instructions) : 0.0;
  add("uarch", c.name);
  add("core", c.core.kind == CoreKind::kInOrder ? "in_order" : "out_of_order");
  add("frequency_ghz", number(c.core.frequencyGhz));
  add("instructions", integer(s.instructions));
  add("cycles", integer(cycles));
  char time[64];
  std::snprintf(time, sizeof time, "%.3f", r.timeNs);  // whole picoseconds
  add("time_ns", time);
  add("cpi", number(r.cpi));
  add("ipc", cycles ? number(double(s.instructions) / double(cycles)) : "0");
  add("loads", integer(s.loads));
  add("stores", integer(s.stores));
  add("forwarded_loads", integer(s.forwardedLoads));
  add("branches", integer(s.branches));
  add("conditional_branches", integer(s.conditionalBranches));
  add("mispredicts", integer(s.mispredicts));
  add("direction_mispredicts", integer(s.directionMispredicts));
  add("btb_misses", integer(s.btbMisses));
  add("mispredict_rate", ratio(s.mispredicts, s.branches));
  add("mispredicts_per_kilo_instruction", s.instructions ? number(1000.0 * s.mispredicts / s.instructions) : "0");
  auto cache = [&](const std::string& name, const CacheStats& cs, bool enabled) {
    add(name + "_accesses", enabled ? integer(cs.accesses) : "");
    add(name + "_misses", enabled ? integer(cs.misses) : "");
    add(name + "_miss_rate", enabled ? ratio(cs.misses, cs.accesses) : "");
    add(name + "_prefetches", enabled ? integer(cs.prefetches) : "");
    add(name + "_writebacks", enabled ? integer(cs.writebacks) : "");
  };
  cache("l1i", m.l1i, true);
  cache("l1d", m.l1d, true);
  cache("l2", m.l2, true);
  cache("l3", m.l3, c.l3.enabled);
  add("dram_reads", integer(m.dramReads));
  add("dram_writes", integer(m.dramWrites));
  add("dram_bytes", integer((m.dramReads + m.dramWrites) * kLineBytes));
  add("dram_bandwidth_gbps", r.timeNs > 0 ? number((m.dramReads + m.dramWrites) * double(kLineBytes) / r.timeNs) : "0");
  return r;
}

ReportFormat reportFormatFor(const std::string& path) {
  auto ends = [&](const std::string& suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".csv")) return ReportFormat::kCsv;
  if (ends(".json")) return ReportFormat::kJson;
  return ReportFormat::kText;
}

std::string formatReports(const std::vector<RunReport>& reports, ReportFormat format) {
  std::string out;
  if (reports.empty()) return out;
  const auto& keys = reports.front().values;
  switch (format) {
    case ReportFormat::kCsv:
      for (size_t k = 0; k < keys.size(); ++k) out += (k ? "," : "") + keys[k].first;
      out += "\n";
      for (const auto& r : reports) {
        for (size_t k = 0; k < r.values.size(); ++k) out += (k ? "," : "") + r.values[k].second;
        out += "\n";
      }
      return out;
    case ReportFormat::kJson:
      // An array with one object a line (keys in report order: ordered_json).
      out += "[\n";
      for (size_t i = 0; i < reports.size(); ++i) {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        const auto& v = reports[i].values;
        // The first two values (uarch, core) are names, whatever they look like.
        for (size_t k = 0; k < v.size(); ++k)
          object[v[k].first] = k > 1 ? jsonValue(v[k].second) : nlohmann::ordered_json(v[k].second);
        out += "  " + object.dump() + (i + 1 < reports.size() ? ",\n" : "\n");
      }
      out += "]\n";
      return out;
    case ReportFormat::kText: {
      // One column per microarchitecture, one row per value.
      size_t keyWidth = 0;
      for (const auto& [k, v] : keys) keyWidth = std::max(keyWidth, k.size());
      std::vector<size_t> widths;
      for (const auto& r : reports) {
        size_t w = 0;
        for (const auto& [k, v] : r.values) w = std::max(w, v.size());
        widths.push_back(w);
      }
      for (size_t k = 0; k < keys.size(); ++k) {
        std::string line = keys[k].first + std::string(keyWidth - keys[k].first.size(), ' ');
        for (size_t i = 0; i < reports.size(); ++i) {
          std::string v = reports[i].values[k].second;
          if (v.empty()) v = "-";
          line += "  " + std::string(widths[i] > v.size() ? widths[i] - v.size() : 0, ' ') + v;
        }
        out += line + "\n";
      }
      return out;
    }
  }
  return out;
}

}  // namespace pv::uarch
