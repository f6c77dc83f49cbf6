// Child processes: the one place perfvec starts them. spawn() runs a
// program as a Command describes (arguments, environment, standard streams,
// extra file descriptors, working directory, data limit, parent-death
// signal, process group); forkChild() runs a function in a forked copy of
// this process (pv-train's workers). Either returns a Child to wait for or
// signal, and how it ended is a ProcessEnd.
//
//   pv::runtime::Command tool("/usr/bin/pv-uarch", {"sample", "--count", "4"});
//   tool.out = pv::runtime::Redirect::devNull();
//   pv::runtime::Child child = pv::runtime::spawn(tool);   // SpawnError when it cannot run
//   pv::runtime::ProcessEnd end = child.wait();
//   if (!end.ok()) throw std::runtime_error("pv-uarch " + end.describe());
//
// How a program starts. With posix_spawn(3) when the Command needs nothing
// it lacks: glibc's is a vfork-like clone that copies no page tables (a
// process holding gigabytes of training data or LibTorch forks slowly) and
// returns exec's error itself. With fork + exec when the Command asks for a
// data limit (setrlimit) or a parent-death signal (prctl), which
// posix_spawn has no attribute for. Then everything the child needs (argv,
// envp, the paths to try, the descriptor plan) is built before fork, and
// after it the child makes system calls only (async-signal-safe: another
// thread may have held the allocator's lock at the fork), with every signal
// blocked until just before exec and the parent's signal handlers reset.
// The child reports the first step that failed, and exec's error, through a
// close-on-exec pipe. Either way a program that cannot start is a SpawnError
// in the parent ("cannot run PROGRAM: REASON") and leaves no child behind.
//
// What the child gets:
// - stdin, stdout, stderr as the Command's Redirects say, and the
//   descriptors passed with passFd at the numbers asked (in any order: a
//   number may be another's source); every other descriptor of the parent
//   that is not close-on-exec stays open, as across exec (perfvec opens its
//   own with O_CLOEXEC; what a user's shell handed perfvec reaches the
//   program as it would from a shell);
// - the parent's signal mask; a signal the parent ignores stays ignored and
//   one it catches is at its default action (as across exec), except the
//   `defaultSignals`, at their default action in any case (perfvec
//   processes ignore SIGPIPE; the programs they run expect its default);
// - the parent's environment with the Command's changes, or only the
//   changes after clearEnvironment;
// - a program name without '/' is looked up in the parent's PATH
//   ("/bin:/usr/bin" when unset), as posix_spawnp and execvp do, except
//   that a file that is not an executable format is not run with /bin/sh.
//   A relative path is relative to the working directory the Command sets.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pv::runtime {

// "SIGKILL"; "signal 77" for a number with no name.
std::string signalName(int sig);

// How a child ended: exited with a code, or killed by a signal.
class ProcessEnd {
 public:
  // From waitpid's status (an ended process: WIFEXITED or WIFSIGNALED).
  static ProcessEnd fromWaitStatus(int status);
  static ProcessEnd exitedWith(int code) { return ProcessEnd(false, code); }
  static ProcessEnd killedBy(int sig) { return ProcessEnd(true, sig); }

  bool exited() const { return !signalled_; }
  bool signalled() const { return signalled_; }
  int exitCode() const { return signalled_ ? -1 : number_; }  // -1 when signalled
  int signal() const { return signalled_ ? number_ : 0; }     // 0 when exited
  // Exited with code 0.
  bool ok() const { return !signalled_ && number_ == 0; }
  // As a shell's $? says it: the exit code, or 128 + the signal.
  int shellStatus() const { return signalled_ ? 128 + number_ : number_; }
  // "exit status 3", "killed by signal 9 (SIGKILL)".
  std::string describe() const;

  bool operator==(const ProcessEnd&) const = default;

 private:
  ProcessEnd(bool signalled, int number) : signalled_(signalled), number_(number) {}
  bool signalled_ = false;
  int number_ = 0;
};

// A child that could not be started: "cannot run PROGRAM: REASON".
class SpawnError : public std::runtime_error {
 public:
  SpawnError(const std::string& message, int error) : std::runtime_error(message), error_(error) {}
  int error() const { return error_; }  // the errno of the step that failed

 private:
  int error_;
};

// Where one of the child's standard streams comes from or goes to. Files
// are opened by spawn() in the parent (relative to the parent's working
// directory), so that a path that cannot be opened is named in the
// SpawnError.
class Redirect {
 public:
  // The parent's own stream (the default).
  static Redirect inherit() { return Redirect(Kind::kInherit); }
  // A descriptor of the parent (a pipe's end, a socket): the child gets a
  // copy; the caller still owns `fd` and closes it after spawn().
  static Redirect fd(int fd);
  static Redirect devNull() { return Redirect(Kind::kDevNull); }
  // A file read from the start.
  static Redirect readFile(std::string path);
  // A file created or truncated (mode 0666 less the umask, as a shell's >).
  static Redirect writeFile(std::string path);

  enum class Kind { kInherit, kFd, kDevNull, kReadFile, kWriteFile };
  Kind kind() const { return kind_; }
  int descriptor() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  explicit Redirect(Kind kind) : kind_(kind) {}
  Kind kind_;
  int fd_ = -1;
  std::string path_;
};

struct Command {
  explicit Command(std::string program, std::vector<std::string> args = {})
      : program(std::move(program)), args(std::move(args)) {}

  std::string program;            // what is executed (no '/': looked up in PATH)
  std::vector<std::string> args;  // the arguments after argv[0]
  std::string argv0;              // argv[0]; "" = `program`

  Redirect in = Redirect::inherit();
  Redirect out = Redirect::inherit();
  Redirect err = Redirect::inherit();
  // {descriptor of the parent, number in the child}; see passFd.
  std::vector<std::pair<int, int>> passedFds;

  std::string workingDirectory;  // "" = the parent's
  // The environment starts empty instead of as the parent's.
  bool clearEnvironment = false;
  // Applied in order to the starting environment: {name, value} sets,
  // {name, nullopt} removes.
  std::vector<std::pair<std::string, std::optional<std::string>>> environment;

  // RLIMIT_DATA in bytes (soft and hard): heap and private mappings beyond
  // it fail to allocate. Needs fork + exec.
  std::optional<uint64_t> dataLimit;
  // A signal the child gets when the parent thread that started it ends
  // (prctl PR_SET_PDEATHSIG), even by SIGKILL; a child whose parent has
  // already gone when it would be set exits 126 before exec. Needs
  // fork + exec. 0: none.
  int parentDeathSignal = 0;
  // The child leads a new process group (its pgid is its pid): a terminal's
  // Ctrl-C, sent to the foreground group, does not reach it.
  bool newProcessGroup = false;
  // Signals at their default action in the child even when ignored here.
  std::vector<int> defaultSignals;

  // `parentFd` becomes descriptor `childFd` of the child (not close-on-exec
  // there). The caller still owns `parentFd`.
  Command& passFd(int parentFd, int childFd) {
    passedFds.emplace_back(parentFd, childFd);
    return *this;
  }
  Command& setEnv(std::string name, std::string value) {
    environment.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Command& unsetEnv(std::string name) {
    environment.emplace_back(std::move(name), std::nullopt);
    return *this;
  }
  // "program arg1 arg2" for messages (not quoted).
  std::string commandLine() const;
};

// A started child process. Move-only; a child still running when its Child
// is destroyed is killed (SIGKILL) and reaped, so that no error path leaves
// a process behind or a zombie.
class Child {
 public:
  Child() = default;
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // -1 for an empty handle. Once the child is reaped the number may belong
  // to another process: use kill(), not ::kill(pid()).
  pid_t pid() const { return pid_; }
  // How it ended, once waited for.
  const std::optional<ProcessEnd>& end() const { return end_; }
  // Started and not yet reaped.
  bool running() const { return pid_ > 0 && !end_; }

  // Waits until it ends (the same answer again once it has).
  ProcessEnd wait();
  // Its end if it has ended, without blocking.
  std::optional<ProcessEnd> tryWait();
  // Sends `sig`; false when it is already reaped or the signal fails.
  bool kill(int sig) const;
  // Its CPU time and peak resident set, from wait4, once waited for.
  const struct rusage& usage() const { return usage_; }

 private:
  friend Child spawn(const Command&);
  friend Child forkChild(const std::function<int()>&, int);
  explicit Child(pid_t pid) : pid_(pid) {}
  // 0, or waitpid's errno. end_ is set once the child is reaped.
  int reap(bool block);
  void reapOrThrow(bool block);

  pid_t pid_ = -1;
  std::optional<ProcessEnd> end_;
  struct rusage usage_ {};
};

// Starts `command`; throws SpawnError when it cannot run (the program is
// missing or not executable, a file cannot be opened, the working
// directory is missing, a limit cannot be set, fork fails).
Child spawn(const Command& command);

// Runs `body` in a forked copy of this process; the child exits with what
// it returns (an exception escaping it: its message on stderr, exit 1), by
// _exit, so the parent's atexit handlers and static destructors do not run
// twice. stdio buffers are flushed before the fork (else both processes
// would write what they held) and in the child before it exits.
// `parentDeathSignal` as Command's. The child has only the calling thread:
// what other threads held at the fork (locks, a thread pool) is not usable
// in it. Throws SpawnError when fork fails.
Child forkChild(const std::function<int()>& body, int parentDeathSignal = 0);

// Waits until one of the running `children` ends and returns its index
// (its end() is then set); nullopt when none is running. It blocks in
// waitid without reaping what it does not own; a child of this process
// that is not among them and ends meanwhile is left alone, and the wait
// goes on by polling them every 10 ms.
std::optional<size_t> waitAny(std::vector<Child>& children);

// What runCapturing returns.
struct CapturedRun {
  ProcessEnd end = ProcessEnd::exitedWith(0);
  std::string output;     // what it wrote on the captured stream
  bool timedOut = false;  // killed (SIGKILL) at the timeout
};

// Runs `command` to its end with its stdout (capturedFd 1) or stderr (2)
// read into CapturedRun::output; the Command's other Redirects as they
// are. With a timeout, a child still running then is killed with SIGKILL
// and waited for. Throws SpawnError.
CapturedRun runCapturing(Command command, int capturedFd = 1,
                         std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// `word` quoted for a POSIX shell when it needs quoting: "a b" -> 'a b',
// "it's" -> 'it'\''s', "" -> ''; words of letters, digits and _@%+=:,./-
// as they are (pv-launch --dry-run, pv-dataset's sbatch scripts).
std::string shellQuote(std::string_view word);

// The first executable regular file named `program` in the folders of the
// PATH-style list `pathEnv` (an empty entry is the current folder, as in
// POSIX); nullopt when there is none. `program` holds no '/'.
std::optional<std::string> findOnPath(const std::string& program, std::string_view pathEnv);

// The folder holding the running executable (/proc/self/exe, links
// resolved): where perfvec's tools find the programs and data installed
// beside them. "." when it cannot be read.
std::string executableDir();

}  // namespace pv::runtime
