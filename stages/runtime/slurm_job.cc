// Slurm array jobs: the script, sbatch, squeue, scancel, the tasks' logs
// (slurm_job.h).
#include "stages/runtime/slurm_job.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "stages/core/file_bytes.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"

namespace pv::runtime::slurm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const char* kClientPackage = "slurm-client";

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

// A Slurm client run to its end: exit status, stdout, stderr.
struct ClientRun {
  ProcessEnd end = ProcessEnd::exitedWith(0);
  std::string out, err;
  bool timedOut = false;
};

ClientRun runClient(const std::vector<std::string>& argv, const fs::path& scratch) {
  Command c(argv.at(0), {argv.begin() + 1, argv.end()});
  c.in = Redirect::devNull();
  const fs::path errFile = scratch / (argv[0] + ".err");
  c.err = Redirect::writeFile(errFile.string());
  ClientRun r;
  try {
    CapturedRun run = runCapturing(c, 1, std::chrono::seconds(120));
    r.end = run.end;
    r.out = run.output;
    r.timedOut = run.timedOut;
  } catch (const SpawnError& e) {
    r.end = ProcessEnd::exitedWith(127);
    r.err = e.what();
    return r;
  }
  r.err = trim(pv::readFileBytes(errFile.string()));
  std::error_code ec;
  fs::remove(errFile, ec);
  if (r.timedOut) r.err = argv[0] + " did not answer in 120 s" + (r.err.empty() ? "" : ": " + r.err);
  return r;
}

// Sleeps `d` in slices, returning early with a signal that arrives.
int sleepFor(Clock::duration d, const std::function<int()>& interrupted, const std::function<void()>& tick) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (int sig = interrupted()) return sig;
    if (tick) tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return interrupted();
}

volatile std::sig_atomic_t gSignal = 0;
void onSignal(int sig) {
  if (gSignal == 0) gSignal = sig;
}
constexpr int kWatched[] = {SIGINT, SIGTERM, SIGHUP};

}  // namespace

void addOptions(CLI::App& app, Options& o, const std::string& submitHelp, const std::string& printHelp) {
  app.add_flag("--slurm", o.submit, submitHelp);
  app.add_flag("--slurm-print", o.print, printHelp);
  app.add_option("--partition", o.partition, "With --slurm: the Slurm partition (#SBATCH --partition)");
  app.add_option("--time", o.time, "With --slurm: each task's time limit (#SBATCH --time, e.g. 2:00:00)");
  app.add_option("--mem", o.mem, "With --slurm: each task's memory (#SBATCH --mem, e.g. 4G)");
  app.add_option("--slurm-opt", o.extra,
                 "With --slurm: any other sbatch option, one per use (--slurm-opt=--account=NAME)");
}

void addDirOption(CLI::App& app, Options& o, const std::string& holds, const std::string& byDefault) {
  app.add_option("--slurm-dir", o.dir,
                 "With --slurm: the job's folder (" + holds + "), on a file system the nodes share (default: " +
                     byDefault + " in the current folder)");
}

std::vector<std::string> sbatchOptions(const Options& o) {
  if (!o.any() && (!o.partition.empty() || !o.time.empty() || !o.mem.empty() || !o.extra.empty()))
    throw ExitStatus(2, "--partition, --time, --mem and --slurm-opt are for --slurm or --slurm-print");
  if (!o.any() && !o.dir.empty()) throw ExitStatus(2, "--slurm-dir is for --slurm or --slurm-print");
  std::vector<std::string> options;
  if (!o.partition.empty()) options.push_back("--partition=" + o.partition);
  if (!o.time.empty()) options.push_back("--time=" + o.time);
  if (!o.mem.empty()) options.push_back("--mem=" + o.mem);
  for (const auto& x : o.extra) {
    if (x.empty() || x[0] != '-')
      throw ExitStatus(2, "--slurm-opt '" + x + "': not an sbatch option (give it as --slurm-opt=--account=NAME)");
    options.push_back(x);
  }
  for (const auto& x : options)
    if (x.find_first_of("\r\n") != std::string::npos)
      throw ExitStatus(2, "an sbatch option may not hold a line break: '" + x + "'");
  return options;
}

std::string CommandWord::bash() const {
  return element_ ? "\"${" + text_ + "[$SLURM_ARRAY_TASK_ID]}\"" : shellQuote(text_);
}

std::string bashArray(const std::string& name, const std::vector<std::string>& words) {
  std::string s = name + "=(";
  for (size_t i = 0; i < words.size(); i++) s += (i ? " " : "") + shellQuote(words[i]);
  return s + ")\n";
}

std::string execLine(const std::vector<CommandWord>& words) {
  std::string s = "exec";
  for (const auto& w : words) s += " " + w.bash();
  return s + "\n";
}

std::string formatScript(const ArrayJob& job) {
  std::string s = "#!/bin/bash\n";
  size_t at = 0;
  while (at < job.about.size()) {
    const size_t end = std::min(job.about.find('\n', at), job.about.size());
    s += "# " + job.about.substr(at, end - at) + "\n";
    at = end + 1;
  }
  s += "#SBATCH --job-name=" + job.name + "\n";
  s += "#SBATCH --array=0-" + std::to_string(job.tasks ? job.tasks - 1 : 0) +
       (job.maxRunning ? "%" + std::to_string(job.maxRunning) : std::string()) + "\n";
  s += "#SBATCH --chdir=" + job.workDir + "\n";
  s += "#SBATCH --output=" + job.logDir + "/slurm-%A_%a.out\n";
  for (const auto& o : job.options) s += "#SBATCH " + o + "\n";
  s += "set -eu\n";
  return s + job.body;
}

fs::path taskLog(const fs::path& logDir, const std::string& jobId, size_t task) {
  return logDir / ("slurm-" + jobId + "_" + std::to_string(task) + ".out");
}

std::vector<std::string> logTail(const fs::path& log, size_t lines, const std::vector<std::string>& prefixes) {
  std::vector<std::string> all, telling;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    all.push_back(line);
    // slurmstepd's say why Slurm ended the task ("slurmstepd-NODE: error: *** JOB 8 ON NODE CANCELLED AT ... ***").
    bool tells = line.rfind("slurmstepd", 0) == 0;
    for (const auto& p : prefixes) tells = tells || line.rfind(p, 0) == 0;
    if (tells) telling.push_back(line);
  }
  std::vector<std::string>& use = telling.empty() ? all : telling;
  if (use.size() > lines) use.erase(use.begin(), use.end() - static_cast<std::ptrdiff_t>(lines));
  return use;
}

bool onPath(const std::string& name) {
  const char* env = std::getenv("PATH");
  return findOnPath(name, env ? env : "/bin:/usr/bin").has_value();
}

void requireClients() {
  for (const char* client : {"sbatch", "squeue", "scancel"})
    if (!onPath(client))
      throw ExitStatus(2, std::string(client) + " not found: --slurm needs Slurm's client commands; install the Debian package " +
                              kClientPackage + " (apt-get install " + kClientPackage + ")");
}

std::string submit(const fs::path& script, const fs::path& scratch) {
  ClientRun r = runClient({"sbatch", "--parsable", script.string()}, scratch);
  const std::string out = trim(r.out);
  const std::string id = out.substr(0, out.find(';'));  // "ID" or "ID;CLUSTER"
  if (!r.end.ok() || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw ExitStatus(1, "sbatch " + script.string() + " failed (" + r.end.describe() + "): " +
                            (r.err.empty() ? out : r.err));
  return id;
}

std::optional<bool> active(const std::string& jobId, const fs::path& scratch, std::string& error) {
  ClientRun r = runClient({"squeue", "--noheader", "--jobs", jobId, "--format", "%i"}, scratch);
  if (r.end.ok()) return !trim(r.out).empty();
  // A job the controller no longer knows (past MinJobAge) has ended.
  if (r.err.find("Invalid job id") != std::string::npos) return false;
  error = "squeue " + r.end.describe() + (r.err.empty() ? "" : ": " + r.err);
  return std::nullopt;
}

void checkPreviousJob(const std::string& tool, const fs::path& dir, const std::string& owner, bool mustKnow) {
  const fs::path file = dir / "job";
  std::error_code ec;
  if (!fs::exists(file, ec)) return;
  const std::string text = pv::readFileBytes(file.string());
  const std::string id = text.substr(0, text.find_first_of(" \r\n"));
  std::string error = std::string("squeue not found (install the Debian package ") + kClientPackage + ")";
  std::optional<bool> running;
  if (onPath("squeue")) running = active(id, dir, error);
  if (running && *running)
    throw ExitStatus(2, "Slurm job " + id + " of " + owner + " is still pending or running (squeue -j " + id +
                            "): wait until it has ended, or cancel it (scancel " + id + "), then rerun");
  if (running) {
    fs::remove(file, ec);
    return;
  }
  if (mustKnow) throw ExitStatus(1, "cannot tell whether Slurm job " + id + " of " + owner + " has ended: " + error);
  std::fprintf(stderr, "%s: warning: cannot tell whether Slurm job %s of %s has ended: %s\n", tool.c_str(), id.c_str(),
               owner.c_str(), error.c_str());
}

int wait(const std::string& tool, const std::string& jobId, const fs::path& scratch,
         const std::function<int()>& interrupted, const std::function<void()>& tick, const std::string& whenEnded,
         std::chrono::seconds giveUp) {
  const auto start = Clock::now();
  std::optional<Clock::time_point> failingSince;
  bool warned = false;
  int sig = 0;
  while (true) {
    std::string error;
    const std::optional<bool> running = active(jobId, scratch, error);
    if (running && !*running) return 0;
    if (!running) {
      if (!failingSince) failingSince = Clock::now();
      if (!warned)
        std::fprintf(stderr, "%s: cannot ask Slurm about job %s (retrying): %s\n", tool.c_str(), jobId.c_str(),
                     error.c_str());
      warned = true;
      if (Clock::now() - *failingSince > giveUp)
        throw ExitStatus(1, error + "; Slurm job " + jobId + " may still be running: once it has ended, " + whenEnded);
    } else {
      failingSince.reset();
    }
    // Every second for the first minute, then slower, up to every 10 s.
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto interval = std::chrono::milliseconds(static_cast<int>(1000 * std::min(10.0, 1.0 + elapsed / 60.0)));
    if ((sig = sleepFor(interval, interrupted, tick))) break;
  }
  // Interrupted: cancel the job (its tasks get SIGTERM) and wait for it to
  // go, so that nothing writes into the folder after the submitter.
  std::fprintf(stderr, "%s: cancelling Slurm job %s\n", tool.c_str(), jobId.c_str());
  ClientRun r = runClient({"scancel", jobId}, scratch);
  if (!r.end.ok()) std::fprintf(stderr, "%s: scancel %s: %s\n", tool.c_str(), jobId.c_str(), r.err.c_str());
  const auto until = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < until) {
    std::string error;
    const std::optional<bool> running = active(jobId, scratch, error);
    if (running && !*running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return sig;
}

SignalWatch::SignalWatch() {
  gSignal = 0;
  for (size_t i = 0; i < std::size(kWatched); ++i) {
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(kWatched[i], &sa, &previous_[i]);
  }
}

SignalWatch::~SignalWatch() {
  for (size_t i = 0; i < std::size(kWatched); ++i) ::sigaction(kWatched[i], &previous_[i], nullptr);
}

int SignalWatch::signal() const { return static_cast<int>(gSignal); }

}  // namespace pv::runtime::slurm
