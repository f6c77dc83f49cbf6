#include "launcher/launch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>

#include "launcher/hosts.h"
#include "launcher/launch_report.h"
#include "launcher/pipeline_file.h"
#include "launcher/supervisor.h"
#include "launcher/wiring.h"
#include "stages/runtime/process.h"
#include "stages/runtime/curve.h"
#include "stages/runtime/tool.h"

namespace pv::launch {
namespace {

constexpr const char* kName = "pv-launch";

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

// The folder of a run's ipc sockets, removed however the run ends.
class RunFolder {
 public:
  explicit RunFolder(std::string path) : path_(std::move(path)) {}
  ~RunFolder() { remove(); }
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;
  void remove() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    path_.clear();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What launchUnmapped settles before anything runs.
struct Plan {
  PipelineSpec spec;
  std::vector<StageCommand> commands;
  std::vector<std::string> security;  // the [security] options
  Transport transport = Transport::kIpc;
  std::optional<uint64_t> memoryLimit;
  std::vector<Placement> placements;
  bool hosted = false;                     // a stage runs on another host
  RemoteMode remote = RemoteMode::kSrun;   // how (when hosted)
  bool remoteByDefault = false;            // the mode was not given (print: outside an allocation)
};

// The executable of every stage, before anything starts; ExitStatus 2 at
// the file's line for one that is missing. A hosted stage's is absolute:
// srun runs it there (a shared file system, as for the stages' files).
std::vector<std::string> findExecutables(const Plan& plan) {
  const PipelineSpec& spec = plan.spec;
  const std::vector<StageCommand>& commands = plan.commands;
  const std::string here = runtime::executableDir();
  const char* path = std::getenv("PATH");
  std::vector<std::string> programs;
  for (size_t i = 0; i < commands.size(); ++i) {
    auto found = findExecutable(commands[i].run, here, path ? path : "/usr/bin:/bin");
    if (!found)
      throw PipelineError(spec.file, spec.stages[i].run.pos,
                          "stage '" + commands[i].name + "': no executable '" + commands[i].run + "'" +
                              (commands[i].run.find('/') == std::string::npos
                                   ? " beside pv-launch (" + here + ") or on PATH"
                                   : ""));
    if (!plan.placements[i].host.empty()) found = std::filesystem::absolute(*found).lexically_normal().string();
    programs.push_back(*found);
  }
  return programs;
}

// srun, for the hosted stages; ExitStatus 2 at the first host when missing.
std::string findSrun(const Plan& plan) {
  const char* path = std::getenv("PATH");
  if (auto srun = runtime::findOnPath("srun", path ? path : "/usr/bin:/bin")) return *srun;
  size_t first = 0;
  while (plan.placements[first].host.empty()) ++first;
  throw PipelineError(plan.spec.file, plan.placements[first].pos,
                      "stage '" + plan.commands[first].name + "' runs on host '" + plan.placements[first].host +
                          "', which pv-launch reaches with srun, and srun is not on PATH (Debian: install "
                          "slurm-client); or give --remote print and start the printed commands there");
}

// The endpoints of the links: tcp to each consumer's address when hosted.
std::vector<std::string> links(const LaunchOptions& o, const Plan& plan, const std::string& socketDir) {
  if (plan.hosted) return tcpLinkEndpoints(linkAddresses(plan.placements), o.basePort);
  return linkEndpoints(plan.transport, plan.commands.size() - 1, socketDir, o.host, o.basePort);
}

// What --dry-run prints for a pipeline with stages on hosts: a shell
// script starting every stage with its endpoints and the [security]
// options, in the background, the hosted ones through srun (or as comments
// saying where to run them, with --remote print), then `wait`. The common
// flags are left out: they come from the stages' --help, not run here.
std::string hostedScript(const LaunchOptions& o, const Plan& plan) {
  const std::vector<std::string> programs = findExecutables(plan);
  const std::vector<std::vector<std::string>> flags(plan.commands.size(), plan.security);
  std::vector<ProcessSpec> processes = wire(plan.commands, programs, links(o, plan, ""), flags);
  if (plan.remote == RemoteMode::kSrun) launchWithSrun(processes, plan.placements, "srun", plan.spec.name);
  std::string out = "# " + plan.spec.name + ": links over tcp; " +
                    (plan.remote == RemoteMode::kSrun
                         ? "the stages with a host start with srun, inside a Slurm allocation\n"
                         : "start the commands of the stages with a host on their hosts\n");
  for (size_t i = 0; i < processes.size(); ++i) {
    const ProcessSpec& p = processes[i];
    if (!plan.placements[i].host.empty() && plan.remote == RemoteMode::kPrint) {
      out += "# on " + plan.placements[i].host + ": " + stageCommandLine(p) + "\n";
      continue;
    }
    std::string line;
    for (const auto& word : commandLine(p)) line += (line.empty() ? "" : " ") + shellQuote(word);
    out += line + " &\n";
  }
  return out + "wait\n";
}

// Prints what to start on each host (--remote print) and takes those
// stages out of `processes`, which pv-launch then runs alone.
void printRemoteStages(const Plan& plan, std::vector<ProcessSpec>& processes) {
  std::cerr << kName << ": " << (plan.remoteByDefault ? "not inside a Slurm allocation (no SLURM_JOB_ID): " : "")
            << "start these commands on their hosts (the stages of this machine run now"
            << (plan.remoteByDefault ? "; run pv-launch inside salloc or sbatch, or with --remote srun, "
                                       "to have srun start them"
                                     : "")
            << "):\n";
  std::vector<ProcessSpec> local;
  for (size_t i = 0; i < processes.size(); ++i) {
    if (plan.placements[i].host.empty()) {
      local.push_back(std::move(processes[i]));
      continue;
    }
    std::cerr << kName << ": on " << plan.placements[i].host << ", stage '" << processes[i].name
              << "': " << stageCommandLine(processes[i]) << "\n";
  }
  processes = std::move(local);
}

// Runs the pipeline; returns pv-launch's exit status (launch_report.h), or
// dies of the signal that interrupted it.
int run(const LaunchOptions& o, const Plan& plan) {
  const PipelineSpec& spec = plan.spec;
  const std::vector<StageCommand>& commands = plan.commands;
  const std::vector<std::string> programs = findExecutables(plan);
  const std::string srun = plan.hosted && plan.remote == RemoteMode::kSrun ? findSrun(plan) : "";
  int interrupt = 0;
  int status = 0;
  {
    SignalRelay signals;  // before the temporary folder exists
    std::string dir;
    if (plan.transport == Transport::kIpc && commands.size() > 1) {
      const char* tmp = std::getenv("TMPDIR");
      const std::string tmpDir = tmp && *tmp ? tmp : "/tmp";
      // Folders of earlier runs whose pv-launch was killed with SIGKILL.
      for (const auto& stale : removeStaleRunFolders(tmpDir))
        if (!o.quiet) std::cerr << kName << ": removed " << stale << " (its pv-launch is gone)\n";
      dir = makeRunFolder(tmpDir);
    }
    RunFolder folder(dir);
    const std::vector<std::string> endpoints = links(o, plan, folder.path());
    // A Unix socket path holds at most 107 bytes.
    if (!endpoints.empty() && plan.transport == Transport::kIpc && endpoints.back().size() - 6 > 100)
      throw std::runtime_error("socket path " + endpoints.back() +
                               " is too long for a Unix socket; set TMPDIR to a shorter folder");

    SuperviseOptions so;
    so.pipes = plan.transport == Transport::kPipe;
    so.progress = o.progress || (!o.noProgress && !o.quiet && ::isatty(2));
    so.title = spec.name;
    so.grace = std::chrono::milliseconds(static_cast<long>(o.grace * 1000));
    so.verbose = o.verbose && !o.quiet;
    const double stall = o.stallTimeout >= 0 ? o.stallTimeout : spec.stallTimeout.value_or(0);
    so.stallTimeout = std::chrono::milliseconds(static_cast<long>(stall * 1000));
    // The common flags, to the stages that have them. The programs' --help
    // run at once: a stage that links LibTorch takes most of a second to
    // start (its static initialisers), and one after the other they delayed
    // every pipeline by the sum.
    std::map<std::string, std::future<CommonFlags>> probing;
    for (const auto& program : programs)
      if (!probing.count(program))
        probing.emplace(program, std::async(std::launch::async, [program] { return probeCommonFlags(program); }));
    std::map<std::string, CommonFlags> probed;
    for (auto& [program, flags] : probing) probed.emplace(program, flags.get());
    std::vector<std::vector<std::string>> flags;
    for (const auto& program : programs) {
      auto it = probed.find(program);
      std::vector<std::string> f;
      // Stall detection reads the stages' progress lines, shown or not.
      const bool stageProgress = so.progress || so.stallTimeout.count() > 0;
      if (it->second.progress) f.push_back(stageProgress ? "--progress" : "--no-progress");
      if (it->second.quiet && o.quiet) f.push_back("-q");
      if (it->second.curve) f.insert(f.end(), plan.security.begin(), plan.security.end());
      flags.push_back(std::move(f));
    }
    auto processes = wire(commands, programs, endpoints, flags);
    for (size_t i = 0; i < processes.size(); ++i)
      processes[i].memoryLimit =
          plan.memoryLimit ? *plan.memoryLimit : spec.stages[i].memoryLimit.value_or(spec.memoryLimit.value_or(0));
    // The last stage's output file, which pv-launch removes when the run
    // fails, unless that stage is started by the user elsewhere.
    const bool lastHere = plan.placements.back().host.empty() || plan.remote == RemoteMode::kSrun;
    auto output = lastHere ? outputFile(commands.back().args) : std::nullopt;
    if (plan.hosted && plan.remote == RemoteMode::kSrun) launchWithSrun(processes, plan.placements, srun, spec.name);
    if (plan.hosted && plan.remote == RemoteMode::kPrint) {
      printRemoteStages(plan, processes);
      if (processes.empty()) return 0;
    }

    FileState before = output ? fileState(*output) : FileState{};

    // An exception here (poll failing) should not happen; the stages die with pv-launch.
    const PipelineOutcome outcome = supervise(processes, so, signals);
    folder.remove();
    if (!outcome.ok()) {
      if (output && changed(before, fileState(*output)) && ::unlink(output->c_str()) == 0)
        std::cerr << kName << ": removed the partial output " << *output << "\n";
    }
    interrupt = outcome.interrupt;
    if (interrupt != 0) {
      std::cerr << kName << ": interrupted by " << signalName(interrupt) << "\n";
    } else if (!outcome.ok()) {
      std::cerr << failureReport(spec, processes, outcome);
      status = exitStatusOf(outcome.fault());
    }
    if (!o.checkpoint.file.empty()) {
      struct stat st {};
      if (outcome.ok())
        removeCheckpoint(o.checkpoint.file);  // the reduction is complete
      else if (::stat(o.checkpoint.file.c_str(), &st) == 0)
        std::cerr << kName << ": checkpoint " << o.checkpoint.file
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

// Links between hosts need CURVE keys (stages/runtime/curve.h): refused
// here, at the stage, rather than by every stage once started.
void checkHostedSecurity(const LaunchOptions& o, const Plan& plan) {
  if (plan.spec.security.any()) return;
  for (size_t i = 1; i < plan.placements.size(); ++i) {
    const Placement& p = plan.placements[i];
    if (runtime::isLocalEndpoint("tcp://" + p.address + ":1")) continue;
    const std::string why = "not a loopback address, and tcp there needs CURVE keys: add a [security] "
                            "table with curve_secret (pv-launch --keygen NAME; pipelines/README.md, Security)";
    if (p.host.empty())
      throw UsageError("--host " + o.host + ": stage '" + plan.commands[i].name + "' binds there, " + why);
    throw PipelineError(plan.spec.file, p.pos,
                        "stage '" + plan.commands[i].name + "' binds on " + p.address + " (host '" + p.host +
                            "'), " + why);
  }
}

void launchUnmapped(const LaunchOptions& o) {
  if (!o.keygen.empty()) {
    runtime::writeCurveKeyPair(o.keygen, runtime::generateCurveKeyPair());
    if (!o.quiet) std::cerr << kName << ": wrote " << o.keygen << ".key and " << o.keygen << ".pub\n";
    return;
  }
  if (o.file.empty()) throw UsageError("file is required");
  std::optional<Transport> transport;
  if (!o.transport.empty()) {
    transport = parseTransport(o.transport);
    if (!transport) throw UsageError("unknown transport '" + o.transport + "'");
  }
  std::optional<RemoteMode> remote;
  if (!o.remote.empty()) {
    remote = parseRemoteMode(o.remote);
    if (!remote) throw UsageError("unknown --remote '" + o.remote + "' (srun or print)");
  }
  if (o.progress && o.noProgress) throw UsageError("--progress and --no-progress exclude each other");
  Plan plan;
  plan.spec = loadPipeline(findPipelineFile(o.file, runtime::executableDir()));
  const PipelineSpec& spec = plan.spec;
  if (o.describe) {
    std::cout << describeText(spec) << std::flush;
    return;
  }
  ParamValues values = bindParams(spec, o.assignments);
  plan.commands = resolve(spec, values);
  plan.security = securityArgs(spec, values);
  plan.placements = placeStages(spec, values, o.host);
  plan.hosted = anyHosted(plan.placements);
  plan.transport = pipelineTransport(spec, plan.placements, transport);
  if (plan.hosted) {
    // Inside an allocation (salloc, sbatch) srun makes each stage a step of it.
    const char* job = std::getenv("SLURM_JOB_ID");
    plan.remoteByDefault = !remote;
    plan.remote = remote.value_or(job && *job ? RemoteMode::kSrun : RemoteMode::kPrint);
    checkHostedSecurity(o, plan);
  }
  if (!o.memoryLimit.empty()) {
    plan.memoryLimit = parseMemorySize(o.memoryLimit);
    if (!plan.memoryLimit)
      throw UsageError("--memory-limit: '" + o.memoryLimit + "' is not a size such as 512M or 4G");
  }
  const CheckpointOptions& c = o.checkpoint;
  if ((c.resume || c.every || c.seconds) && c.file.empty())
    throw UsageError("--resume, --checkpoint-every and --checkpoint-seconds need --checkpoint FILE");
  std::string note;
  if (!c.file.empty()) note = addCheckpointing(c, plan.commands);
  if (o.dryRun) {
    std::cout << (plan.hosted ? hostedScript(o, plan) : shellPipeline(plan.commands) + "\n") << std::flush;
    return;
  }
  if (!note.empty() && !o.quiet) std::cerr << note << "\n";
  if (int status = run(o, plan)) throw runtime::ExitStatus(status, "");
}

}  // namespace

void launchPipeline(const LaunchOptions& options) {
  try {
    launchUnmapped(options);
  } catch (const PipelineError& e) {
    throw runtime::ExitStatus(2, e.what());
  } catch (const UsageError& e) {
    throw runtime::UsageError(e.what());
  }
}

std::string helpParameters(const std::string& file) {
  if (file.empty()) return "";
  try {
    return "\n" + paramsText(loadPipeline(findPipelineFile(file, runtime::executableDir())));
  } catch (const PipelineError& e) {
    throw runtime::ExitStatus(2, e.what());
  }
}

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

}  // namespace pv::launch
