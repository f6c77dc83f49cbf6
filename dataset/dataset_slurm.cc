// pv-dataset on a Slurm cluster: the job script, sbatch, squeue, scancel,
// and the merge of the tasks' parts (dataset_slurm.h).
#include "dataset/dataset_slurm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "dataset/dataset_runner.h"
#include "stages/core/file_bytes.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"

namespace pv::dataset::slurm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using runtime::ExitStatus;

namespace {

const char* kClientPackage = "slurm-client";



std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
}

// A Slurm client run to its end: exit status, stdout, stderr.
struct ClientRun {
  runtime::ProcessEnd end = runtime::ProcessEnd::exitedWith(0);
  std::string out, err;
  bool timedOut = false;
};

ClientRun runClient(const std::vector<std::string>& argv, const fs::path& scratch) {
  runtime::Command c(argv.at(0), {argv.begin() + 1, argv.end()});
  c.in = runtime::Redirect::devNull();
  const fs::path errFile = scratch / (argv[0] + ".err");
  c.err = runtime::Redirect::writeFile(errFile.string());
  ClientRun r;
  try {
    runtime::CapturedRun run = runtime::runCapturing(c, 1, std::chrono::seconds(120));
    r.end = run.end;
    r.out = run.output;
    r.timedOut = run.timedOut;
  } catch (const runtime::SpawnError& e) {
    r.end = runtime::ProcessEnd::exitedWith(127);
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

}  // namespace

std::vector<std::string> sbatchOptions(const std::string& partition, const std::string& time,
                                       const std::string& mem, const std::vector<std::string>& extra) {
  std::vector<std::string> options;
  if (!partition.empty()) options.push_back("--partition=" + partition);
  if (!time.empty()) options.push_back("--time=" + time);
  if (!mem.empty()) options.push_back("--mem=" + mem);
  for (const auto& o : extra) {
    if (o.empty() || o[0] != '-')
      throw ExitStatus(2, "--slurm-opt '" + o + "': not an sbatch option (give it as --slurm-opt=--account=NAME)");
    options.push_back(o);
  }
  for (const auto& o : options)
    if (o.find_first_of("\r\n") != std::string::npos)
      throw ExitStatus(2, "an sbatch option may not hold a line break: '" + o + "'");
  return options;
}

std::string formatScript(const JobScript& job) {
  const size_t n = job.workloads.size();
  std::string s = "#!/bin/bash\n";
  s += "# pv-dataset: " + std::to_string(n) + (n == 1 ? " workload" : " workloads") + " of " + job.dataset +
       " as a Slurm array job,\n"
       "# one workload per task (dataset/README.md, \"On a Slurm cluster\"). Each task\n"
       "# labels its workload as a local pv-dataset run would and records it in\n"
       "# " + job.dataset + "/slurm/parts/NAME.toml; the pv-dataset that submitted\n"
       "# the job merges the parts into manifest.toml when the job has ended, and\n"
       "# so does any later pv-dataset run of the folder. Written by pv-dataset;\n"
       "# it can be edited and submitted by hand (sbatch FILE).\n";
  s += "#SBATCH --job-name=pv-dataset\n";
  s += "#SBATCH --array=0-" + std::to_string(n ? n - 1 : 0) +
       (job.maxRunning ? "%" + std::to_string(job.maxRunning) : std::string()) + "\n";
  s += "#SBATCH --chdir=" + job.workDir + "\n";
  s += "#SBATCH --output=" + job.logDir + "/slurm-%A_%a.out\n";
  for (const auto& o : job.options) s += "#SBATCH " + o + "\n";
  s += "set -eu\n";
  s += "# The programs see TMPDIR as in a local run (Slurm sets it when unset).\n";
  s += job.tmpdir ? "export TMPDIR=" + runtime::shellQuote(*job.tmpdir) + "\n" : std::string("unset TMPDIR\n");
  s += "workloads=(";
  for (size_t i = 0; i < n; i++) s += (i ? " " : "") + runtime::shellQuote(job.workloads[i]);
  s += ")\n";
  s += "exec";
  for (const auto& w : job.command) s += " " + runtime::shellQuote(w);
  s += " -w \"${workloads[$SLURM_ARRAY_TASK_ID]}\"\n";
  return s;
}

fs::path partPath(const fs::path& out, const std::string& name) { return out / "slurm" / "parts" / (name + ".toml"); }

std::vector<fs::path> mergeParts(const fs::path& out, Manifest& manifest) {
  std::vector<fs::path> read;
  const fs::path dir = out / "slurm" / "parts";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return read;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    read.push_back(f);
    Manifest part;
    try {
      part = parseManifest(pv::readFileBytes(f.string()), f.string());
    } catch (const std::exception&) {
      continue;  // a damaged part: the workload is simply done again
    }
    if (part.configs != manifest.configs || part.configHashes != manifest.configHashes) continue;
    for (ManifestEntry e : part.workloads) {
      const ManifestEntry* mine = manifest.find(e.name);
      if (!mine || mine->key != e.key || (e.status != "done" && e.status != "failed")) continue;
      if (e.status == "done") {
        std::error_code sizeError;
        const fs::path file = out / e.file;
        if (e.file.empty() || fs::file_size(file, sizeError) != e.bytes || sizeError || hashFile(file) != e.xxh3) {
          e.status = "failed";
          e.error = "its Slurm task recorded " + e.file + ", which is missing or has other bytes now";
        }
      }
      manifest.put(e);
    }
  }
  return read;
}

bool onPath(const std::string& name) {
  const char* env = std::getenv("PATH");
  return runtime::findOnPath(name, env ? env : "/bin:/usr/bin").has_value();
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

int wait(const std::string& jobId, const fs::path& scratch, const std::function<int()>& interrupted,
         const std::function<void()>& tick, std::chrono::seconds giveUp) {
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
      if (!warned) std::fprintf(stderr, "pv-dataset: cannot ask Slurm about job %s (retrying): %s\n", jobId.c_str(), error.c_str());
      warned = true;
      if (Clock::now() - *failingSince > giveUp)
        throw ExitStatus(1, error + "; Slurm job " + jobId +
                                " may still be running: once it has ended, rerun pv-dataset on the folder to "
                                "merge what it finished");
    } else {
      failingSince.reset();
    }
    // Every second for the first minute, then slower, up to every 10 s.
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto interval = std::chrono::milliseconds(static_cast<int>(1000 * std::min(10.0, 1.0 + elapsed / 60.0)));
    if ((sig = sleepFor(interval, interrupted, tick))) break;
  }
  // Interrupted: cancel the job (its tasks get SIGTERM: each stops its
  // pipeline and records its workload as pending) and wait for it to go.
  std::fprintf(stderr, "pv-dataset: cancelling Slurm job %s\n", jobId.c_str());
  ClientRun r = runClient({"scancel", jobId}, scratch);
  if (!r.end.ok()) std::fprintf(stderr, "pv-dataset: scancel %s: %s\n", jobId.c_str(), r.err.c_str());
  const auto until = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < until) {
    std::string error;
    const std::optional<bool> running = active(jobId, scratch, error);
    if (running && !*running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return sig;
}

}  // namespace pv::dataset::slurm
