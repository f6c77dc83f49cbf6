// Slurm's variables of a step task, and the first host of a host list.

#include "stages/train/slurm_step.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fmt/format.h>
#include <string_view>
#include <vector>

#include "stages/runtime/tool.h"

namespace pv::train {
namespace {

[[noreturn]] void bad(const std::string& variable, const std::string& value, const std::string& why) {
  throw runtime::UsageError(fmt::format("{}='{}': {}", variable, value, why));
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// A decimal number in [low, high], or a usage error naming the variable.
uint64_t number(const Environment& env, const char* name, uint64_t low, uint64_t high) {
  const std::string v = env(name);
  // 19 digits fit in 64 bits whatever they are.
  if (!allDigits(v) || v.size() > 19)
    bad(name, v, fmt::format("expected a number from {} to {}", low, high));
  const uint64_t n = std::stoull(v);
  if (n < low || n > high) bad(name, v, fmt::format("expected a number from {} to {}", low, high));
  return n;
}

// Checks one range list of a bracket ("01-03,07") and returns its first
// number as written ("01": the width is the host's).
std::string firstOfRanges(std::string_view ranges, const std::string& variable, const std::string& list) {
  std::string first;
  size_t start = 0;
  while (true) {
    const size_t comma = ranges.find(',', start);
    const std::string_view range = ranges.substr(start, comma == std::string_view::npos ? comma : comma - start);
    const size_t dash = range.find('-');
    const std::string_view low = range.substr(0, dash);
    const std::string_view high = dash == std::string_view::npos ? low : range.substr(dash + 1);
    if (!allDigits(low) || !allDigits(high))
      bad(variable, list, fmt::format("not a Slurm host list: '[{}]' holds '{}', not N or N-M", ranges, range));
    // Compared as numbers of equal width: leading zeros do not count.
    auto value = [](std::string_view s) {
      s.remove_prefix(std::min(s.find_first_not_of('0'), s.size()));
      return s;
    };
    const std::string_view a = value(low), b = value(high);
    if (a.size() > b.size() || (a.size() == b.size() && a > b))
      bad(variable, list, fmt::format("not a Slurm host list: the range '{}' goes down", range));
    if (first.empty()) first = std::string(low);
    if (comma == std::string_view::npos) return first;
    start = comma + 1;
  }
}

}  // namespace

Environment processEnvironment() {
  return [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
}

std::string firstHost(const std::string& list, const std::string& variable) {
  if (list.empty()) bad(variable, list, "an empty host list");
  std::string first;
  std::string host;  // the current item with each bracket replaced by its first number
  size_t i = 0;
  bool firstItem = true;
  while (true) {
    const char c = i < list.size() ? list[i] : ',';
    if (c == ',') {
      if (host.empty()) bad(variable, list, "not a Slurm host list: an empty host name");
      if (firstItem) first = host;
      firstItem = false;
      host.clear();
      if (++i > list.size()) return first;
      continue;
    }
    if (c == '[') {
      const size_t close = list.find(']', i);
      if (close == std::string::npos) bad(variable, list, "not a Slurm host list: a '[' without its ']'");
      const std::string_view ranges = std::string_view(list).substr(i + 1, close - i - 1);
      if (ranges.find('[') != std::string_view::npos) bad(variable, list, "not a Slurm host list: '[' inside '[...]'");
      host += firstOfRanges(ranges, variable, list);
      i = close + 1;
      continue;
    }
    // Host names: letters, digits, '-', '.', '_'.
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
      bad(variable, list, fmt::format("not a Slurm host list: the character '{}'", c));
    host += c;
    ++i;
  }
}

int slurmMasterPort(uint64_t jobId) {
  // The tasks of a step cannot agree on a free port without a rendezvous,
  // which is what the port is for: each derives it from the job id they
  // share. Jobs that share their first node at once have other ids, so
  // other ports unless their ids are 1000 apart (MASTER_PORT then). 29500
  // is torchrun's default; 29500-30499 lies below Linux's ephemeral ports
  // (32768-60999), so no outgoing connection holds it.
  return 29500 + static_cast<int>(jobId % 1000);
}

std::optional<SlurmStep> slurmStep(const Environment& env) {
  if (env("SLURM_PROCID").empty() || env("SLURM_STEP_NUM_TASKS").empty()) return std::nullopt;
  SlurmStep s;
  s.tasks = static_cast<int>(number(env, "SLURM_STEP_NUM_TASKS", 1, 1 << 20));
  s.rank = static_cast<int>(number(env, "SLURM_PROCID", 0, 1 << 20));
  if (s.rank >= s.tasks)
    throw runtime::UsageError(fmt::format("SLURM_PROCID='{}' is not below SLURM_STEP_NUM_TASKS='{}' (a task's "
                                          "rank must be one of the step's tasks)",
                                          env("SLURM_PROCID"), env("SLURM_STEP_NUM_TASKS")));
  s.jobId = env("SLURM_JOB_ID");
  s.stepId = env("SLURM_STEP_ID");
  if (s.tasks == 1) return s;  // a run on one machine: no rendezvous
  // torchrun's MASTER_ADDR and MASTER_PORT, where given, choose the
  // rendezvous; else rank 0 serves it on the derived port on the step's
  // first node, where srun's block, cyclic and plane distributions put task
  // 0 (-m arbitrary may not: give MASTER_ADDR there).
  s.masterHost = env("MASTER_ADDR");
  if (s.masterHost.empty()) {
    const char* variable = !env("SLURM_STEP_NODELIST").empty() ? "SLURM_STEP_NODELIST"
                           : !env("SLURM_JOB_NODELIST").empty() ? "SLURM_JOB_NODELIST"
                                                                : nullptr;
    if (!variable)
      throw runtime::UsageError(
          "a Slurm step task without SLURM_STEP_NODELIST or SLURM_JOB_NODELIST: give MASTER_ADDR or --master "
          "HOST:PORT for the rendezvous");
    s.masterHost = firstHost(env(variable), variable);
  }
  if (!env("MASTER_PORT").empty()) {
    s.masterPort = static_cast<int>(number(env, "MASTER_PORT", 1, 65535));
  } else {
    if (env("SLURM_JOB_ID").empty())
      throw runtime::UsageError("a Slurm step task without SLURM_JOB_ID: give MASTER_PORT or --master HOST:PORT");
    s.masterPort = slurmMasterPort(number(env, "SLURM_JOB_ID", 0, UINT64_MAX));
  }
  return s;
}

int localRank(const Environment& env) {
  if (!env("LOCAL_RANK").empty()) return static_cast<int>(number(env, "LOCAL_RANK", 0, 1 << 20));
  if (!env("SLURM_LOCALID").empty() && !env("SLURM_STEP_NUM_TASKS").empty())
    return static_cast<int>(number(env, "SLURM_LOCALID", 0, 1 << 20));
  return 0;
}

int slurmJobTasksOutsideAStep(const Environment& env) {
  if (env("SLURM_JOB_ID").empty() || !env("SLURM_STEP_NUM_TASKS").empty()) return 0;
  const std::string n = env("SLURM_NTASKS");
  return allDigits(n) && n.size() < 8 ? std::stoi(n) : 0;
}

}  // namespace pv::train
