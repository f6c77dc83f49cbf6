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

// The executable of every stage, before anything starts; ExitStatus 2 at
// the file's line for one that is missing.
std::vector<std::string> findExecutables(const PipelineSpec& spec, const std::vector<StageCommand>& commands) {
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
    programs.push_back(*found);
  }
  return programs;
}

// Runs the pipeline; returns pv-launch's exit status (launch_report.h), or
// dies of the signal that interrupted it.
int run(const LaunchOptions& o, const PipelineSpec& spec, const std::vector<StageCommand>& commands,
        const std::vector<std::string>& security, Transport transport, std::optional<uint64_t> memoryLimit) {
  const std::vector<std::string> programs = findExecutables(spec, commands);
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
      dir = makeRunFolder(tmpDir);
    }
    RunFolder folder(dir);
    const std::vector<std::string> links =
        linkEndpoints(transport, commands.size() - 1, folder.path(), o.host, o.basePort);
    // A Unix socket path holds at most 107 bytes.
    if (!links.empty() && transport == Transport::kIpc && links.back().size() - 6 > 100)
      throw std::runtime_error("socket path " + links.back() +
                               " is too long for a Unix socket; set TMPDIR to a shorter folder");

    SuperviseOptions so;
    so.pipes = transport == Transport::kPipe;
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
      if (it->second.curve) f.insert(f.end(), security.begin(), security.end());
      flags.push_back(std::move(f));
    }
    auto processes = wire(commands, programs, links, flags);
    for (size_t i = 0; i < processes.size(); ++i)
      processes[i].memoryLimit =
          memoryLimit ? *memoryLimit : spec.stages[i].memoryLimit.value_or(spec.memoryLimit.value_or(0));

    auto output = outputFile(commands.back().args);
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

void launchUnmapped(const LaunchOptions& o) {
  if (!o.keygen.empty()) {
    runtime::writeCurveKeyPair(o.keygen, runtime::generateCurveKeyPair());
    if (!o.quiet) std::cerr << kName << ": wrote " << o.keygen << ".key and " << o.keygen << ".pub\n";
    return;
  }
  if (o.file.empty()) throw UsageError("file is required");
  auto transport = parseTransport(o.transport);
  if (!transport) throw UsageError("unknown transport '" + o.transport + "'");
  if (o.progress && o.noProgress) throw UsageError("--progress and --no-progress exclude each other");
  PipelineSpec spec = loadPipeline(findPipelineFile(o.file, runtime::executableDir()));
  if (o.describe) {
    std::cout << describeText(spec) << std::flush;
    return;
  }
  ParamValues values = bindParams(spec, o.assignments);
  std::vector<StageCommand> commands = resolve(spec, values);
  const std::vector<std::string> security = securityArgs(spec, values);
  std::optional<uint64_t> memoryLimit;
  if (!o.memoryLimit.empty()) {
    memoryLimit = parseMemorySize(o.memoryLimit);
    if (!memoryLimit) throw UsageError("--memory-limit: '" + o.memoryLimit + "' is not a size such as 512M or 4G");
  }
  const CheckpointOptions& c = o.checkpoint;
  if ((c.resume || c.every || c.seconds) && c.file.empty())
    throw UsageError("--resume, --checkpoint-every and --checkpoint-seconds need --checkpoint FILE");
  std::string note;
  if (!c.file.empty()) note = addCheckpointing(c, commands);
  if (o.dryRun) {
    std::cout << shellPipeline(commands) << "\n" << std::flush;
    return;
  }
  if (!note.empty() && !o.quiet) std::cerr << note << "\n";
  if (int status = run(o, spec, commands, security, *transport, memoryLimit)) throw runtime::ExitStatus(status, "");
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
