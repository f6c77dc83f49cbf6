// pv-dataset's work: configurations, inputs, keys, one pipeline per
// workload, output checks, the manifest, resuming (dataset_runner.h).

#include "dataset/dataset_runner.h"

#include "stages/core/feature_layout.h"

#include <signal.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "dataset/dataset_slurm.h"
#include "examples/workloads/workload_inputs.h"
#include "stages/core/feature_batch.h"
#include "stages/core/file_bytes.h"
#include "stages/core/hex.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/uarch_config.h"
#include "stages/runtime/process.h"
#include "stages/runtime/slurm_job.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"

namespace pv::dataset {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using runtime::ExitStatus;

namespace {

std::string readFile(const fs::path& p) { return pv::readFileBytes(p.string()); }

void writeFile(const fs::path& p, const std::string& bytes) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    if (!out) throw ExitStatus(1, tmp.string() + ": cannot write: " + std::strerror(errno));
  }
  fs::rename(tmp, p);
}

std::string joinWords(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& w : v) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::string installedDefault(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  fs::path installed = (fs::path(runtime::executableDir()) / "../share/perfvec" / path).lexically_normal();
  return fs::exists(installed, ec) ? installed.string() : path;
}

namespace {

// The same microarchitectures: the same file names with the same parameter
// values. Compared as values, not bytes: pv-uarch's writer has changed its
// layout (keys sorted since 0.13), and a dataset sampled before must still
// be continued with the configurations it was made with.
bool sameConfigs(const fs::path& a, const fs::path& b) {
  auto list = [](const fs::path& d) {
    std::map<std::string, pv::uarch::UarchConfig> m;
    for (const auto& e : fs::directory_iterator(d)) {
      if (!e.is_regular_file() || e.path().extension() != ".toml") continue;
      try {
        m[e.path().filename().string()] = pv::uarch::readConfig(e.path().string());
      } catch (const pv::StageError& error) {
        throw ExitStatus(2, error.what());
      }
    }
    return m;
  };
  return list(a) == list(b);
}

// Runs a tool to its end (stdin and stdout on /dev/null, stderr kept);
// throws ExitStatus 1 with its stderr when it fails.
void runTool(const std::vector<std::string>& argv) {
  runtime::Command tool(argv.at(0), {argv.begin() + 1, argv.end()});
  tool.in = runtime::Redirect::devNull();
  tool.out = runtime::Redirect::devNull();
  runtime::CapturedRun run;
  try {
    run = runtime::runCapturing(tool, 2);
  } catch (const runtime::SpawnError& e) {
    throw ExitStatus(1, e.what());
  }
  if (!run.end.ok()) throw ExitStatus(1, joinWords(argv) + " failed: " + run.output);
}

// Starts `argv` in `folder` with only `environment`, stdin and stdout on
// /dev/null and stderr into `log`. It gets SIGTERM when pv-dataset dies,
// even by SIGKILL: a pv-launch then stops its stages and removes its
// partial output. Throws SpawnError.
runtime::Child startInFolder(const std::vector<std::string>& argv,
                             const std::map<std::string, std::string>& environment, const fs::path& folder,
                             const fs::path& log) {
  runtime::Command c(argv.at(0), {argv.begin() + 1, argv.end()});
  c.clearEnvironment = true;
  for (const auto& [name, value] : environment) c.setEnv(name, value);
  c.workingDirectory = folder.string();
  c.in = runtime::Redirect::devNull();
  c.out = runtime::Redirect::devNull();
  c.err = runtime::Redirect::writeFile(log.string());
  c.parentDeathSignal = SIGTERM;
  c.defaultSignals = {SIGINT, SIGTERM, SIGHUP};
  return runtime::spawn(c);
}

// --native: every selected program runs once, untraced, in OUT. The
// regions of a program share its command, so one run checks them all.
int runNative(const DatasetOptions& o, const fs::path& out, const fs::path& bin,
              const std::vector<Workload>& selected, const std::function<int()>& interrupted) {
  fs::create_directories(out / "logs");
  int failed = 0;
  size_t programs = 0;
  std::set<std::string> ran;
  for (const auto& selectedRegion : selected) {
    if (!ran.insert(selectedRegion.program).second) continue;
    programs++;
    Workload w = selectedRegion;
    w.name = w.program;  // what the messages and the log name
    auto command = expandCommand(w, "inputs", bin.string());
    std::string missing = missingProgram(w, command);
    if (!missing.empty()) {
      std::fprintf(stderr, "pv-dataset: workload '%s': %s\n", w.name.c_str(), missing.c_str());
      failed++;
      continue;
    }
    if (std::string home = homeProblem(kWorkloadHome); !home.empty()) throw ExitStatus(1, home);
    fs::path log = out / "logs" / (w.name + ".native.log");
    auto start = Clock::now();
    std::string error;
    try {
      runtime::Child child = startInFolder(command, workloadEnvironment(w), out, log);
      std::optional<runtime::ProcessEnd> end;
      bool stopped = false;
      while (!(end = child.tryWait())) {
        if (interrupted() && !stopped) stopped = child.kill(SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!end->ok()) error = end->describe() + " (" + joinWords(command) + ")" + explainFailure(log);
    } catch (const runtime::SpawnError& e) {
      error = e.what();
    }
    if (error.empty() && !homeProblem(kWorkloadHome).empty())
      error = std::string("it created ") + kWorkloadHome + ", its HOME, on this machine (remove it)";
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (error.empty()) {
      if (!o.quiet) std::printf("%-15s ok %7.2f s\n", w.name.c_str(), s);
    } else {
      failed++;
      std::fprintf(stderr, "pv-dataset: workload '%s' failed natively: %s\n", w.name.c_str(), error.c_str());
    }
    if (interrupted()) break;
  }
  if (int sig = interrupted()) return 128 + sig;
  if (!o.quiet) std::printf("%zu programs, %d failed\n", programs, failed);
  return failed ? 1 : 0;
}

// The last lines of a run: the counts, the dataset's size, the failed
// workloads; returns the exit status (1 when one failed).
int reportEnd(const DatasetOptions& o, const fs::path& out, const Manifest& manifest, size_t done, size_t kept,
              const std::vector<std::string>& failures) {
  uint64_t bytes = 0, records = 0;
  for (const auto& e : manifest.workloads)
    if (e.status == "done") bytes += e.bytes, records += e.records;
  if (!o.quiet)
    std::fprintf(stderr,
                 "pv-dataset: %zu done, %zu failed, %zu already finished; dataset %s records, "
                 "%.1f MB in %s\n",
                 done, failures.size(), kept, withCommas(records).c_str(), bytes / 1e6, out.c_str());
  if (!failures.empty()) {
    std::fprintf(stderr, "pv-dataset: failed: %s\n", joinWords(failures).c_str());
    return 1;
  }
  return 0;
}

// One workload to run: its pipeline, while it runs.
struct Job {
  Workload workload;
  std::vector<std::string> command;  // expanded
  uint64_t count = 0;                // scaled
  std::string key;
  runtime::Child pipeline;  // pv-launch
  Clock::time_point started;
  std::string partFile, partReport, logFile;  // relative to the dataset folder
};

// The workloads of one run, `jobs` at a time, each recorded in the
// manifest as it ends.
class JobRunner {
 public:
  // `save` writes `manifest` where it belongs (the folder's manifest; a
  // Slurm task's part).
  JobRunner(const DatasetOptions& o, const fs::path& out, const fs::path& launcher, const fs::path& pipeline,
            const ConfigSet& configs, Manifest& manifest, const std::function<int()>& interrupted,
            std::function<void()> save)
      : o_(o),
        out_(out),
        launcher_(launcher),
        pipeline_(pipeline),
        configs_(configs),
        manifest_(manifest),
        interrupted_(interrupted),
        progress_(o.progress < 0 ? ::isatty(2) : o.progress > 0),
        save_(std::move(save)) {
    for (const auto& f : configs.files) uarchOptions_ += (uarchOptions_.empty() ? "-c " : " -c ") + f;
  }

  // Returns the exit status (0, 1, 128+N).
  int run(std::vector<Job>& todo, size_t kept) {
    size_t next = 0;
    const size_t total = todo.size();
    std::vector<Job*> running;
    const auto start = Clock::now();
    auto lastDraw = Clock::time_point{};
    while (next < todo.size() || !running.empty()) {
      // Start as many as allowed.
      while (!interrupted_() && next < todo.size() && running.size() < std::max(1u, o_.jobs)) {
        Job& j = todo[next++];
        if (startJob(j)) running.push_back(&j);
      }
      if (const int sig = interrupted_()) {
        for (Job* j : running) j->pipeline.kill(SIGTERM);
        for (Job* j : running) {
          j->pipeline.wait();
          std::error_code ec;
          fs::remove(out_ / j->partFile, ec);
          fs::remove(out_ / j->partReport, ec);
        }
        save_();
        clearLine();
        std::fprintf(stderr, "pv-dataset: interrupted; %zu of %zu done (rerun the same command to go on)\n",
                     done_, total);
        return 128 + sig;
      }
      // Reap what ended.
      for (size_t i = 0; i < running.size();) {
        Job* j = running[i];
        if (const std::optional<runtime::ProcessEnd> end = j->pipeline.tryWait()) {
          running.erase(running.begin() + static_cast<long>(i));
          finish(*j, end->ok() ? "" : "pipeline " + end->describe() + explainFailure(out_ / j->logFile));
        } else {
          i++;
        }
      }
      if (progress_ && Clock::now() - lastDraw > std::chrono::milliseconds(500)) {
        lastDraw = Clock::now();
        drawProgress(running, total, start);
      }
      if (!running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    clearLine();
    return reportEnd(o_, out_, manifest_, done_, kept, failures_);
  }

 private:
  // Starts the workload's pipeline; false when it could not start (then
  // it is finished as failed).
  bool startJob(Job& j) {
    const std::string missing = missingProgram(j.workload, j.command);
    j.started = Clock::now();
    j.partFile = j.workload.name + ".part.pvs.zst";
    j.partReport = "reports/" + j.workload.name + ".part.json";
    j.logFile = "logs/" + j.workload.name + ".log";
    if (!missing.empty()) {
      std::ofstream(out_ / j.logFile) << "pv-dataset: " << missing << "\n";
      finish(j, missing);
      return false;
    }
    if (std::string home = homeProblem(kWorkloadHome); !home.empty()) {
      std::ofstream(out_ / j.logFile) << "pv-dataset: " << home << "\n";
      finish(j, home);
      return false;
    }
    std::vector<std::string> argv = {
        // Pipes, not ZeroMQ ipc: the bytes are the same, and a pipe cannot
        // lose a stream's end (a pipeline over ipc was seen to hang after
        // the tap ended; see dataset/README.md).
        launcher_.string(), pipeline_.string(), "--no-progress", "--transport", "pipe",
        "command=" + joinWords(j.command), "skip=" + std::to_string(j.workload.skip),
        "count=" + std::to_string(j.count),
        "uarch_options=" + uarchOptions_ + " --report " + j.partReport, "out=" + j.partFile};
    // Only when asked: a pipeline of the user's (--pipeline) need not know it.
    if (o_.locality) argv.push_back("reuse_options=--locality");
    try {
      j.pipeline = startInFolder(argv, workloadEnvironment(j.workload), out_, out_ / j.logFile);
    } catch (const runtime::SpawnError& e) {
      finish(j, e.what());
      return false;
    }
    return true;
  }

  // Records how the workload ended: `error` says why it failed, "" when its
  // pipeline succeeded (then its file is checked before it counts).
  void finish(Job& j, std::string error) {
    const double seconds = std::chrono::duration<double>(Clock::now() - j.started).count();
    ManifestEntry e = *manifest_.find(j.workload.name);
    e.seconds = seconds;
    const fs::path part = out_ / j.partFile;
    if (error.empty() && !homeProblem(kWorkloadHome).empty())
      error = std::string(kWorkloadHome) + ", the workloads' HOME, appeared on this machine while it ran: it or a " +
              "workload beside it created it (remove it)";
    if (error.empty()) {
      try {
        e.records = verifyOutput(part, configs_, o_.locality);
        e.instructions = tracedInstructions(out_ / j.logFile);
        e.bytes = fs::file_size(part);
        e.xxh3 = hashFile(part);
        e.file = j.workload.name + ".pvs.zst";
        e.report = "reports/" + j.workload.name + ".json";
        std::error_code ec;
        if (fs::exists(out_ / j.partReport, ec)) fs::rename(out_ / j.partReport, out_ / e.report);
        fs::rename(part, out_ / e.file);
      } catch (const std::exception& ex) {
        error = std::string("its output ") + part.filename().string() + " is not usable: " + ex.what();
      }
    }
    std::error_code ec;
    if (!error.empty()) {
      fs::remove(part, ec);
      fs::remove(out_ / j.partReport, ec);
      e.status = "failed";
      e.error = error;
      failed_++;
      failures_.push_back(j.workload.name);
      clearLine();
      std::fprintf(stderr, "pv-dataset: workload '%s' failed: %s\n  (log: %s)\n", j.workload.name.c_str(),
                   error.c_str(), (out_ / j.logFile).c_str());
    } else {
      e.status = "done";
      e.error.clear();
      done_++;
      if (!o_.quiet) {
        clearLine();
        std::fprintf(stderr, "pv-dataset: %s: %s records (%s instructions), %.1f MB, %.1f s\n",
                     j.workload.name.c_str(), withCommas(e.records).c_str(),
                     withCommas(e.instructions).c_str(), e.bytes / 1e6, seconds);
      }
    }
    manifest_.put(e);
    save_();
  }

  void drawProgress(const std::vector<Job*>& running, size_t total, Clock::time_point start) {
    const auto now = Clock::now();
    auto seconds = [&](Clock::time_point since) {
      return std::to_string(static_cast<int>(std::chrono::duration<double>(now - since).count())) + " s";
    };
    std::string line = "pv-dataset: " + std::to_string(done_) + "/" + std::to_string(total) + " done, " +
                       std::to_string(failed_) + " failed, " + seconds(start);
    if (!running.empty()) line += "; running";
    for (const Job* j : running) line += " " + j->workload.name + " (" + seconds(j->started) + ")";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  }

  void clearLine() {
    if (progress_) std::fputs("\r\033[K", stderr);
  }

  const DatasetOptions& o_;
  const fs::path out_, launcher_, pipeline_;
  const ConfigSet& configs_;
  Manifest& manifest_;
  const std::function<int()>& interrupted_;
  const bool progress_;
  const std::function<void()> save_;
  std::string uarchOptions_;  // -c uarchs/A.toml -c uarchs/B.toml ...
  size_t done_ = 0, failed_ = 0;
  std::vector<std::string> failures_;
};

// The shortest text that reads back as `x` ("0.001").
std::string formatNumber(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

// --slurm, --slurm-print: `todo` as one array job (dataset_slurm.h). The
// submitter waits for it, merges what the tasks recorded and reports as a
// local run does; returns the exit status.
int runOnSlurm(const DatasetOptions& o, const fs::path& out, const fs::path& bin, std::vector<Job>& todo,
               size_t kept, Manifest& manifest, const std::vector<std::string>& options,
               const std::function<int()>& interrupted) {
  const fs::path dir = out / "slurm";
  fs::create_directories(dir / "parts");
  if (todo.empty()) {
    if (o.slurm.print) {
      if (!o.quiet) std::fprintf(stderr, "pv-dataset: nothing to submit: every selected workload is finished\n");
      return 0;
    }
    return reportEnd(o, out, manifest, 0, kept, {});
  }
  slurm::JobScript job;
  job.dataset = out.string();
  job.workDir = fs::current_path().string();
  job.logDir = (out / "logs").string();
  for (const Job& j : todo) job.workloads.push_back(j.workload.name);
  // The caller's options as the local run resolved them, run from the
  // caller's folder: the same suite, pipeline, programs and keys.
  job.command = {(fs::path(runtime::executableDir()) / "pv-dataset").string(),
                 "--slurm-task",
                 "-o",
                 o.out,
                 "--suite",
                 o.suitePath,
                 "--pipeline",
                 o.pipeline,
                 "--bin",
                 bin.string(),
                 "--scale",
                 formatNumber(o.scale),
                 "--no-progress"};
  if (o.locality) job.command.push_back("--locality");
  if (const char* t = std::getenv("TMPDIR")) job.tmpdir = t;
  job.maxRunning = o.jobs > 1 ? o.jobs : 0;
  job.options = options;
  const std::string script = slurm::formatScript(job);
  const fs::path scriptFile = dir / "job.sbatch";
  writeFile(scriptFile, script);
  if (o.slurm.print) {
    std::fputs(script.c_str(), stdout);
    if (!o.quiet)
      std::fprintf(stderr,
                   "pv-dataset: wrote %s (%zu array task%s); submit it with sbatch, then run pv-dataset -o %s "
                   "again to merge what the tasks finished\n",
                   scriptFile.c_str(), todo.size(), todo.size() == 1 ? "" : "s", o.out.c_str());
    return 0;
  }
  for (const Job& j : todo) {
    std::error_code ec;
    fs::remove(slurm::partPath(out, j.workload.name), ec);
  }
  const std::string id = runtime::slurm::submit(scriptFile, dir);
  writeFile(dir / "job", id + "\n");
  auto taskLog = [&](size_t i) { return runtime::slurm::taskLog(out / "logs", id, i); };
  if (!o.quiet)
    std::fprintf(stderr, "pv-dataset: submitted Slurm job %s: %zu array task%s (%s); their logs: %s\n", id.c_str(),
                 todo.size(), todo.size() == 1 ? "" : "s", joinWords(job.workloads).c_str(),
                 (out / "logs" / ("slurm-" + id + "_*.out")).c_str());
  const bool progress = o.progress < 0 ? ::isatty(2) : o.progress > 0;
  const auto start = Clock::now();
  auto lastDraw = Clock::time_point{};
  auto tick = [&] {
    if (!progress || Clock::now() - lastDraw < std::chrono::milliseconds(500)) return;
    lastDraw = Clock::now();
    size_t recorded = 0;
    for (const Job& j : todo) {
      std::error_code ec;
      if (fs::exists(slurm::partPath(out, j.workload.name), ec)) recorded++;
    }
    std::fprintf(stderr, "\r\033[Kpv-dataset: Slurm job %s: %zu/%zu tasks recorded, %d s", id.c_str(), recorded,
                 todo.size(), static_cast<int>(std::chrono::duration<double>(Clock::now() - start).count()));
  };
  const int sig = runtime::slurm::wait("pv-dataset", id, dir, interrupted, tick,
                                      "rerun pv-dataset on the folder to merge what it finished");
  if (progress) std::fputs("\r\033[K", stderr);

  // What the tasks recorded; a task that recorded nothing failed (killed
  // at its time or memory limit, cancelled, its node lost).
  const std::vector<fs::path> parts = slurm::mergeParts(out, manifest);
  size_t done = 0;
  std::vector<std::string> failures;
  for (size_t i = 0; i < todo.size(); i++) {
    const std::string& name = todo[i].workload.name;
    ManifestEntry e = *manifest.find(name);
    const fs::path log = out / "logs" / (name + ".log");
    if (e.status == "pending") {
      if (sig) continue;
      e.status = "failed";
      e.error = "its Slurm task " + id + "_" + std::to_string(i) + " ended without recording a result" +
                explainFailure(taskLog(i));
      manifest.put(e);
    }
    if (e.status == "done") {
      done++;
      if (!o.quiet)
        std::fprintf(stderr, "pv-dataset: %s: %s records (%s instructions), %.1f MB, %.1f s\n", name.c_str(),
                     withCommas(e.records).c_str(), withCommas(e.instructions).c_str(), e.bytes / 1e6, e.seconds);
    } else {
      failures.push_back(name);
      std::fprintf(stderr, "pv-dataset: workload '%s' failed: %s\n  (log: %s; Slurm task log: %s)\n", name.c_str(),
                   e.error.c_str(), log.c_str(), taskLog(i).c_str());
    }
  }
  writeManifest(out.string(), manifest);
  for (const auto& p : parts) {
    std::error_code ec;
    fs::remove(p, ec);
  }
  std::error_code ec;
  fs::remove(dir / "job", ec);
  if (sig) {
    std::fprintf(stderr, "pv-dataset: interrupted; %zu of %zu done (rerun the same command to go on)\n", done,
                 todo.size());
    return 128 + sig;
  }
  return reportEnd(o, out, manifest, done, kept, failures);
}

}  // namespace

// ---- the parts

std::string hashOf(const std::string& bytes) { return pv::hex64(XXH3_64bits(bytes.data(), bytes.size())); }

std::string hashFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    XXH3_64bits_update(st, buf.data(), static_cast<size_t>(in.gcount()));
  }
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return pv::hex64(h);
}

std::string withCommas(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); i++) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

ConfigSet readConfigSet(const fs::path& dir, const fs::path& out) {
  ConfigSet set;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string text = readFile(f);
    std::string name;
    try {
      name = pv::uarch::parseConfig(text, f.string()).name;  // checked as pv-uarch will check it
    } catch (const pv::StageError& e) {
      throw ExitStatus(2, e.what());
    }
    set.files.push_back(fs::relative(f, out).string());
    set.names.push_back(name);
    set.hashes.push_back(hashOf(text));
  }
  return set;
}

ConfigSet prepareConfigs(const fs::path& out, const fs::path& bin, const std::string& configDir,
                         uint32_t sample, uint64_t seed, bool anyDone, std::string& source) {
  fs::path target = out / "uarchs";
  if (configDir.empty() && sample == 0) {
    if (!fs::is_directory(target))
      throw ExitStatus(2, "no microarchitectures: give --configs DIR or --sample N [--seed S] (" +
                              target.string() + " does not exist yet)");
  } else {
    fs::path fresh = out / "uarchs.new";
    fs::remove_all(fresh);
    if (!configDir.empty()) {
      if (!fs::is_directory(configDir)) throw ExitStatus(2, configDir + ": --configs is not a folder");
      fs::create_directories(fresh);
      for (const auto& e : fs::directory_iterator(configDir))
        if (e.is_regular_file() && e.path().extension() == ".toml")
          fs::copy_file(e.path(), fresh / e.path().filename());
      source = "dir " + configDir;
    } else {
      runTool({(bin / "pv-uarch").string(), "sample", "--seed", std::to_string(seed), "--count",
               std::to_string(sample), "--out", fresh.string()});
      source = "sample --seed " + std::to_string(seed) + " --count " + std::to_string(sample);
    }
    if (fs::is_directory(target)) {
      if (!sameConfigs(fresh, target)) {
        if (anyDone) {
          fs::remove_all(fresh);
          throw ExitStatus(2, target.string() +
                                  " holds other microarchitectures, with which workloads are already "
                                  "finished; use another output folder (or the same configurations)");
        }
        fs::remove_all(target);
        fs::rename(fresh, target);
      } else {
        fs::remove_all(fresh);
      }
    } else {
      fs::rename(fresh, target);
    }
  }
  ConfigSet set = readConfigSet(target, out);
  if (set.files.empty()) throw ExitStatus(2, target.string() + ": no configurations (*.toml)");
  return set;
}

std::string prepareInputs(const fs::path& out, const Suite& suite) {
  fs::path dir = out / "inputs";
  auto files = pv::workloads::generateInputs();
  std::string all;
  for (const auto& f : files) all += f.name + " " + pv::workloads::hashHex(f.bytes) + "\n";
  // Rewritten only when different: a rerun leaves finished inputs alone.
  std::vector<pv::workloads::InputFile> changed;
  for (auto& f : files) {
    std::error_code ec;
    fs::path p = dir / f.name;
    if (fs::file_size(p, ec) == f.bytes.size() && !ec && readFile(p) == f.bytes) continue;
    changed.push_back(std::move(f));
  }
  try {
    if (!changed.empty()) pv::workloads::writeInputs(dir.string(), changed);
  } catch (const std::exception& e) {
    throw ExitStatus(1, e.what());
  }
  for (const auto& rel : suite.files) {
    fs::path src = fs::path(suite.dir) / rel;
    if (!fs::is_regular_file(src))
      throw ExitStatus(2, suite.path + ": [suite] files: " + src.string() + " does not exist");
    std::string bytes = readFile(src);
    fs::path dst = dir / src.filename();
    std::error_code ec;
    if (!(fs::exists(dst, ec) && readFile(dst) == bytes)) writeFile(dst, bytes);
    all += src.filename().string() + " " + hashOf(bytes) + "\n";
  }
  return hashOf(all);
}

std::map<std::string, std::string> workloadEnvironment(const Workload& w) {
  std::map<std::string, std::string> env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                            {"HOME", kWorkloadHome},
                                            {"LANG", "C"},
                                            {"LC_ALL", "C"},
                                            {"TZ", "UTC"}};
  for (const char* keep : {"TMPDIR", "PV_VALGRIND_LIB"})
    if (const char* v = std::getenv(keep)) env[keep] = v;
  for (const auto& [k, v] : w.env) env[k] = v;
  return env;
}

std::string homeProblem(const fs::path& home) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(home, ec);
  if (ec || !fs::exists(st)) return "";
  return home.string() + " exists on this machine, but the workloads run with HOME=" + home.string() +
         ", which must not exist (a program would read settings from it or write into it, and its trace would "
         "depend on this machine); it is not pv-dataset's: remove it after checking what is in it";
}

std::string explainFailure(const fs::path& log) {
  std::string out;
  for (const auto& line : runtime::slurm::logTail(log, 4, {"pv-launch:", "pv-dataset:"})) out += "\n  " + line;
  return out;
}

std::string entryKey(const std::vector<std::string>& command, const Workload& w, uint64_t count,
                     const ConfigSet& configs, const std::string& inputsHash,
                     const std::string& pipelineHash) {
  std::string s;
  for (const auto& c : command) s += c + '\0';
  for (const auto& [k, v] : w.env) s += k + "=" + v + '\0';
  s += std::to_string(w.skip) + "/" + std::to_string(count) + '\0';
  for (size_t i = 0; i < configs.names.size(); i++) s += configs.names[i] + ":" + configs.hashes[i] + '\0';
  s += inputsHash + '\0' + pipelineHash;
  return hashOf(s);
}

uint64_t verifyOutput(const fs::path& file, const ConfigSet& configs, bool locality) {
  auto reader = pv::runtime::StreamReader::open(file.string());
  const pv::StreamHeader& h = reader->header();
  if (h.payload != pv::PayloadKind::kFeatures) throw ExitStatus(1, "not a feature stream");
  const size_t columns = pv::features::kCount + (locality ? pv::features::kLocalityCount : 0);
  if (h.featureColumns.size() != columns)
    throw ExitStatus(1, std::to_string(h.featureColumns.size()) + " feature columns, expected " +
                            std::to_string(columns));
  if (h.uarchNames != configs.names)
    throw ExitStatus(1, "labelled for [" + joinWords(h.uarchNames) + "], expected [" +
                            joinWords(configs.names) + "]");
  pv::FeatureBatch batch;
  while (reader->next(batch)) {
  }
  return reader->records();
}

uint64_t tracedInstructions(const fs::path& log) {
  static const std::regex re(R"(: (\d+) instructions traced)");
  std::ifstream in(log);
  uint64_t n = 0;
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, re)) n = std::stoull(m[1]);
  return n;
}

std::string formatList(const Suite& suite, const std::vector<Workload>& selected) {
  char row[512];
  auto add = [&](std::string& out, const std::string& name, const std::string& split, const std::string& skip,
                 const std::string& count, const std::string& packages, const std::string& description) {
    std::snprintf(row, sizeof row, "%-15s %-10s %15s %12s  %-22s ", name.c_str(), split.c_str(), skip.c_str(),
                  count.c_str(), packages.c_str());
    out += row + description + "\n";
  };
  std::string out;
  add(out, "name", "split", "skip", "count", "packages", "description");
  for (const auto& w : selected)
    add(out, w.name, w.split, withCommas(w.skip), withCommas(w.count),
        w.packages.empty() ? std::string("(perfvec)") : joinWords(w.packages), w.description);
  out += std::to_string(selected.size()) + " of " + std::to_string(suite.workloads.size()) +
         " workloads of " + suite.name + "\n";
  return out;
}

// ---- the run

int run(const DatasetOptions& o, const std::function<int()>& interrupted) {
  Suite suite = loadSuite(o.suitePath);
  std::vector<Workload> selected = selectWorkloads(suite, o.names, o.split);
  if (o.list) {
    std::fputs(formatList(suite, selected).c_str(), stdout);
    return 0;
  }
  if (o.out.empty()) throw ExitStatus(2, "give the output folder: -o DIR");
  if (selected.empty()) throw ExitStatus(2, "no workload selected (split '" + o.split + "')");
  const bool onSlurm = o.slurm.any();
  if (onSlurm && o.native) throw ExitStatus(2, "--native runs the programs here: not with --slurm or --slurm-print");
  const std::vector<std::string> sbatchOptions = runtime::slurm::sbatchOptions(o.slurm);
  if (o.slurm.submit && !o.slurm.print) runtime::slurm::requireClients();
  if (o.slurmTask && selected.size() != 1) throw ExitStatus(2, "--slurm-task runs one workload (-w NAME)");
  fs::path bin = o.bin.empty() ? fs::path(runtime::executableDir()) : fs::absolute(o.bin);
  fs::path out = fs::absolute(o.out);
  fs::create_directories(out);
  std::string inputsHash = prepareInputs(out, suite);
  if (o.native) return runNative(o, out, bin, selected, interrupted);

  fs::path pipeline = fs::absolute(o.pipeline);
  if (!fs::is_regular_file(pipeline)) throw ExitStatus(2, o.pipeline + ": pipeline file not found");
  std::string pipelineHash = hashOf(readFile(pipeline));
  fs::path launcher = bin / "pv-launch";
  if (::access(launcher.c_str(), X_OK) != 0)
    throw ExitStatus(2, launcher.string() + " not found (build it, or give --bin)");

  std::optional<Manifest> previous;
  try {
    previous = readManifest(out.string());
  } catch (const std::exception& e) {
    throw ExitStatus(2, e.what());
  }
  // What earlier Slurm tasks finished (this run's own tasks never merge).
  std::vector<fs::path> mergedParts;
  if (!o.slurmTask) {
    // The folder's last job must have ended: its tasks write the files.
    runtime::slurm::checkPreviousJob("pv-dataset", out / "slurm", out.string(), o.slurm.submit && !o.slurm.print);
    if (previous) mergedParts = slurm::mergeParts(out, *previous);
  }
  bool anyDone = previous && std::any_of(previous->workloads.begin(), previous->workloads.end(),
                                         [](const ManifestEntry& e) { return e.status == "done"; });
  std::string source = previous ? previous->configSource : "";
  ConfigSet configs = prepareConfigs(out, bin, o.configDir, o.sample, o.seed, anyDone, source);
  Manifest manifest = previous.value_or(Manifest{});
  if (anyDone && (manifest.configs != configs.names || manifest.configHashes != configs.hashes))
    throw ExitStatus(2, (out / "manifest.toml").string() +
                            ": finished workloads were labelled for other microarchitectures; use "
                            "another output folder");
  manifest.suite = suite.name;
  manifest.suiteFile = o.suitePath;
  manifest.configSource = source;
  manifest.configs = configs.names;
  manifest.configHashes = configs.hashes;
  manifest.inputsHash = inputsHash;
  manifest.scale = o.scale;
  fs::create_directories(out / "logs");
  fs::create_directories(out / "reports");

  // What is left to do; the finished ones are checked, not trusted.
  std::vector<Job> todo;
  size_t kept = 0;
  for (const auto& w : selected) {
    Job j;
    j.workload = w;
    j.command = expandCommand(w, "inputs", bin.string());
    j.count = scaledCount(w.count, o.scale);
    j.key = entryKey(j.command, w, j.count, configs, inputsHash, pipelineHash + (o.locality ? "+locality" : ""));
    if (const ManifestEntry* e = manifest.find(w.name); e && e->status == "done" && e->key == j.key) {
      std::error_code ec;
      fs::path f = out / e->file;
      if (fs::file_size(f, ec) == e->bytes && !ec && hashFile(f) == e->xxh3) {
        kept++;
        continue;
      }
    }
    ManifestEntry pending;
    pending.name = w.name;
    pending.status = "pending";
    pending.split = w.split;
    pending.command = j.command;
    pending.skip = w.skip;
    pending.count = j.count;
    pending.key = j.key;
    manifest.put(pending);
    todo.push_back(std::move(j));
  }
  if (o.slurmTask) {
    // The task's workload alone, recorded in its part; the folder's
    // manifest is the submitter's.
    Manifest part = manifest;
    part.workloads = {*manifest.find(selected[0].name)};
    const fs::path partFile = slurm::partPath(out, selected[0].name);
    fs::create_directories(partFile.parent_path());
    auto save = [&] { writeFile(partFile, formatManifest(part)); };
    save();
    return JobRunner(o, out, launcher, pipeline, configs, part, interrupted, save).run(todo, kept);
  }
  writeManifest(out.string(), manifest);
  for (const auto& p : mergedParts) {
    std::error_code ec;
    fs::remove(p, ec);
  }
  if (!o.quiet && kept)
    std::fprintf(stderr, "pv-dataset: %zu of %zu workloads already finished in %s\n", kept, selected.size(),
                 out.c_str());
  if (onSlurm) return runOnSlurm(o, out, bin, todo, kept, manifest, sbatchOptions, interrupted);
  return JobRunner(o, out, launcher, pipeline, configs, manifest, interrupted,
                   [&] { writeManifest(out.string(), manifest); })
      .run(todo, kept);
}

}  // namespace pv::dataset
