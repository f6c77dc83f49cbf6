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
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "launcher/pipeline_file.h"
#include "launcher/supervisor.h"
#include "launcher/wiring.h"

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
};

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
    std::cerr << kName << ": pipeline " << spec.name << " failed: stage '" << processes[c].name
              << "' (" << processes[c].argv[0] << ") " << s.describe() << "\n";
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
        Transport transport) {
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
      std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/pv-launch-XXXXXX";
      if (!::mkdtemp(tmpl.data())) {
        std::cerr << kName << ": cannot create a temporary folder " << tmpl << ": "
                  << std::strerror(errno) << "\n";
        return 1;
      }
      dir = tmpl;
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
    // The common flags, to the stages that have them.
    std::map<std::string, CommonFlags> probed;
    std::vector<std::vector<std::string>> flags;
    for (const auto& program : programs) {
      auto it = probed.find(program);
      if (it == probed.end()) it = probed.emplace(program, probeCommonFlags(program)).first;
      std::vector<std::string> f;
      if (it->second.progress) f.push_back(so.progress ? "--progress" : "--no-progress");
      if (it->second.quiet && o.quiet) f.push_back("-q");
      flags.push_back(std::move(f));
    }
    auto processes = wire(commands, programs, links, flags);

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
      status = 1;
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
  app.add_option("file", o.file, "Pipeline file (TOML; see pipelines/README.md)")->required();
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
  app.add_flag("--dry-run", o.dryRun, "Print the equivalent shell pipeline and exit");
  app.add_flag("--describe", o.describe, "Print the pipeline's parameters and stages and exit");
  app.add_flag("--progress", o.progress,
               "Show one progress line (default: when stderr is a terminal)");
  app.add_flag("--no-progress", o.noProgress, "Never show progress");
  app.add_flag("-q,--quiet", o.quiet, "Print only errors (also passed to every stage)");
  app.add_flag("-v,--verbose", o.verbose, "Print each stage's command line as it starts");
  app.footer(
      "Stages are found beside pv-launch, then on PATH. Stages whose --help lists them get "
      "--no-progress (or --progress, whose lines pv-launch turns into its own progress line) "
      "and, with -q, -q.\n"
      "Exit status: 0 success; 1 a stage failed (the report names it, its exit status and its "
      "last stderr lines); 2 usage error or bad pipeline file. On SIGINT/SIGTERM/SIGHUP "
      "pv-launch stops every stage, cleans up and dies of the same signal.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    if (!o.file.empty()) {
      try {
        std::cout << "\n" << paramsText(loadPipeline(o.file));
      } catch (const PipelineError& pe) {
        std::cerr << kName << ": " << pe.what() << "\n";
        return 2;
      }
    }
    return 0;
  } catch (const CLI::ParseError& e) {
    return usageError(e.what());
  }

  auto transport = parseTransport(o.transport);
  if (!transport) return usageError("unknown transport '" + o.transport + "'");
  if (o.progress && o.noProgress)
    return usageError("--progress and --no-progress exclude each other");
  try {
    PipelineSpec spec = loadPipeline(o.file);
    if (o.describe) {
      std::cout << describeText(spec);
      return 0;
    }
    ParamValues values = bindParams(spec, o.assignments);
    std::vector<StageCommand> commands = resolve(spec, values);
    if (o.dryRun) {
      std::cout << shellPipeline(commands) << "\n";
      return 0;
    }
    return run(o, spec, commands, *transport);
  } catch (const PipelineError& e) {
    std::cerr << kName << ": " << e.what() << "\n";
    return 2;
  } catch (const UsageError& e) {
    return usageError(e.what());
  }
}
