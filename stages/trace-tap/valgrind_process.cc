#include "stages/trace-tap/valgrind_process.h"

#include <fcntl.h>
#include <signal.h>
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
  runtime::Command version(valgrind, {"--version"});
  version.err = runtime::Redirect::devNull();
  try {
    const runtime::CapturedRun run = runtime::runCapturing(version);
    return run.end.ok() ? trim(run.output) : "";
  } catch (const runtime::SpawnError&) {
    return "";
  }
}

// How valgrind ended, as the messages say it.
std::string describe(const runtime::ProcessEnd& end) {
  return end.exited() ? "exited with status " + std::to_string(end.exitCode()) : end.describe();
}

}  // namespace

std::string defaultToolDir() {
  if (const char* env = std::getenv("PV_VALGRIND_LIB"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path bin = runtime::executableDir();
  const auto beside = bin / "pv-valgrind";  // where the build puts it
  // An installed tree: PREFIX/bin/pv-trace-tap and PREFIX/lib/perfvec/pv-valgrind.
  const auto installed = (bin / "../lib/perfvec/pv-valgrind").lexically_normal();
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

  int data[2];
  if (::pipe2(data, O_CLOEXEC) != 0)
    throw StageError(program_, "", std::string("pipe: ") + std::strerror(errno));
  int outFd = 2;
  if (!options_.guestStdout.empty()) {
    outFd = ::open(options_.guestStdout.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (outFd < 0) {
      const int error = errno;
      ::close(data[0]);
      ::close(data[1]);
      throw StageError(options_.guestStdout, "",
                       std::string("cannot open for the guest's stdout: ") + std::strerror(error));
    }
  }
  // The stream reaches valgrind as descriptor 3; stdout goes to stderr or
  // the file (the tap's stdout is its binary output).
  constexpr int kStreamFd = 3;
  runtime::Command valgrind(options_.valgrind,
                            {"-q", "--tool=pvtap", "--pvtap-skip=" + std::to_string(options_.skip),
                             "--pvtap-count=" + std::to_string(options_.count),
                             "--pvtap-fd=" + std::to_string(kStreamFd)});
  valgrind.args.insert(valgrind.args.end(), options_.command.begin(), options_.command.end());
  valgrind.out = runtime::Redirect::fd(outFd);
  valgrind.passFd(data[1], kStreamFd);
  valgrind.setEnv("VALGRIND_LIB", options_.toolDir);
  valgrind.defaultSignals = {SIGPIPE};  // the tap ignores it; the guest expects its default
  std::string error;
  try {
    child_ = runtime::spawn(valgrind);
  } catch (const runtime::SpawnError& e) {
    error = e.what();  // "cannot run valgrind: REASON"
  }
  ::close(data[1]);
  if (outFd != 2) ::close(outFd);
  if (!error.empty()) {
    ::close(data[0]);
    throw StageError("", "", error);
  }
  readFd_ = data[0];
}

GuestProcess::~GuestProcess() {
  if (readFd_ >= 0) ::close(readFd_);
  // child_ kills (SIGKILL) and reaps a guest still running.
}

std::unique_ptr<runtime::ByteSource> GuestProcess::takeStream() {
  if (readFd_ < 0) throw StageError(program_, "", "record stream already taken");
  int fd = readFd_;
  readFd_ = -1;
  runtime::widenPipe(fd);
  return runtime::fdByteSource(fd, "valgrind:" + program_, /*owned=*/true);
}

void GuestProcess::finish(const std::optional<EndRecord>& end) {
  const runtime::ProcessEnd status = child_.wait();
  if (!status.ok()) {
    std::string what = describe(status);
    if (end && end->reason == EndRecord::kGuestExited && status.exited())
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
  std::optional<runtime::ProcessEnd> status = child_.tryWait();
  for (int i = 0; i < 100 && !status; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = child_.tryWait();
  }
  bool died = false;
  if (!status) {
    child_.kill(SIGKILL);
    child_.wait();
  } else {
    died = !status->ok();
  }
  if (died) {
    std::string detail;
    try {
      std::rethrow_exception(cause);
    } catch (const std::exception& e) {
      detail = e.what();
    }
    throw StageError(program_, "", "valgrind " + describe(*status) + " (" + detail + ")");
  }
  std::rethrow_exception(cause);
}

}  // namespace pv::valgrind
