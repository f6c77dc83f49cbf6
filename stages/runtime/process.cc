// Starting child processes (process.h): the plan made before the start,
// the posix_spawn and fork + exec paths, waiting.

#include "stages/runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <thread>

namespace pv::runtime {
namespace {

// A descriptor closed when it goes out of scope.
class OwnedFd {
 public:
  explicit OwnedFd(int fd = -1) : fd_(fd) {}
  ~OwnedFd() { reset(); }
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// The steps of the child between fork and exec, as reported to the parent.
enum class Step : int {
  kParentDeathSignal,
  kProcessGroup,
  kDataLimit,
  kDescriptors,
  kWorkingDirectory,
  kExec,
};

struct ChildReport {
  Step step;
  int error;
};

// Everything the child needs, made in the parent before the start.
struct Plan {
  std::string shown;                    // the program as messages name it
  std::vector<std::string> candidates;  // paths exec tries in turn
  std::vector<std::string> argStorage, envStorage;
  std::vector<char*> argv, envp;  // null-terminated, into the storage
  char** environment = nullptr;   // envp.data(), or environ unchanged
  // dup2(from, to) in the child. Every `from` is a close-on-exec copy made
  // above every `to`, so that the moves may run in any order.
  struct Move {
    int from, to;
  };
  std::vector<Move> moves;
  int firstFreeFd = 3;        // above every `to`
  std::vector<OwnedFd> held;  // the copies and opened files, closed after the start
  sigset_t defaultSignals{};
};

[[noreturn]] void fail(const Plan& plan, const std::string& reason, int error) {
  throw SpawnError("cannot run " + plan.shown + ": " + reason, error);
}

[[noreturn]] void fail(const Plan& plan, int error) { fail(plan, std::strerror(error), error); }

std::vector<std::string> candidatePaths(const std::string& program) {
  if (program.find('/') != std::string::npos) return {program};
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/bin:/usr/bin";
  std::vector<std::string> out;
  while (true) {
    const size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    out.push_back((dir.empty() ? std::string(".") : dir) + "/" + program);  // "": the current folder
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return out;
}

void planEnvironment(const Command& command, Plan& plan) {
  if (!command.clearEnvironment && command.environment.empty()) {
    plan.environment = environ;
    return;
  }
  if (!command.clearEnvironment)
    for (char** e = environ; e && *e; ++e) plan.envStorage.emplace_back(*e);
  for (const auto& [name, value] : command.environment) {
    const std::string prefix = name + "=";
    std::erase_if(plan.envStorage, [&](const std::string& e) { return e.starts_with(prefix); });
    if (value) plan.envStorage.push_back(prefix + *value);
  }
  for (auto& e : plan.envStorage) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  plan.environment = plan.envp.data();
}

// The descriptors the child gets: opens the files, checks the numbers and
// makes the copies above every target.
void planDescriptors(const Command& command, Plan& plan) {
  struct Source {
    int fd;
    int to;
  };
  std::vector<Source> sources;
  std::vector<OwnedFd> opened;
  const Redirect* streams[] = {&command.in, &command.out, &command.err};
  for (int to = 0; to < 3; ++to) {
    const Redirect& r = *streams[to];
    int fd = -1;
    switch (r.kind()) {
      case Redirect::Kind::kInherit:
        continue;
      case Redirect::Kind::kFd:
        fd = r.descriptor();
        break;
      case Redirect::Kind::kDevNull:
        fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd < 0) fail(plan, std::string("/dev/null: ") + std::strerror(errno), errno);
        opened.emplace_back(fd);
        break;
      case Redirect::Kind::kReadFile:
      case Redirect::Kind::kWriteFile: {
        const bool write = r.kind() == Redirect::Kind::kWriteFile;
        fd = write ? ::open(r.path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
                   : ::open(r.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail(plan, r.path() + ": " + std::strerror(errno), errno);
        opened.emplace_back(fd);
        break;
      }
    }
    sources.push_back({fd, to});
  }
  for (const auto& [from, to] : command.passedFds) sources.push_back({from, to});

  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].to < 0) fail(plan, "child descriptor " + std::to_string(sources[i].to), EBADF);
    for (size_t k = 0; k < i; ++k)
      if (sources[k].to == sources[i].to)
        fail(plan, "descriptor " + std::to_string(sources[i].to) + " is given twice", EINVAL);
    plan.firstFreeFd = std::max(plan.firstFreeFd, sources[i].to + 1);
  }
  for (const Source& s : sources) {
    const int copy = s.fd < 0 ? -1 : ::fcntl(s.fd, F_DUPFD_CLOEXEC, plan.firstFreeFd);
    if (copy < 0) {
      const int error = s.fd < 0 ? EBADF : errno;
      fail(plan, "descriptor " + std::to_string(s.fd) + " for the child's " + std::to_string(s.to) +
                     ": " + std::strerror(error),
           error);
    }
    plan.held.emplace_back(copy);
    plan.moves.push_back({copy, s.to});
  }
}

Plan makePlan(const Command& command) {
  Plan plan;
  plan.shown = command.program;
  if (command.program.empty()) fail(plan, ENOENT);
  plan.candidates = candidatePaths(command.program);
  plan.argStorage.push_back(command.argv0.empty() ? command.program : command.argv0);
  plan.argStorage.insert(plan.argStorage.end(), command.args.begin(), command.args.end());
  for (auto& a : plan.argStorage) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  planEnvironment(command, plan);
  sigemptyset(&plan.defaultSignals);
  for (int sig : command.defaultSignals)
    if (sigaddset(&plan.defaultSignals, sig) != 0) fail(plan, "signal " + std::to_string(sig), EINVAL);
  planDescriptors(command, plan);
  return plan;
}

// After posix_spawn failed with `error`: a working directory that cannot
// be entered is named (posix_spawn reports its chdir's error as its own).
[[noreturn]] void failedToSpawn(const Command& command, const Plan& plan, int error) {
  if (!command.workingDirectory.empty() && ::access(command.workingDirectory.c_str(), X_OK) != 0) {
    const int dirError = errno;
    fail(plan, "working directory " + command.workingDirectory + ": " + std::strerror(dirError), dirError);
  }
  fail(plan, error);
}

pid_t startWithPosixSpawn(const Command& command, const Plan& plan) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  if (int rc = ::posix_spawn_file_actions_init(&actions)) fail(plan, rc);
  if (int rc = ::posix_spawnattr_init(&attributes)) {
    ::posix_spawn_file_actions_destroy(&actions);
    fail(plan, rc);
  }
  int rc = 0;
  for (const auto& m : plan.moves)
    if (!rc) rc = ::posix_spawn_file_actions_adddup2(&actions, m.from, m.to);
  if (!rc && !command.workingDirectory.empty())
    rc = ::posix_spawn_file_actions_addchdir_np(&actions, command.workingDirectory.c_str());
  short flags = 0;
  if (!command.defaultSignals.empty()) {
    flags |= POSIX_SPAWN_SETSIGDEF;
    if (!rc) rc = ::posix_spawnattr_setsigdefault(&attributes, &plan.defaultSignals);
  }
  if (command.newProcessGroup) {
    flags |= POSIX_SPAWN_SETPGROUP;
    if (!rc) rc = ::posix_spawnattr_setpgroup(&attributes, 0);
  }
  if (!rc) rc = ::posix_spawnattr_setflags(&attributes, flags);
  pid_t pid = -1;
  if (!rc) {
    // posix_spawnp looks the name up in PATH as candidatePaths does.
    const auto start = command.program.find('/') == std::string::npos ? ::posix_spawnp : ::posix_spawn;
    rc = start(&pid, command.program.c_str(), &actions, &attributes, plan.argv.data(), plan.environment);
  }
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  if (rc) failedToSpawn(command, plan, rc);
  return pid;
}

// In the child: tells the parent which step failed, and exits.
[[noreturn]] void reportToParent(int fd, Step step, int error) {
  const ChildReport r{step, error};
  while (::write(fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

// The child between fork and exec: system calls only (see process.h), all
// signals blocked on entry; `mask` is the parent's mask to restore.
[[noreturn]] void runChild(const Command& command, const Plan& plan, int reportFd, pid_t parent,
                           const sigset_t& mask) {
  // No handler of the parent's may run here (it would act on the parent's
  // state: a relay would write to the parent's self-pipe).
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction current;
    if (::sigaction(sig, nullptr, &current) != 0) continue;  // one the C library reserves
    const bool caught = current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN;
    if (caught || (current.sa_handler == SIG_IGN && sigismember(&plan.defaultSignals, sig) == 1)) {
      struct sigaction byDefault {};
      byDefault.sa_handler = SIG_DFL;
      sigemptyset(&byDefault.sa_mask);
      ::sigaction(sig, &byDefault, nullptr);
    }
  }
  if (command.parentDeathSignal != 0) {
    if (::prctl(PR_SET_PDEATHSIG, command.parentDeathSignal) != 0)
      reportToParent(reportFd, Step::kParentDeathSignal, errno);
    if (::getppid() != parent) ::_exit(126);  // gone before the signal was set
  }
  if (command.newProcessGroup && ::setpgid(0, 0) != 0) reportToParent(reportFd, Step::kProcessGroup, errno);
  if (command.dataLimit) {
    const rlim_t bytes = static_cast<rlim_t>(*command.dataLimit);
    const struct rlimit limit {bytes, bytes};
    if (::setrlimit(RLIMIT_DATA, &limit) != 0) reportToParent(reportFd, Step::kDataLimit, errno);
  }
  for (const auto& m : plan.moves) {
    int rc;
    do rc = ::dup2(m.from, m.to); while (rc < 0 && (errno == EINTR || errno == EBUSY));
    if (rc < 0) reportToParent(reportFd, Step::kDescriptors, errno);
  }
  if (!command.workingDirectory.empty() && ::chdir(command.workingDirectory.c_str()) != 0)
    reportToParent(reportFd, Step::kWorkingDirectory, errno);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  // The PATH search of execvp: a missing file (or folder) tries the next
  // candidate, a permission problem too but is what is reported when none
  // runs, any other error stops.
  bool denied = false;
  for (const auto& path : plan.candidates) {
    ::execve(path.c_str(), plan.argv.data(), plan.environment);
    const int error = errno;
    if (error == EACCES)
      denied = true;
    else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV && error != ETIMEDOUT)
      reportToParent(reportFd, Step::kExec, error);
  }
  reportToParent(reportFd, Step::kExec, denied ? EACCES : ENOENT);
}

pid_t startWithFork(const Command& command, const Plan& plan) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail(plan, std::string("pipe: ") + std::strerror(errno), errno);
  OwnedFd reportRead(fds[0]);
  // Above every descriptor the child sets up, so no dup2 replaces it.
  OwnedFd reportWrite(::fcntl(fds[1], F_DUPFD_CLOEXEC, plan.firstFreeFd));
  const int dupError = errno;
  ::close(fds[1]);
  if (reportWrite.get() < 0) fail(plan, std::string("pipe: ") + std::strerror(dupError), dupError);

  sigset_t all, mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &mask);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) runChild(command, plan, reportWrite.get(), parent, mask);
  const int forkError = errno;
  ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  reportWrite.reset();
  if (pid < 0) fail(plan, std::string("fork: ") + std::strerror(forkError), forkError);
  // Also here, so that the group exists when spawn returns whichever of
  // the two runs first (EACCES once the child has exec'd: it did it).
  if (command.newProcessGroup) ::setpgid(pid, pid);

  ChildReport r{};
  ssize_t got;
  do got = ::read(reportRead.get(), &r, sizeof r); while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof r)) return pid;  // end of file: exec closed the pipe
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  switch (r.step) {
    case Step::kParentDeathSignal:
      fail(plan, std::string("parent-death signal: ") + std::strerror(r.error), r.error);
    case Step::kProcessGroup:
      fail(plan, std::string("process group: ") + std::strerror(r.error), r.error);
    case Step::kDataLimit:
      fail(plan,
           "data limit (RLIMIT_DATA) of " + std::to_string(*command.dataLimit) +
               " bytes: " + std::strerror(r.error),
           r.error);
    case Step::kDescriptors:
      fail(plan, std::string("descriptors: ") + std::strerror(r.error), r.error);
    case Step::kWorkingDirectory:
      fail(plan, "working directory " + command.workingDirectory + ": " + std::strerror(r.error), r.error);
    case Step::kExec:
      break;
  }
  fail(plan, r.error);
}

}  // namespace

std::string signalName(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig);
}

ProcessEnd ProcessEnd::fromWaitStatus(int status) {
  return WIFSIGNALED(status) ? killedBy(WTERMSIG(status)) : exitedWith(WEXITSTATUS(status));
}

std::string ProcessEnd::describe() const {
  if (!signalled_) return "exit status " + std::to_string(number_);
  return "killed by signal " + std::to_string(number_) + " (" + signalName(number_) + ")";
}

Redirect Redirect::fd(int fd) {
  Redirect r(Kind::kFd);
  r.fd_ = fd;
  return r;
}

Redirect Redirect::readFile(std::string path) {
  Redirect r(Kind::kReadFile);
  r.path_ = std::move(path);
  return r;
}

Redirect Redirect::writeFile(std::string path) {
  Redirect r(Kind::kWriteFile);
  r.path_ = std::move(path);
  return r;
}

std::string Command::commandLine() const {
  std::string line = program;
  for (const auto& a : args) line += " " + a;
  return line;
}

// ---------------------------------------------------------------- Child

Child::~Child() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), end_(std::move(other.end_)), usage_(other.usage_) {
  other.end_.reset();
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    if (running()) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
    pid_ = std::exchange(other.pid_, -1);
    end_ = std::move(other.end_);
    other.end_.reset();
    usage_ = other.usage_;
  }
  return *this;
}

int Child::reap(bool block) {
  int status = 0;
  struct rusage usage {};
  pid_t r;
  do r = ::wait4(pid_, &status, block ? 0 : WNOHANG, &usage); while (r < 0 && errno == EINTR);
  if (r < 0) return errno;
  if (r == pid_) {
    end_ = ProcessEnd::fromWaitStatus(status);
    usage_ = usage;
  }
  return 0;
}

void Child::reapOrThrow(bool block) {
  if (pid_ <= 0) throw std::logic_error("Child: no process");
  // ECHILD: reaped elsewhere (SIGCHLD ignored, a wait for any child).
  if (int error = end_ ? 0 : reap(block))
    throw std::runtime_error("waiting for process " + std::to_string(pid_) + ": " + std::strerror(error));
}

ProcessEnd Child::wait() {
  reapOrThrow(true);
  return *end_;
}

std::optional<ProcessEnd> Child::tryWait() {
  reapOrThrow(false);
  return end_;
}

bool Child::kill(int sig) const { return running() && ::kill(pid_, sig) == 0; }

// ---------------------------------------------------------------- starting

Child spawn(const Command& command) {
  const Plan plan = makePlan(command);
  const bool needsFork = command.dataLimit || command.parentDeathSignal != 0;
  return Child(needsFork ? startWithFork(command, plan) : startWithPosixSpawn(command, plan));
}

Child forkChild(const std::function<int()>& body, int parentDeathSignal) {
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw SpawnError(std::string("cannot fork: ") + std::strerror(errno), errno);
  if (pid > 0) return Child(pid);
  if (parentDeathSignal != 0) {
    ::prctl(PR_SET_PDEATHSIG, parentDeathSignal);
    if (::getppid() != parent) ::_exit(126);
  }
  int rc = 1;
  try {
    rc = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: unknown exception\n", program_invocation_short_name);
  }
  std::fflush(nullptr);
  ::_exit(rc);
}

std::optional<size_t> waitAny(std::vector<Child>& children) {
  if (std::none_of(children.begin(), children.end(), [](const Child& c) { return c.running(); }))
    return std::nullopt;
  for (size_t i = 0; i < children.size(); ++i)
    if (children[i].running() && children[i].tryWait()) return i;
  while (true) {
    siginfo_t info{};
    // WNOWAIT: see which child ended without reaping it.
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t i = 0; i < children.size(); ++i)
      if (children[i].running() && children[i].pid() == info.si_pid) {
        children[i].wait();
        return i;
      }
    break;  // not ours: it would be the answer again and again
  }
  while (true) {
    for (size_t i = 0; i < children.size(); ++i)
      if (children[i].running() && children[i].tryWait()) return i;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

CapturedRun runCapturing(Command command, int capturedFd, std::optional<std::chrono::milliseconds> timeout) {
  if (capturedFd != 1 && capturedFd != 2)
    throw std::invalid_argument("runCapturing: descriptor " + std::to_string(capturedFd) +
                                " is not stdout or stderr");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw SpawnError("cannot run " + command.program + ": pipe: " + std::strerror(errno), errno);
  OwnedFd readEnd(fds[0]), writeEnd(fds[1]);
  (capturedFd == 1 ? command.out : command.err) = Redirect::fd(writeEnd.get());
  Child child = spawn(command);
  writeEnd.reset();

  CapturedRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  char buf[8192];
  while (true) {
    int wait = -1;
    if (timeout) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        child.kill(SIGKILL);
        run.timedOut = true;
        break;
      }
      wait = static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30));
    }
    pollfd p{readEnd.get(), POLLIN, 0};
    const int rc = ::poll(&p, 1, wait);
    if (rc < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (rc <= 0) continue;
    const ssize_t n = ::read(readEnd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    run.output.append(buf, static_cast<size_t>(n));
  }
  readEnd.reset();
  run.end = child.wait();
  return run;
}

std::string executableDir() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  const std::string exe(buf, static_cast<size_t>(n));
  const size_t slash = exe.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : exe.substr(0, slash);
}

std::string shellQuote(std::string_view word) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("_@%+=:,./-", c) != nullptr;
  };
  bool needsQuotes = word.empty();
  for (char c : word) needsQuotes |= !plain(c);
  if (!needsQuotes) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::optional<std::string> findOnPath(const std::string& program, std::string_view pathEnv) {
  while (true) {
    const size_t colon = pathEnv.find(':');
    std::string dir(pathEnv.substr(0, colon));
    if (dir.empty()) dir = ".";  // POSIX: an empty PATH entry is the current folder
    const std::string candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos) return std::nullopt;
    pathEnv.remove_prefix(colon + 1);
  }
}

}  // namespace pv::runtime
