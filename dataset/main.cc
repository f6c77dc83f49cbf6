// pv-dataset: turns the workload suite x a set of microarchitectures into
// labelled feature files for training (dataset/README.md). Per workload it
// runs pipelines/workload-labelled.toml with pv-launch (trace the region
// under Valgrind, label it with pv-uarch, features, reuse distances), checks
// the file it wrote, and records it in manifest.toml; a rerun skips what is
// finished.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dataset/workload_suite.h"
#include "examples/workloads/workload_inputs.h"
#include "stages/core/feature_batch.h"
#include "stages/core/file_bytes.h"
#include "stages/core/hex.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"

namespace fs = std::filesystem;
using pv::dataset::Manifest;
using pv::dataset::ManifestEntry;
using pv::dataset::Suite;
using pv::dataset::Workload;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t gSignal = 0;
void onSignal(int sig) {
  if (gSignal == 0) gSignal = sig;
}

// A usage or set-up problem (exit 2) or a run-time one (exit 1).
struct Failure : std::runtime_error {
  Failure(int code, const std::string& what) : std::runtime_error(what), code(code) {}
  int code;
};

std::string readFile(const fs::path& p) { return pv::readFileBytes(p.string()); }

void writeFile(const fs::path& p, const std::string& bytes) {
  fs::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    if (!out) throw Failure(1, tmp.string() + ": cannot write: " + std::strerror(errno));
  }
  fs::rename(tmp, p);
}


std::string hashOf(const std::string& bytes) { return pv::hex64(XXH3_64bits(bytes.data(), bytes.size())); }

// Hash of a file, streamed (dataset files can be large).
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

std::string joinWords(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& w : v) out += (out.empty() ? "" : " ") + w;
  return out;
}

fs::path selfDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

// A default file named relative to the source tree (the suite, the
// pipeline): as it is when it exists here, else an installed tree's copy
// (PREFIX/bin/pv-dataset, PREFIX/share/perfvec/PATH; docs/install.md), else
// as it is, for the error.
std::string installedDefault(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  fs::path installed = (selfDir() / "../share/perfvec" / path).lexically_normal();
  return fs::exists(installed, ec) ? installed.string() : path;
}

// ---- configurations -------------------------------------------------------

struct ConfigSet {
  std::vector<std::string> files;   // relative to the dataset folder
  std::vector<std::string> names;   // label names (the file's `name`, else its stem)
  std::vector<std::string> hashes;
};

ConfigSet readConfigSet(const fs::path& dir, const fs::path& out) {
  ConfigSet set;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::string text = readFile(f);
    std::string name = f.stem().string();
    toml::parse_result parsed = toml::parse(text, f.string());
    if (!parsed)
      throw Failure(2, f.string() + ": not a configuration: TOML: " +
                           std::string(parsed.error().description()));
    if (auto n = parsed.table()["name"].value<std::string>()) name = *n;
    set.files.push_back(fs::relative(f, out).string());
    set.names.push_back(name);
    set.hashes.push_back(hashOf(text));
  }
  return set;
}

bool sameFiles(const fs::path& a, const fs::path& b) {
  auto list = [](const fs::path& d) {
    std::map<std::string, std::string> m;
    for (const auto& e : fs::directory_iterator(d))
      if (e.is_regular_file()) m[e.path().filename().string()] = hashOf(readFile(e.path()));
    return m;
  };
  return list(a) == list(b);
}

// Runs a command to completion (stdout to /dev/null, stderr kept); throws
// Failure with its stderr when it fails.
void runTool(const std::vector<std::string>& argv) {
  fs::path err = fs::temp_directory_path() / ("pv-dataset-" + std::to_string(::getpid()) + ".err");
  pid_t pid = ::fork();
  if (pid < 0) throw Failure(1, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(null, 1);
    if (e >= 0) ::dup2(e, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string msg;
  std::error_code ec;
  if (fs::exists(err, ec)) msg = readFile(err);
  fs::remove(err, ec);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Failure(1, joinWords(argv) + " failed: " + msg);
}

// Puts the configurations into OUT/uarchs (from --configs DIR or drawn by
// pv-uarch sample) and reads them back. An existing OUT/uarchs with other
// contents is an error once any workload is finished with it.
ConfigSet prepareConfigs(const fs::path& out, const fs::path& bin, const std::string& configDir,
                         uint32_t sample, uint64_t seed, bool anyDone, std::string& source) {
  fs::path target = out / "uarchs";
  if (configDir.empty() && sample == 0) {
    if (!fs::is_directory(target))
      throw Failure(2, "no microarchitectures: give --configs DIR or --sample N [--seed S] (" +
                           target.string() + " does not exist yet)");
  } else {
    fs::path fresh = out / "uarchs.new";
    fs::remove_all(fresh);
    if (!configDir.empty()) {
      if (!fs::is_directory(configDir)) throw Failure(2, configDir + ": --configs is not a folder");
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
      if (!sameFiles(fresh, target)) {
        if (anyDone) {
          fs::remove_all(fresh);
          throw Failure(2, target.string() +
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
  if (set.files.empty()) throw Failure(2, target.string() + ": no configurations (*.toml)");
  return set;
}

// ---- inputs ---------------------------------------------------------------

// Writes the generated inputs and the suite's own files into OUT/inputs;
// returns the hash of all of them (names and contents).
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
    throw Failure(1, e.what());
  }
  for (const auto& rel : suite.files) {
    fs::path src = fs::path(suite.dir) / rel;
    if (!fs::is_regular_file(src))
      throw Failure(2, suite.path + ": [suite] files: " + src.string() + " does not exist");
    std::string bytes = readFile(src);
    fs::path dst = dir / src.filename();
    std::error_code ec;
    if (!(fs::exists(dst, ec) && readFile(dst) == bytes)) writeFile(dst, bytes);
    all += src.filename().string() + " " + hashOf(bytes) + "\n";
  }
  return hashOf(all);
}

// ---- processes ------------------------------------------------------------

// The guest's environment, fixed so that its stack layout and behaviour do
// not depend on the caller's (only what the tools themselves need passes).
std::vector<std::string> childEnvironment(const Workload& w) {
  std::map<std::string, std::string> env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                            {"HOME", "/nonexistent"},
                                            {"LANG", "C"},
                                            {"LC_ALL", "C"},
                                            {"TZ", "UTC"}};
  for (const char* keep : {"TMPDIR", "PV_VALGRIND_LIB"})
    if (const char* v = std::getenv(keep)) env[keep] = v;
  for (const auto& [k, v] : w.env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const fs::path& cwd, const fs::path& log) {
  pid_t pid = ::fork();
  if (pid < 0) throw Failure(1, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // pv-launch ends (and stops its stages) when pv-dataset dies, even by SIGKILL.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() == 1) ::_exit(1);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (null < 0 || err < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err, 2);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(args[0], args.data(), envp.data());
    std::fprintf(stderr, "pv-dataset: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// The lines that explain a failure: pv-launch's report, else the log's end.
std::string explainFailure(const fs::path& log) {
  std::vector<std::string> lines, report;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    lines.push_back(line);
    if (line.rfind("pv-launch:", 0) == 0 || line.rfind("pv-dataset:", 0) == 0) report.push_back(line);
  }
  const auto& use = report.empty() ? lines : report;
  std::string out;
  size_t from = use.size() > 4 ? use.size() - 4 : 0;
  for (size_t i = from; i < use.size(); i++) out += "\n  " + use[i];
  return out;
}

// ---- jobs -----------------------------------------------------------------

struct Job {
  Workload workload;
  std::vector<std::string> command;  // expanded
  uint64_t count = 0;                // scaled
  std::string key;
  pid_t pid = -1;
  Clock::time_point started;
  std::string partFile, partReport, logFile;
};

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

// Reads the whole file: it must be a complete labelled feature stream with
// exactly the configurations' labels. Returns its record count.
uint64_t verifyOutput(const fs::path& file, const ConfigSet& configs) {
  auto reader = pv::runtime::StreamReader::open(file.string());
  const pv::StreamHeader& h = reader->header();
  if (h.payload != pv::PayloadKind::kFeatures) throw Failure(1, "not a feature stream");
  if (h.uarchNames != configs.names)
    throw Failure(1, "labelled for [" + joinWords(h.uarchNames) + "], expected [" +
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

struct Options {
  std::string suitePath = "examples/workloads/workloads.toml";
  std::string pipeline = "pipelines/workload-labelled.toml";
  std::string out;
  std::vector<std::string> names;
  std::string split = "all";
  std::string configDir;
  uint32_t sample = 0;
  uint64_t seed = 1;
  double scale = 1.0;
  unsigned jobs = 1;
  std::string bin;
  bool list = false, native = false, quiet = false;
  int progress = -1;  // -1: when stderr is a terminal
};

void printList(const Suite& suite, const std::vector<Workload>& selected) {
  std::printf("%-15s %-5s %15s %12s  %-22s %s\n", "name", "split", "skip", "count", "packages",
              "description");
  for (const auto& w : selected)
    std::printf("%-15s %-5s %15s %12s  %-22s %s\n", w.name.c_str(), w.split.c_str(),
                withCommas(w.skip).c_str(), withCommas(w.count).c_str(),
                (w.packages.empty() ? std::string("(perfvec)") : joinWords(w.packages)).c_str(),
                w.description.c_str());
  std::printf("%zu of %zu workloads of %s\n", selected.size(), suite.workloads.size(),
              suite.name.c_str());
}

// --native: every selected workload runs once, untraced, in OUT.
int runNative(const Options& o, const fs::path& out, const fs::path& bin,
              const std::vector<Workload>& selected) {
  fs::create_directories(out / "logs");
  int failed = 0;
  for (const auto& w : selected) {
    auto command = pv::dataset::expandCommand(w, "inputs", bin.string());
    std::string missing = pv::dataset::missingProgram(w, command);
    if (!missing.empty()) {
      std::fprintf(stderr, "pv-dataset: workload '%s': %s\n", w.name.c_str(), missing.c_str());
      failed++;
      continue;
    }
    fs::path log = out / "logs" / (w.name + ".native.log");
    auto start = Clock::now();
    pid_t pid = spawn(command, childEnvironment(w), out, log);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      if (gSignal) ::kill(pid, SIGTERM);
    }
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      if (!o.quiet) std::printf("%-15s ok %7.2f s\n", w.name.c_str(), s);
    } else {
      failed++;
      std::fprintf(stderr, "pv-dataset: workload '%s' failed natively: %s (%s)%s\n", w.name.c_str(),
                   describeStatus(status).c_str(), joinWords(command).c_str(),
                   explainFailure(log).c_str());
    }
    if (gSignal) break;
  }
  if (gSignal) return 128 + gSignal;
  if (!o.quiet) std::printf("%zu workloads, %d failed\n", selected.size(), failed);
  return failed ? 1 : 0;
}

int run(const Options& o) {
  Suite suite = pv::dataset::loadSuite(o.suitePath);
  std::vector<Workload> selected = pv::dataset::selectWorkloads(suite, o.names, o.split);
  if (o.list) {
    printList(suite, selected);
    return 0;
  }
  if (o.out.empty()) throw Failure(2, "give the output folder: -o DIR");
  if (selected.empty()) throw Failure(2, "no workload selected (split '" + o.split + "')");
  fs::path bin = o.bin.empty() ? selfDir() : fs::absolute(o.bin);
  fs::path out = fs::absolute(o.out);
  fs::create_directories(out);
  std::string inputsHash = prepareInputs(out, suite);
  if (o.native) return runNative(o, out, bin, selected);

  fs::path pipeline = fs::absolute(o.pipeline);
  if (!fs::is_regular_file(pipeline)) throw Failure(2, o.pipeline + ": pipeline file not found");
  std::string pipelineHash = hashOf(readFile(pipeline));
  fs::path launcher = bin / "pv-launch";
  if (::access(launcher.c_str(), X_OK) != 0)
    throw Failure(2, launcher.string() + " not found (build it, or give --bin)");

  std::optional<Manifest> previous;
  try {
    previous = pv::dataset::readManifest(out.string());
  } catch (const std::exception& e) {
    throw Failure(2, e.what());
  }
  bool anyDone = previous && std::any_of(previous->workloads.begin(), previous->workloads.end(),
                                         [](const ManifestEntry& e) { return e.status == "done"; });
  std::string source = previous ? previous->configSource : "";
  ConfigSet configs =
      prepareConfigs(out, bin, o.configDir, o.sample, o.seed, anyDone, source);
  Manifest manifest = previous.value_or(Manifest{});
  if (anyDone && (manifest.configs != configs.names || manifest.configHashes != configs.hashes))
    throw Failure(2, (out / "manifest.toml").string() +
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

  std::string uarchOptions;
  for (const auto& f : configs.files) uarchOptions += (uarchOptions.empty() ? "-c " : " -c ") + f;

  // What is left to do; the finished ones are checked, not trusted.
  std::vector<Job> todo;
  size_t kept = 0;
  for (const auto& w : selected) {
    Job j;
    j.workload = w;
    j.command = pv::dataset::expandCommand(w, "inputs", bin.string());
    j.count = pv::dataset::scaledCount(w.count, o.scale);
    j.key = entryKey(j.command, w, j.count, configs, inputsHash, pipelineHash);
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
  pv::dataset::writeManifest(out.string(), manifest);
  if (!o.quiet && kept)
    std::fprintf(stderr, "pv-dataset: %zu of %zu workloads already finished in %s\n", kept,
                 selected.size(), out.c_str());

  bool progress = o.progress < 0 ? ::isatty(2) : o.progress > 0;
  size_t next = 0, done = 0, failed = 0, total = todo.size();
  std::vector<Job*> running;
  std::vector<std::string> failures;
  auto start = Clock::now();
  auto lastDraw = Clock::time_point{};
  auto clearLine = [&] {
    if (progress) std::fputs("\r\033[K", stderr);
  };

  // `preset`: a reason it could not start (then `status` is not used).
  auto finish = [&](Job& j, int status, const std::string& preset = "") {
    double seconds = std::chrono::duration<double>(Clock::now() - j.started).count();
    ManifestEntry e = *manifest.find(j.workload.name);
    e.seconds = seconds;
    fs::path part = out / j.partFile;
    std::string error = preset;
    if (!preset.empty()) {
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      try {
        e.records = verifyOutput(part, configs);
        e.instructions = tracedInstructions(out / j.logFile);
        e.bytes = fs::file_size(part);
        e.xxh3 = hashFile(part);
        e.file = j.workload.name + ".pvs.zst";
        e.report = "reports/" + j.workload.name + ".json";
        std::error_code ec;
        if (fs::exists(out / j.partReport, ec)) fs::rename(out / j.partReport, out / e.report);
        fs::rename(part, out / e.file);
      } catch (const std::exception& ex) {
        error = std::string("its output ") + part.filename().string() + " is not usable: " + ex.what();
      }
    } else {
      error = "pipeline " + describeStatus(status) + explainFailure(out / j.logFile);
    }
    std::error_code ec;
    if (!error.empty()) {
      fs::remove(part, ec);
      fs::remove(out / j.partReport, ec);
      e.status = "failed";
      e.error = error;
      failed++;
      failures.push_back(j.workload.name);
      clearLine();
      std::fprintf(stderr, "pv-dataset: workload '%s' failed: %s\n  (log: %s)\n",
                   j.workload.name.c_str(), error.c_str(), (out / j.logFile).c_str());
    } else {
      e.status = "done";
      e.error.clear();
      done++;
      if (!o.quiet) {
        clearLine();
        std::fprintf(stderr, "pv-dataset: %s: %s records (%s instructions), %.1f MB, %.1f s\n",
                     j.workload.name.c_str(), withCommas(e.records).c_str(),
                     withCommas(e.instructions).c_str(), e.bytes / 1e6, seconds);
      }
    }
    manifest.put(e);
    pv::dataset::writeManifest(out.string(), manifest);
  };

  while ((next < todo.size() || !running.empty())) {
    // Start as many as allowed.
    while (!gSignal && next < todo.size() && running.size() < std::max(1u, o.jobs)) {
      Job& j = todo[next++];
      std::string missing = pv::dataset::missingProgram(j.workload, j.command);
      j.started = Clock::now();
      j.partFile = j.workload.name + ".part.pvs.zst";
      j.partReport = "reports/" + j.workload.name + ".part.json";
      j.logFile = "logs/" + j.workload.name + ".log";
      if (!missing.empty()) {
        std::ofstream(out / j.logFile) << "pv-dataset: " << missing << "\n";
        finish(j, 0, missing);
        continue;
      }
      std::vector<std::string> argv = {
          // Pipes, not ZeroMQ ipc: the bytes are the same, and a pipe cannot
          // lose a stream's end (a pipeline over ipc was seen to hang after
          // the tap ended; see dataset/README.md).
          launcher.string(), pipeline.string(), "--no-progress", "--transport", "pipe",
          "command=" + joinWords(j.command), "skip=" + std::to_string(j.workload.skip),
          "count=" + std::to_string(j.count),
          "uarch_options=" + uarchOptions + " --report " + j.partReport, "out=" + j.partFile};
      j.pid = spawn(argv, childEnvironment(j.workload), out, out / j.logFile);
      running.push_back(&j);
    }
    if (gSignal) {
      for (Job* j : running) ::kill(j->pid, SIGTERM);
      for (Job* j : running) {
        int status;
        while (::waitpid(j->pid, &status, 0) < 0 && errno == EINTR) {
        }
        std::error_code ec;
        fs::remove(out / j->partFile, ec);
        fs::remove(out / j->partReport, ec);
      }
      running.clear();
      pv::dataset::writeManifest(out.string(), manifest);
      clearLine();
      std::fprintf(stderr, "pv-dataset: interrupted; %zu of %zu done (rerun the same command to go on)\n",
                   done, total);
      return 128 + gSignal;
    }
    // Reap what ended.
    for (size_t i = 0; i < running.size();) {
      int status = 0;
      pid_t r = ::waitpid(running[i]->pid, &status, WNOHANG);
      if (r == running[i]->pid) {
        Job* j = running[i];
        running.erase(running.begin() + static_cast<long>(i));
        finish(*j, status);
      } else {
        i++;
      }
    }
    if (progress && Clock::now() - lastDraw > std::chrono::milliseconds(500)) {
      lastDraw = Clock::now();
      std::string line = "pv-dataset: " + std::to_string(done) + "/" + std::to_string(total) +
                         " done, " + std::to_string(failed) + " failed, " +
                         std::to_string(static_cast<int>(
                             std::chrono::duration<double>(Clock::now() - start).count())) +
                         " s";
      if (!running.empty()) line += "; running";
      for (Job* j : running)
        line += " " + j->workload.name + " (" +
                std::to_string(static_cast<int>(
                    std::chrono::duration<double>(Clock::now() - j->started).count())) +
                " s)";
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
    }
    if (!running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  clearLine();
  uint64_t bytes = 0, records = 0;
  for (const auto& e : manifest.workloads)
    if (e.status == "done") bytes += e.bytes, records += e.records;
  if (!o.quiet)
    std::fprintf(stderr, "pv-dataset: %zu done, %zu failed, %zu already finished; dataset %s records, %.1f MB in %s\n",
                 done, failed, kept, withCommas(records).c_str(), bytes / 1e6, out.c_str());
  if (!failures.empty()) {
    std::fprintf(stderr, "pv-dataset: failed: %s\n", joinWords(failures).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-dataset", "Turns the workload suite x microarchitectures into labelled feature files for training: "
      "per workload, its region traced under Valgrind, labelled by pv-uarch on every "
      "configuration, as OUT/NAME.pvs.zst, with OUT/manifest.toml. Finished workloads are "
      "kept on a rerun: an interrupted run goes on where it stopped.");
  CLI::App& app = tool.cli();
  Options o;
  app.add_option("-o,--out", o.out, "Output folder (created when missing)");
  app.add_option("--suite", o.suitePath, "Workload suite file")->capture_default_str();
  app.add_option("-w,--workload", o.names, "Workloads by name (repeat, or comma-separated); default: --split")
      ->delimiter(',');
  app.add_option("--split", o.split, "Workloads of this split when none is named: train, test or all")
      ->capture_default_str();
  app.add_option("--configs", o.configDir, "Folder of microarchitecture configurations (*.toml)");
  app.add_option("--sample", o.sample, "Draw N configurations with pv-uarch sample instead")
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--seed", o.seed, "Seed of --sample")->capture_default_str();
  app.add_option("--scale", o.scale, "Multiply every region's instruction count by this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("-j,--jobs", o.jobs, "Workloads run at the same time")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  app.add_option("--pipeline", o.pipeline, "Pipeline file run per workload")->capture_default_str();
  app.add_option("--bin", o.bin, "Folder of pv-launch, the stages and pv-kernels (default: beside pv-dataset)");
  app.add_flag("--list", o.list, "Print the selected workloads and exit");
  app.add_flag("--native", o.native,
               "Run each selected workload natively once (no tracing) in OUT and report its exit "
               "status and time; writes only the inputs and logs");
  bool progressOn = false, progressOff = false;
  app.add_flag("--progress", progressOn, "Show a progress line (default: when stderr is a terminal)");
  app.add_flag("--no-progress", progressOff, "Never show a progress line");
  app.add_flag("-q,--quiet", o.quiet, "Print only errors");
  app.footer(
      "Exit status: 0 every selected workload finished; 1 a workload failed (the others still "
      "ran; the manifest says why); 2 usage error, bad suite file or configurations; 128+N "
      "stopped by signal N (rerun to go on).");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  if (!o.configDir.empty() && o.sample) {
    std::fprintf(stderr, "pv-dataset: --configs and --sample exclude each other\n");
    return 2;
  }
  o.progress = progressOn ? 1 : progressOff ? 0 : -1;
  if (app.count("--suite") == 0) o.suitePath = installedDefault(o.suitePath);
  if (app.count("--pipeline") == 0) o.pipeline = installedDefault(o.pipeline);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    ::sigaction(sig, &sa, nullptr);
  }
  try {
    return run(o);
  } catch (const pv::dataset::SuiteError& e) {
    std::fprintf(stderr, "pv-dataset: %s\n", e.what());
    return 2;
  } catch (const Failure& e) {
    std::fprintf(stderr, "pv-dataset: %s\n", e.what());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pv-dataset: %s\n", e.what());
    return 1;
  }
}
