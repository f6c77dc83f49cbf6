// pv-bench-pipeline: throughput and peak memory of
//   pv-trace-tap TRACE | pv-feature | pv-reuse-distance > /dev/null
// on synthetic gem5 traces of given lengths. All stages are pinned to one
// CPU core (the goal is stated per core); per-stage CPU time and peak RSS
// come from wait4(). Prints one table row per trace length.

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "stages/runtime/tool.h"

namespace {

std::string binDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string exe(buf, n > 0 ? static_cast<size_t>(n) : 0);
  return exe.substr(0, exe.rfind('/'));
}

pid_t spawn(const std::vector<std::string>& argv, int in, int out, int cpu) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      ::sched_setaffinity(0, sizeof set, &set);
    }
    if (in != 0) ::dup2(in, 0);
    if (out != 1) ::dup2(out, 1);
    for (int fd = 3; fd < 256; ++fd) ::close(fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::perror(args[0]);
    ::_exit(127);
  }
  return pid;
}

struct StageResult {
  std::string name;
  double cpuSeconds = 0;
  long maxRssKb = 0;
  int status = 0;
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
    std::string make = bin + "/pv-synth-gem5 --instructions " + std::to_string(n) +
                       " --seed 1 --out-dir " + dir;
    if (std::system(make.c_str()) != 0) {
      std::fprintf(stderr, "pv-bench-pipeline: generating %ld instructions failed\n", n);
      return 1;
    }
    // Let the kernel write the generated trace back before timing starts, so
    // that the writeback does not land on the stages' accounts.
    ::sync();
    int p1[2], p2[2];
    if (::pipe(p1) != 0 || ::pipe(p2) != 0) return 1;
    int devnull = ::open("/dev/null", O_WRONLY);
    auto start = std::chrono::steady_clock::now();
    std::vector<std::pair<pid_t, std::string>> pids = {
        {spawn({bin + "/pv-trace-tap", dir + "/trace.txt", "--no-progress"}, 0, p1[1], cpu), "pv-trace-tap"},
        {spawn({bin + "/pv-feature", "--no-progress"}, p1[0], p2[1], cpu), "pv-feature"},
        {spawn({bin + "/pv-reuse-distance", "--no-progress"}, p2[0], devnull, cpu), "pv-reuse-distance"},
    };
    ::close(p1[0]);
    ::close(p1[1]);
    ::close(p2[0]);
    ::close(p2[1]);
    ::close(devnull);
    std::vector<StageResult> results;
    for (auto& [pid, name] : pids) {
      int status = 0;
      rusage usage{};
      ::wait4(pid, &status, 0, &usage);
      StageResult r;
      r.name = name;
      r.cpuSeconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
                     usage.ru_stime.tv_usec / 1e6;
      r.maxRssKb = usage.ru_maxrss;
      r.status = status;
      results.push_back(r);
    }
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpuTotal = 0;
    for (const auto& r : results) {
      if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
        std::fprintf(stderr, "pv-bench-pipeline: %s failed (status %d)\n", r.name.c_str(), r.status);
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
    std::system(("rm -rf '" + dir + "'").c_str());
  }
  return 0;
}
