// pv-bench-pipeline: throughput and peak memory of
//   pv-trace-tap TRACE | pv-feature | pv-reuse-distance > /dev/null
// on synthetic gem5 traces of given lengths. All stages are pinned to one
// CPU core (the goal is stated per core); per-stage CPU time and peak RSS
// come from wait4 (Child::usage). Prints one table row per trace length.

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

struct StageResult {
  std::string name;
  double cpuSeconds = 0;
  long maxRssKb = 0;
  pv::runtime::ProcessEnd end = pv::runtime::ProcessEnd::exitedWith(0);
};

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-bench-pipeline", "Benchmarks tap + feature + reuse-distance on synthetic gem5 traces.");
  CLI::App& app = tool.cli();
  std::vector<long> lengths{1000000, 10000000};
  int cpu = 0;
  std::string scratch = "/tmp";
  app.add_option("--instructions", lengths, "Trace lengths to run")->capture_default_str();
  app.add_option("--cpu", cpu, "Pin every stage to this core (-1: no pinning)")->capture_default_str();
  app.add_option("--scratch", scratch, "Folder for the generated traces")->capture_default_str();
  if (auto rc = tool.parse(argc, argv)) return *rc;

  const std::string bin = binDir();
  std::printf("stages pinned to %s\n", cpu >= 0 ? ("cpu " + std::to_string(cpu)).c_str() : "no cpu");
  std::printf("%-12s %8s %8s %10s %13s   %-26s %s\n", "instructions", "wall s", "cpu s",
              "M instr/s", "M instr/cpu-s", "cpu s (tap/feature/reuse)",
              "peak RSS MiB (tap/feature/reuse)");
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
    int p1[2], p2[2];
    if (::pipe2(p1, O_CLOEXEC) != 0 || ::pipe2(p2, O_CLOEXEC) != 0) return 1;
    int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    auto start = std::chrono::steady_clock::now();
    std::vector<std::pair<pv::runtime::Child, std::string>> stages;
    stages.emplace_back(startStage(bin + "/pv-trace-tap", {dir + "/trace.txt", "--no-progress"}, 0, p1[1], cpu),
                        "pv-trace-tap");
    stages.emplace_back(startStage(bin + "/pv-feature", {"--no-progress"}, p1[0], p2[1], cpu), "pv-feature");
    stages.emplace_back(startStage(bin + "/pv-reuse-distance", {"--no-progress"}, p2[0], devnull, cpu),
                        "pv-reuse-distance");
    ::close(p1[0]);
    ::close(p1[1]);
    ::close(p2[0]);
    ::close(p2[1]);
    ::close(devnull);
    std::vector<StageResult> results;
    for (auto& [child, name] : stages) {
      StageResult r;
      r.name = name;
      r.end = child.wait();
      const rusage& usage = child.usage();
      r.cpuSeconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                     usage.ru_stime.tv_usec / 1e6;
      r.maxRssKb = usage.ru_maxrss;
      results.push_back(r);
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpuTotal = 0;
    for (const auto& r : results) {
      if (!r.end.ok()) {
        std::fprintf(stderr, "pv-bench-pipeline: %s failed (%s)\n", r.name.c_str(),
                     r.end.describe().c_str());
        return 1;
      }
      cpuTotal += r.cpuSeconds;
    }
    char perStage[64];
    std::snprintf(perStage, sizeof perStage, "%.2f / %.2f / %.2f", results[0].cpuSeconds,
                  results[1].cpuSeconds, results[2].cpuSeconds);
    std::printf("%-12ld %8.2f %8.2f %10.2f %13.2f   %-26s %.1f / %.1f / %.1f\n", n, wall, cpuTotal,
                n / wall / 1e6, n / cpuTotal / 1e6, perStage, results[0].maxRssKb / 1024.0,
                results[1].maxRssKb / 1024.0, results[2].maxRssKb / 1024.0);
    std::fflush(stdout);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return 0;
}
