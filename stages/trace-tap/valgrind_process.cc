#include "stages/trace-tap/valgrind_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "stages/core/stage_error.h"

namespace pv::valgrind {
namespace {

constexpr const char* kToolFile = "pvtap-amd64-linux";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Output of `valgrind --version` ("valgrind-3.19.0"), "" when it fails.
std::string installedVersion(const std::string& valgrind) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::execlp(valgrind.c_str(), valgrind.c_str(), "--version", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t got;
  while ((got = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  ::close(fds[0]);
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  return trim(out);
}

}  // namespace

std::string defaultToolDir() {
  if (const char* env = std::getenv("PV_VALGRIND_LIB"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "pv-valgrind";
  const auto beside = exe.parent_path() / "pv-valgrind";  // where the build puts it
  // An installed tree: PREFIX/bin/pv-trace-tap and PREFIX/lib/perfvec/pv-valgrind.
  const auto installed = (exe.parent_path() / "../lib/perfvec/pv-valgrind").lexically_normal();
  if (!std::filesystem::is_directory(beside, ec) && std::filesystem::is_directory(installed, ec))
    return installed.string();
  return beside.string();
}

void checkTool(const std::string& toolDir, const std::string& valgrind) {
  const std::string tool = toolDir + "/" + kToolFile;
  if (::access(tool.c_str(), X_OK) != 0)
    throw StageError(tool, "", "the Valgrind tool is missing (build it: ninja -C OUT "
                               "pv-trace-tap; install it: ./dev.sh install PREFIX; or set "
                               "PV_VALGRIND_LIB)");
  std::ifstream in(toolDir + "/pvtap.version");
  std::string built;
  std::getline(in, built);
  std::string installed = installedVersion(valgrind);
  if (installed.empty())
    throw StageError(valgrind, "", "cannot run '" + valgrind +
                                       " --version': is Debian's valgrind package installed?");
  if (trim(built) != installed)
    throw StageError(tool, "", "built for " + (built.empty() ? "an unknown valgrind" : built) +
                                   " but " + installed +
                                   " is installed; rebuild pv-trace-tap");
}

GuestProcess::GuestProcess(RunOptions options) : options_(std::move(options)) {
  if (options_.command.empty()) throw StageError("", "", "no program to run");
  program_ = options_.command[0];
  if (options_.toolDir.empty()) options_.toolDir = defaultToolDir();
  checkTool(options_.toolDir, options_.valgrind);

  int data[2], status[2];
  if (::pipe2(data, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0)
    throw StageError(program_, "", std::string("pipe: ") + std::strerror(errno));
  int outFd = 2;
  if (!options_.guestStdout.empty()) {
    outFd = ::open(options_.guestStdout.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (outFd < 0)
      throw StageError(options_.guestStdout, "",
                       std::string("cannot open for the guest's stdout: ") + std::strerror(errno));
  }
  // Everything the child needs is prepared before fork (no allocation after).
  std::vector<std::string> args = {options_.valgrind, "-q", "--tool=pvtap",
                                   "--pvtap-skip=" + std::to_string(options_.skip),
                                   "--pvtap-count=" + std::to_string(options_.count)};
  const size_t fdArg = args.size();
  args.push_back("");  // --pvtap-fd=N, filled in the child
  args.insert(args.end(), options_.command.begin(), options_.command.end());
  // The fd number the stream will have in the child: the lowest above 2
  // not used for something else; decided here so the argument is ready.
  int childFd = 3;
  while (childFd == data[0] || childFd == data[1] || childFd == status[0] ||
         childFd == status[1] || childFd == outFd)
    ++childFd;
  args[fdArg] = "--pvtap-fd=" + std::to_string(childFd);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string libEnv = options_.toolDir;

  pid_ = ::fork();
  if (pid_ < 0) throw StageError(program_, "", std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Child: stdout -> stderr or the file; the stream on childFd.
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(outFd, 1) < 0 || ::dup2(data[1], childFd) < 0) {
      int e = errno;
      (void)!::write(status[1], &e, sizeof e);
      ::_exit(127);
    }
    ::setenv("VALGRIND_LIB", libEnv.c_str(), 1);
    ::execvp(argv[0], argv.data());
    int e = errno;
    (void)!::write(status[1], &e, sizeof e);
    ::_exit(127);
  }
  ::close(data[1]);
  ::close(status[1]);
  if (outFd != 2) ::close(outFd);
  readFd_ = data[0];
  int err = 0;
  ssize_t got;
  do got = ::read(status[0], &err, sizeof err); while (got < 0 && errno == EINTR);
  ::close(status[0]);
  if (got == sizeof err) {
    wait(true);
    ::close(readFd_);
    readFd_ = -1;
    throw StageError(options_.valgrind, "", std::string("cannot run: ") + std::strerror(err));
  }
}

GuestProcess::~GuestProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(true);
  }
  if (readFd_ >= 0) ::close(readFd_);
}

std::unique_ptr<runtime::ByteSource> GuestProcess::takeStream() {
  if (readFd_ < 0) throw StageError(program_, "", "record stream already taken");
  int fd = readFd_;
  readFd_ = -1;
  runtime::widenPipe(fd);
  return runtime::fdByteSource(fd, "valgrind:" + program_, /*owned=*/true);
}

int GuestProcess::wait(bool block) {
  if (pid_ <= 0) return 1;
  int st = 0;
  pid_t r;
  do r = ::waitpid(pid_, &st, block ? 0 : WNOHANG); while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = st;
    pid_ = -1;
    return 1;
  }
  return 0;
}

std::string GuestProcess::describeStatus(int status) const {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

void GuestProcess::finish(const std::optional<EndRecord>& end) {
  wait(true);
  if (!WIFEXITED(status_) || WEXITSTATUS(status_) != 0) {
    std::string what = describeStatus(status_);
    if (end && end->reason == EndRecord::kGuestExited && WIFEXITED(status_))
      throw StageError(program_, "", what + " (its " + std::to_string(end->traced) +
                                         " traced instructions were sent before this error)");
    throw StageError(program_, "", "valgrind " + what);
  }
  if (end && end->traced == 0)
    throw StageError(program_, "", "nothing traced: the program ended after " +
                                       std::to_string(end->skipped) +
                                       " instructions, within --skip " +
                                       std::to_string(options_.skip));
}

void GuestProcess::failed(const std::exception_ptr& cause) {
  // Give valgrind a moment to end (a truncated stream usually means it
  // has died), then stop it.
  for (int i = 0; i < 100 && pid_ > 0; ++i) {
    if (wait(false)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  bool died = false;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(true);
  } else {
    died = !WIFEXITED(status_) || WEXITSTATUS(status_) != 0;
  }
  if (died) {
    std::string detail;
    try {
      std::rethrow_exception(cause);
    } catch (const std::exception& e) {
      detail = e.what();
    }
    throw StageError(program_, "", "valgrind " + describeStatus(status_) + " (" + detail + ")");
  }
  std::rethrow_exception(cause);
}

}  // namespace pv::valgrind
