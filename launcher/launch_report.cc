#include "launcher/launch_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "launcher/wiring.h"

namespace pv::launch {

int exitStatusOf(PipelineOutcome::Fault fault) {
  switch (fault) {
    case PipelineOutcome::kNone: return 0;
    case PipelineOutcome::kFailed: return 1;
    case PipelineOutcome::kCrashed: return 3;
    case PipelineOutcome::kHung: return 4;
    case PipelineOutcome::kOutOfMemory: return 5;
  }
  return 1;
}

std::string memoryText(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
    std::snprintf(buf, sizeof buf, "%lluG", static_cast<unsigned long long>(bytes >> 30));
  else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
    std::snprintf(buf, sizeof buf, "%lluM", static_cast<unsigned long long>(bytes >> 20));
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  return buf;
}

std::string paramsText(const PipelineSpec& spec) {
  std::ostringstream out;
  if (spec.params.empty()) {
    out << "Parameters of " << spec.file << ": none\n";
    return out.str();
  }
  out << "Parameters of " << spec.file << " (override with KEY=VALUE after the file):\n";
  size_t width = 0;
  for (const auto& p : spec.params) width = std::max(width, p.name.size());
  for (const auto& p : spec.params) {
    out << "  " << p.name << std::string(width - p.name.size(), ' ') << " = ";
    if (p.defaultValue)
      out << shellQuote(*p.defaultValue);
    else
      out << "(required)";
    out << "\n";
    if (!p.help.empty()) out << "  " << std::string(width, ' ') << "   " << p.help << "\n";
  }
  return out.str();
}

std::string describeText(const PipelineSpec& spec) {
  std::ostringstream out;
  out << "Pipeline " << spec.name << " (" << spec.file << ")\n";
  if (!spec.description.empty()) out << spec.description << "\n";
  out << "\n" << paramsText(spec) << "\nStages:\n";
  size_t width = 0;
  for (const auto& s : spec.stages) width = std::max(width, s.name.size());
  for (const auto& s : spec.stages) {
    out << "  " << s.name << std::string(width - s.name.size(), ' ') << "  " << s.run.text;
    // Templates as written; quoted only where a blank would hide a boundary.
    for (const auto& a : s.args) {
      bool blank = a.text.empty() || a.text.find_first_of(" \t") != std::string::npos;
      out << " " << (blank ? shellQuote(a.text) : a.text);
    }
    if (s.host) out << "  [host " << s.host->text << (s.address ? ", address " + s.address->text : "") << "]";
    out << "\n";
    if (!s.description.empty()) out << "  " << std::string(width, ' ') << "  " << s.description << "\n";
  }
  return out.str();
}

std::string failureReport(const PipelineSpec& spec, const std::vector<ProcessSpec>& processes,
                          const PipelineOutcome& outcome) {
  std::ostringstream out;
  if (outcome.culprit) {
    const size_t c = *outcome.culprit;
    const StageEnd& s = outcome.stages[c];
    std::string what = s.describe();
    switch (outcome.fault()) {
      case PipelineOutcome::kCrashed:
        what = "crashed: " + what;
        break;
      case PipelineOutcome::kHung:
        if (s.stopped == StageEnd::kStalled) {
          char seconds[32];
          std::snprintf(seconds, sizeof seconds, "%g", std::chrono::duration<double>(outcome.stalledFor).count());
          what = std::string("hung: no stage made progress for ") + seconds + " s and " + s.stallNote + " (" +
                 what + ")";
        } else {
          what = "hung: " + what;
        }
        break;
      case PipelineOutcome::kOutOfMemory:
        what = "ran out of memory" +
               (processes[c].memoryLimit ? " (limit " + memoryText(processes[c].memoryLimit) + ")" : std::string()) +
               ": " + what;
        break;
      default:
        break;
    }
    out << "pv-launch: pipeline " << spec.name << " failed: stage '" << processes[c].name << "' ("
        << processes[c].argv[0] << (processes[c].remote ? " on " + processes[c].remote->host : "") << ") "
        << what << "\n";
    for (const auto& line : s.tail) out << "pv-launch:   " << line << "\n";
  } else {
    out << "pv-launch: pipeline " << spec.name << " failed\n";
  }
  std::string others;
  for (size_t i = 0; i < processes.size(); ++i) {
    if (outcome.culprit && i == *outcome.culprit) continue;
    others += (others.empty() ? "" : "; ") + processes[i].name +
              (processes[i].remote ? " on " + processes[i].remote->host : "") + ": " +
              outcome.stages[i].describe();
  }
  if (!others.empty()) out << "pv-launch: other stages: " << others << "\n";
  return out.str();
}

}  // namespace pv::launch
