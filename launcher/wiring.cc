// Executable lookup, link endpoints, process argv, shell rendering.

#include "launcher/wiring.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "stages/runtime/free_port.h"
#include "stages/runtime/process.h"

namespace pv::launch {

namespace {

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// A free port for one more link of a run, none of those `given` to its
// other links (which are not bound yet either), then added to them.
int nextFreePort(const std::string& address, std::vector<int>& given) {
  given.push_back(runtime::freeTcpPort(address, given));
  return given.back();
}

}  // namespace

std::optional<Transport> parseTransport(std::string_view name) {
  if (name == "ipc") return Transport::kIpc;
  if (name == "pipe") return Transport::kPipe;
  if (name == "tcp") return Transport::kTcp;
  return std::nullopt;
}

const char* transportName(Transport transport) {
  switch (transport) {
    case Transport::kIpc:
      return "ipc";
    case Transport::kPipe:
      return "pipe";
    case Transport::kTcp:
      return "tcp";
  }
  return "?";
}

std::optional<std::string> findExecutable(const std::string& run, const std::string& selfDir,
                                          std::string_view pathEnv) {
  if (run.find('/') != std::string::npos)
    return isExecutableFile(run) ? std::optional<std::string>(run) : std::nullopt;
  if (std::string beside = selfDir + "/" + run; isExecutableFile(beside)) return beside;
  return runtime::findOnPath(run, pathEnv);
}

std::string findPipelineFile(const std::string& file, const std::string& selfDir) {
  struct stat st {};
  if (file.find('/') != std::string::npos || ::stat(file.c_str(), &st) == 0) return file;
  // PREFIX/bin/pv-launch -> PREFIX/share/perfvec/pipelines (docs/install.md).
  const std::string installed =
      std::filesystem::path(selfDir + "/../share/perfvec/pipelines").lexically_normal().string();
  for (const std::string& candidate : {installed + "/" + file, installed + "/" + file + ".toml"})
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return candidate;
  throw PipelineError(file, SourcePos{},
                      "no such pipeline file here or in " + installed + " (the installed ones)");
}

std::vector<std::string> linkEndpoints(Transport transport, size_t links,
                                       const std::string& socketDir, const std::string& host,
                                       int basePort) {
  std::vector<std::string> endpoints;
  std::vector<int> given;
  for (size_t i = 0; i < links; ++i) {
    switch (transport) {
      case Transport::kPipe:
        endpoints.emplace_back();
        break;
      case Transport::kIpc:
        endpoints.push_back("ipc://" + socketDir + "/link-" + std::to_string(i) + ".ipc");
        break;
      case Transport::kTcp: {
        int port = basePort + static_cast<int>(i);
        if (basePort <= 0) {
          try {
            port = nextFreePort(host, given);
          } catch (const std::runtime_error& e) {
            throw std::runtime_error(std::string("--host: ") + e.what());  // where the address came from
          }
        }
        endpoints.push_back("tcp://" + host + ":" + std::to_string(port));
        break;
      }
    }
  }
  return endpoints;
}

std::vector<std::string> tcpLinkEndpoints(const std::vector<std::string>& addresses, int basePort) {
  std::vector<std::string> endpoints;
  std::vector<int> given;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const int port = basePort > 0 ? basePort + static_cast<int>(i) : nextFreePort(addresses[i], given);
    endpoints.push_back("tcp://" + addresses[i] + ":" + std::to_string(port));
  }
  return endpoints;
}

CommonFlags probeCommonFlags(const std::string& program, std::chrono::milliseconds timeout) {
  CommonFlags flags;
  runtime::Command command(program, {"--help"});
  command.in = runtime::Redirect::devNull();
  command.err = runtime::Redirect::devNull();
  runtime::CapturedRun run;
  try {
    run = runtime::runCapturing(command, 1, timeout);
  } catch (const runtime::SpawnError&) {
    return flags;  // it cannot run: pv-launch reports that when it starts it
  }
  if (run.timedOut || !run.end.ok()) return flags;
  const std::string& help = run.output;
  flags.progress = help.find("--no-progress") != std::string::npos &&
                   help.find("--progress") != std::string::npos;
  flags.quiet = help.find("-q,--quiet") != std::string::npos;
  flags.curve = help.find("--curve-secret") != std::string::npos;
  return flags;
}

std::vector<ProcessSpec> wire(const std::vector<StageCommand>& commands,
                              const std::vector<std::string>& programs,
                              const std::vector<std::string>& links,
                              const std::vector<std::vector<std::string>>& flags) {
  std::vector<ProcessSpec> processes;
  for (size_t i = 0; i < commands.size(); ++i) {
    ProcessSpec p;
    p.name = commands[i].name;
    p.program = programs.at(i);
    p.argv.push_back(commands[i].run);
    if (i > 0 && !links.at(i - 1).empty()) p.argv.push_back(links[i - 1]);
    if (i + 1 < commands.size() && !links.at(i).empty()) {
      p.argv.push_back("-o");
      p.argv.push_back(links[i]);
    }
    const auto& f = flags.at(i);
    p.argv.insert(p.argv.end(), f.begin(), f.end());
    p.reportsProgress = std::find(f.begin(), f.end(), "--progress") != f.end();
    p.argv.insert(p.argv.end(), commands[i].args.begin(), commands[i].args.end());
    processes.push_back(std::move(p));
  }
  return processes;
}

std::string shellPipeline(const std::vector<StageCommand>& commands) {
  std::string out;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (i > 0) out += " | ";
    out += shellQuote(commands[i].run);
    for (const auto& arg : commands[i].args) out += " " + shellQuote(arg);
  }
  return out;
}

std::optional<std::string> outputArgument(const std::vector<std::string>& args) {
  std::optional<std::string> output;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if ((a == "-o" || a == "--output") && i + 1 < args.size())
      output = args[++i];
    else if (a.starts_with("--output="))
      output = a.substr(9);
    else if (a.starts_with("-o") && a.size() > 2)
      output = a.substr(2);
  }
  return output;
}

std::optional<std::string> outputFile(const std::vector<std::string>& args) {
  const std::optional<std::string> output = outputArgument(args);
  if (!output || *output == "-" || output->empty() || output->find("://") != std::string::npos)
    return std::nullopt;
  return output;
}

namespace {
constexpr char kRunFolderPrefix[] = "pv-launch-";
constexpr char kPidFile[] = "launcher.pid";
}  // namespace

std::string makeRunFolder(const std::string& tmp) {
  std::string path = tmp + "/" + kRunFolderPrefix + "XXXXXX";
  if (!::mkdtemp(path.data()))
    throw std::runtime_error("cannot create a temporary folder " + path + ": " + std::strerror(errno));
  const std::string pidFile = path + "/" + kPidFile;
  const std::string pid = std::to_string(::getpid()) + "\n";
  const int fd = ::open(pidFile.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  const bool written = fd >= 0 && ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  if (!written) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    throw std::runtime_error("cannot write " + pidFile + ": " + std::strerror(saved));
  }
  return path;
}

std::vector<std::string> removeStaleRunFolders(const std::string& tmp) {
  std::vector<std::string> removed;
  std::error_code ec;
  std::filesystem::directory_iterator it(tmp, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kRunFolderPrefix, 0) != 0) continue;
    const std::string path = it->path().string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) continue;
    bool stale;
    std::ifstream pidIn(path + "/" + kPidFile);
    long pid = 0;
    if (pidIn >> pid && pid > 0) {
      // EPERM: a process of another user holds the pid, so it runs.
      stale = ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
    } else {
      const auto age = std::filesystem::file_time_type::clock::now() -
                       std::filesystem::last_write_time(path, ec);
      stale = !ec && age > std::chrono::minutes(10);
      ec.clear();
    }
    if (!stale) continue;
    std::error_code removeError;
    if (std::filesystem::remove_all(path, removeError) > 0 && !removeError) removed.push_back(path);
  }
  return removed;
}

}  // namespace pv::launch
