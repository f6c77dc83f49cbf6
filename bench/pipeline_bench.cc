// pv-bench-pipeline: throughput and peak memory of tap + feature +
// reuse-distance on synthetic gem5 traces of given lengths, in two forms:
//   3 processes: pv-trace-tap TRACE | pv-feature | pv-reuse-distance > /dev/null
//   1 process:   pv-feature TRACE --reuse-distance > /dev/null
// (the same libraries and output bytes). All processes are pinned to one
// CPU core (the goal is stated per core); per-process CPU time and peak RSS
// come from wait4 (Child::usage). Prints one table row per length and form.

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"

namespace {

std::string binDir() { return pv::runtime::executableDir(); }

// Starts a stage on `cpu` (-1: anywhere). The bench pins itself while it
// starts the stage, which inherits the affinity, and is free again after.
pv::runtime::Child startStage(const std::string& program, std::vector<std::string> args, int in, int out,
                              int cpu) {
  pv::runtime::Command stage(program, std::move(args));
  stage.in = pv::runtime::Redirect::fd(in);
  stage.out = pv::runtime::Redirect::fd(out);
  cpu_set_t own;
  const bool pin = cpu >= 0 && ::sched_getaffinity(0, sizeof own, &own) == 0;
  if (pin) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ::sched_setaffinity(0, sizeof one, &one);
  }
  pv::runtime::Child child = pv::runtime::spawn(stage);
  if (pin) ::sched_setaffinity(0, sizeof own, &own);
  return child;
}

struct ProcessResult {
  std::string name;
  double cpuSeconds = 0;
  long maxRssKb = 0;
  pv::runtime::ProcessEnd end = pv::runtime::ProcessEnd::exitedWith(0);
};

// One run of a form: its processes joined by pipes, the last writing
// /dev/null. Returns false (with a message) when a process fails.
bool runForm(const std::string& bin, const std::string& dir, bool oneProcess, int cpu, double& wall,
             std::vector<ProcessResult>& results) {
  std::vector<std::pair<std::string, std::vector<std::string>>> processes;
  if (oneProcess) {
    processes.push_back({"pv-feature", {dir + "/trace.txt", "--reuse-distance", "--no-progress"}});
  } else {
    processes.push_back({"pv-trace-tap", {dir + "/trace.txt", "--no-progress"}});
    processes.push_back({"pv-feature", {"--no-progress"}});
    processes.push_back({"pv-reuse-distance", {"--no-progress"}});
  }
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull < 0) return false;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<pv::runtime::Child, std::string>> children;
  int in = 0;  // the first process reads the trace file, not stdin
  for (size_t i = 0; i < processes.size(); ++i) {
    int fds[2] = {-1, -1};
    const bool last = i + 1 == processes.size();
    if (!last && ::pipe2(fds, O_CLOEXEC) != 0) return false;
    const int out = last ? devnull : fds[1];
    children.emplace_back(startStage(bin + "/" + processes[i].first, processes[i].second, in, out, cpu),
                          processes[i].first);
    if (in != 0) ::close(in);
    if (!last) ::close(fds[1]);
    in = last ? 0 : fds[0];
  }
  ::close(devnull);
  results.clear();
  for (auto& [child, name] : children) {
    ProcessResult r;
    r.name = name;
    r.end = child.wait();
    const rusage& usage = child.usage();
    r.cpuSeconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                   usage.ru_stime.tv_usec / 1e6;
    r.maxRssKb = usage.ru_maxrss;
    results.push_back(r);
  }
  wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& r : results)
    if (!r.end.ok()) {
      std::fprintf(stderr, "pv-bench-pipeline: %s failed (%s)\n", r.name.c_str(), r.end.describe().c_str());
      return false;
    }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-bench-pipeline",
                         "Benchmarks tap + feature + reuse-distance on synthetic gem5 traces: as 3 processes "
                         "(pv-trace-tap | pv-feature | pv-reuse-distance) and as 1 (pv-feature --reuse-distance).");
  CLI::App& app = tool.cli();
  std::vector<long> lengths{1000000, 10000000};
  int cpu = 0;
  std::string scratch = "/tmp";
  app.add_option("--instructions", lengths, "Trace lengths to run")->capture_default_str();
  app.add_option("--cpu", cpu, "Pin every process to this core (-1: no pinning)")->capture_default_str();
  app.add_option("--scratch", scratch, "Folder for the generated traces")->capture_default_str();
  if (auto rc = tool.parse(argc, argv)) return *rc;

  const std::string bin = binDir();
  std::printf("processes pinned to %s\n", cpu >= 0 ? ("cpu " + std::to_string(cpu)).c_str() : "no cpu");
  std::printf("%-12s %-11s %8s %8s %10s %13s   %-24s %s\n", "instructions", "form", "wall s", "cpu s",
              "M instr/s", "M instr/cpu-s", "cpu s per process", "peak RSS MiB per process");
  for (long n : lengths) {
    std::string dir = scratch + "/pv_bench_" + std::to_string(::getpid()) + "_" + std::to_string(n);
    pv::runtime::Command make(bin + "/pv-synth-gem5",
                              {"--instructions", std::to_string(n), "--seed", "1", "--out-dir", dir});
    if (!pv::runtime::spawn(make).wait().ok()) {
      std::fprintf(stderr, "pv-bench-pipeline: generating %ld instructions failed\n", n);
      return 1;
    }
    // Let the kernel write the generated trace back before timing starts, so
    // that the writeback does not land on the stages' accounts.
    ::sync();
    for (const bool oneProcess : {false, true}) {
      double wall = 0;
      std::vector<ProcessResult> results;
      if (!runForm(bin, dir, oneProcess, cpu, wall, results)) return 1;
      double cpuTotal = 0;
      std::string cpus, rss;
      for (const auto& r : results) {
        cpuTotal += r.cpuSeconds;
        char cell[32];
        std::snprintf(cell, sizeof cell, "%s%.2f", cpus.empty() ? "" : "/", r.cpuSeconds);
        cpus += cell;
        std::snprintf(cell, sizeof cell, "%s%.1f", rss.empty() ? "" : "/", r.maxRssKb / 1024.0);
        rss += cell;
      }
      // cpu s and peak RSS per process: tap/feature/reuse, or the one process.
      std::printf("%-12ld %-11s %8.2f %8.2f %10.2f %13.2f   %-24s %s\n", n, oneProcess ? "1-process" : "3-processes",
                  wall, cpuTotal, n / wall / 1e6, n / cpuTotal / 1e6, cpus.c_str(), rss.c_str());
      std::fflush(stdout);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
