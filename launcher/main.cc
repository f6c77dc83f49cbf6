// pv-launch: runs a pipeline file. Reads and checks the file, binds its
// parameters, finds the stages' executables, wires consecutive stages (ZeroMQ
// ipc sockets in a private temporary folder, pipes, or tcp), runs them under
// the supervisor, cleans up, and reports the first failure.
// Flags and orchestration only; the parts are in pipeline_file, wiring and
// supervisor.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "launcher/pipeline_file.h"
#include "launcher/supervisor.h"
#include "launcher/wiring.h"
#include "stages/runtime/curve.h"
#include "stages/runtime/tool.h"

namespace {

using namespace pv::launch;

constexpr const char* kName = "pv-launch";

struct Options {
  std::string file;
  std::vector<std::string> assignments;
  std::string transport = "ipc";
  std::string host = "127.0.0.1";
  int basePort = 0;
  double grace = 2.0;
  bool dryRun = false;
  bool describe = false;
  bool progress = false;
  bool noProgress = false;
  bool quiet = false;
  bool verbose = false;
  double stallTimeout = -1;  // -1: the file's stall_timeout, else 0 (never)
  std::string memoryLimit;   // "" : the file's memory_limit keys
  std::string checkpoint;
  uint64_t checkpointEvery = 0;
  double checkpointSeconds = 0;
  bool resume = false;
  std::string keygen;                 // --keygen NAME
  std::vector<std::string> security;  // the [security] table's stage options
};

// pv-launch's exit status for each fault (launcher/README.md).
int exitStatus(PipelineOutcome::Fault fault) {
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

std::string baseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The stage that runs `program` (by executable name); usage error unless
// exactly one does.
std::optional<size_t> stageRunning(const std::vector<StageCommand>& commands, const std::string& program) {
  std::optional<size_t> found;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (baseName(commands[i].run) != program) continue;
    if (found)
      throw UsageError("--checkpoint: stages '" + commands[*found].name + "' and '" + commands[i].name +
                       "' both run " + program + "; pv-launch checkpoints pipelines with one");
    found = i;
  }
  return found;
}

// The 'skip S' of a pv-aggregate checkpoint (pv-aggregate checks the rest).
uint64_t checkpointSkip(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("skip ", 0) == 0) {
      char* end = nullptr;
      uint64_t v = std::strtoull(line.c_str() + 5, &end, 10);
      if (*end == '\0' && line.size() > 5) return v;
    }
  throw std::runtime_error("checkpoint " + path + " has no valid 'skip' line (not a pv-aggregate checkpoint?)");
}

// --checkpoint: gives pv-aggregate its checkpoint options and, resuming,
// --resume; gives pv-window --start-at S (aggregate/checkpoint.h).
// Returns a line to print, or throws UsageError.
std::string addCheckpointing(const Options& o, std::vector<StageCommand>& commands) {
  auto aggregate = stageRunning(commands, "pv-aggregate");
  if (!aggregate) throw UsageError("--checkpoint: the pipeline has no pv-aggregate stage");
  std::vector<std::string> args = {"--checkpoint", o.checkpoint};
  if (o.checkpointEvery > 0) args.insert(args.end(), {"--checkpoint-every", std::to_string(o.checkpointEvery)});
  if (o.checkpointSeconds > 0) {
    std::ostringstream t;
    t << o.checkpointSeconds;
    args.insert(args.end(), {"--checkpoint-seconds", t.str()});
  }
  std::string note;
  struct stat st {};
  const bool exists = ::stat(o.checkpoint.c_str(), &st) == 0;
  if (exists && !o.resume)
    throw UsageError("checkpoint " + o.checkpoint +
                     " exists: add --resume to continue from it, or remove it to start over");
  if (exists) {
    uint64_t skip = checkpointSkip(o.checkpoint);
    args.insert(args.end(), {"--resume", o.checkpoint});
    if (skip > 0) {
      auto window = stageRunning(commands, "pv-window");
      if (!window || *window > *aggregate)
        throw UsageError("--resume: the checkpoint restarts the feature stream at record " +
                         std::to_string(skip) + ", but the pipeline has no pv-window stage before '" +
                         commands[*aggregate].name + "' to cut it");
      auto& w = commands[*window].args;
      w.insert(w.begin(), {"--start-at", std::to_string(skip)});
    }
    note = "pv-launch: resuming from checkpoint " + o.checkpoint +
           (skip > 0 ? " (the feature stream restarts at record " + std::to_string(skip) + ")" : "");
  } else if (o.resume) {
    note = "pv-launch: no checkpoint " + o.checkpoint + " yet: starting from the beginning";
  }
  auto& a = commands[*aggregate].args;
  a.insert(a.begin(), args.begin(), args.end());
  return note;
}

int usageError(const std::string& message) {
  std::cerr << kName << ": " << message << "\n"
            << "Run '" << kName << " --help' for usage.\n";
  return 2;
}

// A file, stdin, stdout or stderr closed by the caller would otherwise be
// taken by the first pipe pv-launch creates.
void ensureStandardFds() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0 && null != fd) {
      ::dup2(null, fd);
      ::close(null);
    }
  }
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
    out << "\n";
    if (!s.description.empty())
      out << "  " << std::string(width, ' ') << "  " << s.description << "\n";
  }
  return out.str();
}

// The state of a file before the run, to tell whether the run wrote it.
struct FileState {
  bool exists = false;
  ino_t inode = 0;
  off_t size = 0;
  timespec mtime{};
};

FileState fileState(const std::string& path) {
  struct stat st {};
  FileState s;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    s.exists = true;
    s.inode = st.st_ino;
    s.size = st.st_size;
    s.mtime = st.st_mtim;
  }
  return s;
}

bool changed(const FileState& before, const FileState& after) {
  if (!after.exists) return false;
  return !before.exists || before.inode != after.inode || before.size != after.size ||
         before.mtime.tv_sec != after.mtime.tv_sec || before.mtime.tv_nsec != after.mtime.tv_nsec;
}

void report(const PipelineSpec& spec, const std::vector<ProcessSpec>& processes,
            const PipelineOutcome& outcome) {
  if (outcome.culprit) {
    size_t c = *outcome.culprit;
    const StageEnd& s = outcome.stages[c];
    std::string what = s.describe();
    switch (outcome.fault()) {
      case PipelineOutcome::kCrashed:
        what = "crashed: " + what;
        break;
      case PipelineOutcome::kHung:
        if (s.stopped == StageEnd::kStalled) {
          char seconds[32];
          std::snprintf(seconds, sizeof seconds, "%g",
                        std::chrono::duration<double>(outcome.stalledFor).count());
          what = std::string("hung: no stage made progress for ") + seconds + " s and " + s.stallNote +
                 " (" + what + ")";
        } else {
          what = "hung: " + what;
        }
        break;
      case PipelineOutcome::kOutOfMemory:
        what = "ran out of memory" +
               (processes[c].memoryLimit ? " (limit " + memoryText(processes[c].memoryLimit) + ")"
                                         : std::string()) +
               ": " + what;
        break;
      default:
        break;
    }
    std::cerr << kName << ": pipeline " << spec.name << " failed: stage '" << processes[c].name
              << "' (" << processes[c].argv[0] << ") " << what << "\n";
    for (const auto& line : s.tail) std::cerr << kName << ":   " << line << "\n";
  } else {
    std::cerr << kName << ": pipeline " << spec.name << " failed\n";
  }
  std::string others;
  for (size_t i = 0; i < processes.size(); ++i) {
    if (outcome.culprit && i == *outcome.culprit) continue;
    others +=
        (others.empty() ? "" : "; ") + processes[i].name + ": " + outcome.stages[i].describe();
  }
  if (!others.empty()) std::cerr << kName << ": other stages: " << others << "\n";
}

int run(const Options& o, const PipelineSpec& spec, const std::vector<StageCommand>& commands,
        Transport transport, std::optional<uint64_t> memoryLimit) {
  // Executables, before anything starts.
  const std::string here = selfDir();
  const char* path = std::getenv("PATH");
  std::vector<std::string> programs;
  for (size_t i = 0; i < commands.size(); ++i) {
    auto found = findExecutable(commands[i].run, here, path ? path : "/usr/bin:/bin");
    if (!found) {
      PipelineError e(spec.file, spec.stages[i].run.pos,
                      "stage '" + commands[i].name + "': no executable '" + commands[i].run + "'" +
                          (commands[i].run.find('/') == std::string::npos
                               ? " beside pv-launch (" + here + ") or on PATH"
                               : ""));
      std::cerr << kName << ": " << e.what() << "\n";
      return 2;
    }
    programs.push_back(*found);
  }

  int interrupt = 0;
  int status = 0;
  {
    SignalRelay signals;  // before the temporary folder exists
    std::string dir;
    if (transport == Transport::kIpc && commands.size() > 1) {
      const char* tmp = std::getenv("TMPDIR");
      const std::string tmpDir = tmp && *tmp ? tmp : "/tmp";
      // Folders of earlier runs whose pv-launch was killed with SIGKILL.
      for (const auto& stale : removeStaleRunFolders(tmpDir))
        if (!o.quiet) std::cerr << kName << ": removed " << stale << " (its pv-launch is gone)\n";
      try {
        dir = makeRunFolder(tmpDir);
      } catch (const std::exception& e) {
        std::cerr << kName << ": " << e.what() << "\n";
        return 1;
      }
    }
    std::vector<std::string> links;
    try {
      links = linkEndpoints(transport, commands.size() - 1, dir, o.host, o.basePort);
    } catch (const std::exception& e) {
      if (!dir.empty()) std::filesystem::remove_all(dir);
      std::cerr << kName << ": " << e.what() << "\n";
      return 1;
    }
    // A Unix socket path holds at most 107 bytes.
    if (!links.empty() && transport == Transport::kIpc && links.back().size() - 6 > 100) {
      std::filesystem::remove_all(dir);
      std::cerr << kName << ": socket path " << links.back()
                << " is too long for a Unix socket; set TMPDIR to a shorter folder\n";
      return 1;
    }

    SuperviseOptions so;
    so.pipes = transport == Transport::kPipe;
    so.progress = o.progress || (!o.noProgress && !o.quiet && ::isatty(2));
    so.title = spec.name;
    so.grace = std::chrono::milliseconds(static_cast<long>(o.grace * 1000));
    so.verbose = o.verbose && !o.quiet;
    const double stall = o.stallTimeout >= 0 ? o.stallTimeout : spec.stallTimeout.value_or(0);
    so.stallTimeout = std::chrono::milliseconds(static_cast<long>(stall * 1000));
    // The common flags, to the stages that have them.
    std::map<std::string, CommonFlags> probed;
    std::vector<std::vector<std::string>> flags;
    for (const auto& program : programs) {
      auto it = probed.find(program);
      if (it == probed.end()) it = probed.emplace(program, probeCommonFlags(program)).first;
      std::vector<std::string> f;
      // Stall detection reads the stages' progress lines, shown or not.
      const bool stageProgress = so.progress || so.stallTimeout.count() > 0;
      if (it->second.progress) f.push_back(stageProgress ? "--progress" : "--no-progress");
      if (it->second.quiet && o.quiet) f.push_back("-q");
      if (it->second.curve) f.insert(f.end(), o.security.begin(), o.security.end());
      flags.push_back(std::move(f));
    }
    auto processes = wire(commands, programs, links, flags);
    for (size_t i = 0; i < processes.size(); ++i)
      processes[i].memoryLimit = memoryLimit ? *memoryLimit
                                             : spec.stages[i].memoryLimit.value_or(spec.memoryLimit.value_or(0));

    auto output = outputFile(commands.back().args);
    FileState before = output ? fileState(*output) : FileState{};

    PipelineOutcome outcome;
    try {
      outcome = supervise(processes, so, signals);
    } catch (const std::exception& e) {
      // Should not happen (poll failing); the stages die with pv-launch.
      if (!dir.empty()) std::filesystem::remove_all(dir);
      std::cerr << kName << ": " << e.what() << "\n";
      return 1;
    }
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    if (!outcome.ok()) {
      if (output && changed(before, fileState(*output)) && ::unlink(output->c_str()) == 0)
        std::cerr << kName << ": removed the partial output " << *output << "\n";
    }
    interrupt = outcome.interrupt;
    if (interrupt != 0) {
      std::cerr << kName << ": interrupted by " << signalName(interrupt) << "\n";
    } else if (!outcome.ok()) {
      report(spec, processes, outcome);
      status = exitStatus(outcome.fault());
    }
    if (!o.checkpoint.empty()) {
      struct stat st {};
      if (outcome.ok())
        ::unlink(o.checkpoint.c_str());  // the reduction is complete
      else if (::stat(o.checkpoint.c_str(), &st) == 0)
        std::cerr << kName << ": checkpoint " << o.checkpoint
                  << " kept: run the same command with --resume to continue from it\n";
    }
  }  // signal dispositions restored
  if (interrupt != 0) {
    // Die of the same signal, so that a calling shell or script stops too.
    std::signal(interrupt, SIG_DFL);
    ::raise(interrupt);
    return 128 + interrupt;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  ensureStandardFds();
  Options o;
  CLI::App app(
      "Runs a perfvec pipeline file: starts each stage as a process, wires consecutive stages "
      "together, shows one progress line for the whole pipeline, forwards the stages' stderr "
      "(prefixed [stage]), and stops every stage when one fails or on Ctrl-C.",
      kName);
  app.set_help_flag("-h,--help",
                    "Print this help (with the parameters of FILE when given) and exit");
  pv::runtime::addVersionFlag(app, kName);
  app.add_option("file", o.file,
                 "Pipeline file (TOML; see pipelines/README.md), or the name of an installed "
                 "one (native-rp)");
  app.add_option("--keygen", o.keygen,
                 "Make a CURVE key pair for the [security] table and the stages' --curve-* "
                 "options: NAME.key (secret, mode 0600) and NAME.pub, then exit")
      ->type_name("NAME");
  app.add_option("params", o.assignments, "Parameter values KEY=VALUE (see --describe)");
  app.add_option("--transport", o.transport,
                 "How consecutive stages are joined: ipc (ZeroMQ sockets in a private "
                 "temporary folder), pipe, tcp")
      ->capture_default_str()
      ->check(CLI::IsMember({"ipc", "pipe", "tcp"}));
  app.add_option("--host", o.host, "IPv4 address of the tcp links")->capture_default_str();
  app.add_option("--base-port", o.basePort,
                 "First port of the tcp links (link i uses BASE+i; 0: free ports)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--grace", o.grace,
                 "Seconds the stages get to end after a failure, and after SIGTERM before SIGKILL")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--stall-timeout", o.stallTimeout,
                 "Seconds without progress (no stage reports more records or ends) after which "
                 "the pipeline counts as hung: the stage holding it up is reported and every "
                 "stage stopped (0: never; default: the file's stall_timeout, else 0)")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--memory-limit", o.memoryLimit,
                 "Data memory each stage may use (setrlimit RLIMIT_DATA), e.g. 512M, 4G; a stage "
                 "that needs more fails and is reported as out of memory (default: the file's "
                 "memory_limit keys, else none)");
  app.add_option("--checkpoint", o.checkpoint,
                 "Make the pipeline's pv-aggregate save its running sum and position to FILE "
                 "(every --checkpoint-every instructions / --checkpoint-seconds seconds); removed "
                 "when the pipeline succeeds")
      ->type_name("FILE");
  app.add_option("--checkpoint-every", o.checkpointEvery, "Instructions between checkpoints");
  app.add_option("--checkpoint-seconds", o.checkpointSeconds,
                 "Seconds between checkpoints (pv-aggregate's default: 60 when neither is given)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_flag("--resume", o.resume,
               "Continue from the --checkpoint FILE when it exists: the stages before pv-window run "
               "again from the start of the (file) source, pv-window gets --start-at and "
               "pv-aggregate --resume; the R_p is the same bytes as an uninterrupted run's");
  app.add_flag("--dry-run", o.dryRun, "Print the equivalent shell pipeline and exit");
  app.add_flag("--describe", o.describe, "Print the pipeline's parameters and stages and exit");
  app.add_flag("--progress", o.progress,
               "Show one progress line (default: when stderr is a terminal)");
  app.add_flag("--no-progress", o.noProgress, "Never show progress");
  app.add_flag("-q,--quiet", o.quiet, "Print only errors (also passed to every stage)");
  app.add_flag("-v,--verbose", o.verbose, "Print each stage's command line as it starts");
  app.footer(
      "Stages are found beside pv-launch, then on PATH; a FILE named without a '/' that is not "
      "in the current folder, in ../share/perfvec/pipelines from pv-launch's folder (an "
      "installed tree, docs/install.md). Stages whose --help lists them get "
      "--no-progress (or --progress, whose lines pv-launch turns into its own progress line) "
      "and, with -q, -q.\n"
      "Exit status: 0 success; 1 a stage failed (the report names it, its exit status and its "
      "last stderr lines); 2 usage error or bad pipeline file; 3 a stage crashed (killed by a "
      "signal pv-launch did not send); 4 a stage hung (--stall-timeout, or it outlived the stages "
      "after it); 5 a stage ran out of memory. On SIGINT/SIGTERM/SIGHUP pv-launch stops every "
      "stage, cleans up and dies of the same signal.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    if (!o.file.empty()) {
      try {
        std::cout << "\n" << paramsText(loadPipeline(findPipelineFile(o.file, selfDir())));
      } catch (const PipelineError& pe) {
        std::cerr << kName << ": " << pe.what() << "\n";
        return 2;
      }
    }
    return 0;
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usageError(e.what());
  }

  if (!o.keygen.empty()) {
    try {
      pv::runtime::writeCurveKeyPair(o.keygen, pv::runtime::generateCurveKeyPair());
    } catch (const std::exception& e) {
      std::cerr << kName << ": " << e.what() << "\n";
      return 1;
    }
    if (!o.quiet) std::cerr << kName << ": wrote " << o.keygen << ".key and " << o.keygen << ".pub\n";
    return 0;
  }
  if (o.file.empty()) return usageError("file is required");
  auto transport = parseTransport(o.transport);
  if (!transport) return usageError("unknown transport '" + o.transport + "'");
  if (o.progress && o.noProgress)
    return usageError("--progress and --no-progress exclude each other");
  try {
    PipelineSpec spec = loadPipeline(findPipelineFile(o.file, selfDir()));
    if (o.describe) {
      std::cout << describeText(spec);
      return 0;
    }
    ParamValues values = bindParams(spec, o.assignments);
    std::vector<StageCommand> commands = resolve(spec, values);
    o.security = securityArgs(spec, values);
    std::optional<uint64_t> memoryLimit;
    if (!o.memoryLimit.empty()) {
      memoryLimit = parseMemorySize(o.memoryLimit);
      if (!memoryLimit)
        return usageError("--memory-limit: '" + o.memoryLimit + "' is not a size such as 512M or 4G");
    }
    if ((o.resume || o.checkpointEvery || o.checkpointSeconds) && o.checkpoint.empty())
      return usageError("--resume, --checkpoint-every and --checkpoint-seconds need --checkpoint FILE");
    std::string note;
    if (!o.checkpoint.empty()) note = addCheckpointing(o, commands);
    if (o.dryRun) {
      std::cout << shellPipeline(commands) << "\n";
      return 0;
    }
    if (!note.empty() && !o.quiet) std::cerr << note << "\n";
    return run(o, spec, commands, *transport, memoryLimit);
  } catch (const PipelineError& e) {
    std::cerr << kName << ": " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    return usageError(e.what());
  } catch (const std::runtime_error& e) {
    std::cerr << kName << ": " << e.what() << "\n";
    return 1;
  }
}
