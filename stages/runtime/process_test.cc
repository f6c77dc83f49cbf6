// The process helper on real processes (sh, cat, env, sleep): how children
// end, their streams, descriptors, environment, folder, limits and
// signals, and the errors of children that cannot start. The cases that
// hold for both ways of starting run twice: by posix_spawn, and by
// fork + exec (forced by a parent-death signal, which a test process that
// outlives its children never sends).

#include "stages/runtime/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace pv::runtime {

// For gtest's messages.
void PrintTo(const ProcessEnd& end, std::ostream* out) { *out << end.describe(); }

namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string name = (fs::temp_directory_path() / "pv_process_test_XXXXXX").string();
    path_ = ::mkdtemp(name.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Command sh(const std::string& script) { return Command("/bin/sh", {"-c", script}); }

// A pipe whose ends close with it.
struct Pipe {
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    closeWrite();
    if (read >= 0) ::close(read);
  }
  void closeWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
  std::string drain() {
    closeWrite();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(read, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  int read = -1, write = -1;
};

// The descriptors of this process and whether each is close-on-exec.
std::map<int, bool> openFds() {
  std::map<int, bool> fds;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    const int fd = std::stoi(entry.path().filename().string());
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) fds[fd] = (flags & FD_CLOEXEC) != 0;
  }
  return fds;
}

// The shell's open descriptors, one per line (the glob's own is closed
// again when the loop tests it).
const char* kListFds = "for f in /proc/$$/fd/*; do [ -e \"$f\" ] && echo \"${f##*/}\"; done; true";

std::set<int> parseFdList(const std::string& text) {
  std::set<int> fds;
  std::istringstream in(text);
  for (int fd; in >> fd;) fds.insert(fd);
  return fds;
}

// A descriptor number this process does not use, from `from` up.
int unusedFd(int from) {
  while (::fcntl(from, F_GETFD) >= 0) ++from;
  return from;
}

// --------------------------------------------------------------- ProcessEnd

TEST(ProcessEnd, describesExitCodesAndSignals) {
  EXPECT_EQ(ProcessEnd::exitedWith(0).describe(), "exit status 0");
  EXPECT_EQ(ProcessEnd::exitedWith(3).describe(), "exit status 3");
  EXPECT_EQ(ProcessEnd::killedBy(SIGKILL).describe(), "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(ProcessEnd::killedBy(SIGSEGV).describe(), "killed by signal 11 (SIGSEGV)");
  EXPECT_EQ(ProcessEnd::exitedWith(3).shellStatus(), 3);
  EXPECT_EQ(ProcessEnd::killedBy(SIGTERM).shellStatus(), 143);
  EXPECT_TRUE(ProcessEnd::exitedWith(0).ok());
  EXPECT_FALSE(ProcessEnd::exitedWith(1).ok());
  EXPECT_FALSE(ProcessEnd::killedBy(SIGTERM).ok());
  EXPECT_EQ(ProcessEnd::killedBy(SIGTERM).exitCode(), -1);
  EXPECT_EQ(ProcessEnd::exitedWith(4).signal(), 0);
  EXPECT_EQ(signalName(SIGPIPE), "SIGPIPE");
  EXPECT_EQ(signalName(77), "signal 77");
}

// --------------------------------------------------------------- both ways

class Spawn : public ::testing::TestWithParam<bool> {
 protected:
  // The command, started by fork + exec when the test runs that way.
  Command prepared(Command c) const {
    if (GetParam()) c.parentDeathSignal = SIGTERM;
    return c;
  }
};

INSTANTIATE_TEST_SUITE_P(Ways, Spawn, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "forkExec" : "posixSpawn"; });

TEST_P(Spawn, exitCodesAndSignalsAreDecoded) {
  for (int code : {0, 1, 7, 255}) {
    Child child = spawn(prepared(sh("exit " + std::to_string(code))));
    EXPECT_GT(child.pid(), 0);
    EXPECT_EQ(child.wait(), ProcessEnd::exitedWith(code));
    EXPECT_EQ(child.wait(), ProcessEnd::exitedWith(code));  // asked again
    EXPECT_FALSE(child.running());
  }
  Child killed = spawn(prepared(sh("kill -TERM $$; sleep 5")));
  EXPECT_EQ(killed.wait(), ProcessEnd::killedBy(SIGTERM));
  EXPECT_EQ(killed.end()->describe(), "killed by signal 15 (SIGTERM)");
}

TEST_P(Spawn, killSignalsARunningChildOnly) {
  Child child = spawn(prepared(Command("sleep", {"30"})));
  EXPECT_EQ(child.tryWait(), std::nullopt);
  EXPECT_TRUE(child.running());
  EXPECT_TRUE(child.kill(SIGKILL));
  EXPECT_EQ(child.wait(), ProcessEnd::killedBy(SIGKILL));
  EXPECT_FALSE(child.kill(SIGKILL));  // reaped: its pid is not its any more
}

TEST_P(Spawn, streamsGoWhereTheyAreSent) {
  TempDir dir;
  std::ofstream(dir / "in.txt") << "hello\nworld\n";
  Pipe err;
  Command c = prepared(sh("tr a-z A-Z; echo 'to stderr' >&2"));
  c.in = Redirect::readFile(dir / "in.txt");
  c.out = Redirect::writeFile(dir / "out.txt");
  c.err = Redirect::fd(err.write);
  std::ofstream(dir / "out.txt") << "old contents, longer than the new ones\n";
  Child child = spawn(c);
  EXPECT_EQ(err.drain(), "to stderr\n");
  EXPECT_TRUE(child.wait().ok());
  EXPECT_EQ(slurp(dir / "out.txt"), "HELLO\nWORLD\n");  // truncated, then written
}

TEST_P(Spawn, devNullIsEmptyAndSwallowsOutput) {
  Command c = prepared(sh("wc -c; echo gone"));  // wc would wait for a terminal's input
  c.in = Redirect::devNull();
  c.err = Redirect::devNull();
  CapturedRun run = runCapturing(c);
  EXPECT_TRUE(run.end.ok());
  EXPECT_EQ(run.output, "0\ngone\n");
  Command quiet = prepared(sh("echo lost"));
  quiet.out = Redirect::devNull();
  CapturedRun none = runCapturing(quiet, 2);
  EXPECT_EQ(none.output, "");
}

TEST_P(Spawn, passedDescriptorsArriveAtTheirNumbersEvenWhenSwapped) {
  // Two pipes at numbers A and B of this process become B and A in the
  // child: each number is the other's source.
  Pipe first, second;
  const int a = unusedFd(5);
  const int b = unusedFd(a + 1);
  ASSERT_LE(b, 9);  // sh takes one digit after >&
  ASSERT_EQ(::dup3(first.write, a, O_CLOEXEC), a);
  ASSERT_EQ(::dup3(second.write, b, O_CLOEXEC), b);
  Command c = prepared(sh("echo to-" + std::to_string(a) + " >&" + std::to_string(a) + "; echo to-" +
                          std::to_string(b) + " >&" + std::to_string(b)));
  c.passFd(a, b).passFd(b, a);
  Child child = spawn(c);
  ::close(a);
  ::close(b);
  EXPECT_TRUE(child.wait().ok());
  EXPECT_EQ(first.drain(), "to-" + std::to_string(b) + "\n");
  EXPECT_EQ(second.drain(), "to-" + std::to_string(a) + "\n");
}

TEST_P(Spawn, theChildGetsOnlyInheritableDescriptorsAndThisProcessKeepsNoCopies) {
  Pipe passed;
  const int plain = ::open("/dev/null", O_RDONLY);  // not close-on-exec: inherited
  ASSERT_GE(plain, 0);
  const int hidden = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(hidden, 0);
  std::set<int> expected;
  for (const auto& [fd, cloexec] : openFds())
    if (!cloexec) expected.insert(fd);
  expected.insert(1);  // runCapturing's pipe
  expected.insert(9);  // passed
  TempDir dir;
  Command c = prepared(sh(kListFds));
  c.passFd(passed.write, 9);
  c.err = Redirect::writeFile(dir / "err.txt");  // an opened file, closed here again
  const auto before = openFds();
  CapturedRun run = runCapturing(c);
  EXPECT_EQ(openFds(), before);
  EXPECT_TRUE(run.end.ok());
  EXPECT_EQ(parseFdList(run.output), expected);
  EXPECT_TRUE(expected.count(plain));
  EXPECT_FALSE(expected.count(hidden));
  ::close(plain);
  ::close(hidden);
}

TEST_P(Spawn, theEnvironmentIsTheParentsWithTheChanges) {
  ::setenv("PV_PROCESS_TEST_KEEP", "kept", 1);
  ::setenv("PV_PROCESS_TEST_DROP", "dropped", 1);
  Command c = prepared(sh("echo \"$PV_PROCESS_TEST_KEEP|${PV_PROCESS_TEST_DROP-unset}|$PV_NEW\""));
  c.unsetEnv("PV_PROCESS_TEST_DROP").setEnv("PV_NEW", "a=b c").setEnv("PV_PROCESS_TEST_KEEP", "changed");
  EXPECT_EQ(runCapturing(c).output, "changed|unset|a=b c\n");
  ::unsetenv("PV_PROCESS_TEST_KEEP");
  ::unsetenv("PV_PROCESS_TEST_DROP");

  Command only = prepared(Command("env"));  // found in this process's PATH
  only.clearEnvironment = true;
  only.setEnv("B", "2").setEnv("A", "1").setEnv("B", "3");
  EXPECT_EQ(runCapturing(only).output, "A=1\nB=3\n");
}

TEST_P(Spawn, argv0AndTheWorkingDirectoryAreTheCommands) {
  TempDir dir;
  Command c = prepared(Command("/bin/sh", {"-c", "echo \"$0\"; pwd -P"}));
  c.argv0 = "pv-named";
  c.workingDirectory = dir.path();
  EXPECT_EQ(runCapturing(c).output, "pv-named\n" + fs::canonical(dir.path()).string() + "\n");
}

TEST_P(Spawn, programsThatCannotRunAreNamedWithTheReasonAndLeaveNoChild) {
  TempDir dir;
  std::ofstream(dir / "not-executable") << "#!/bin/sh\n";
  const auto before = openFds();
  auto errorOf = [&](Command c) -> std::string {
    try {
      Child child = spawn(prepared(std::move(c)));
      return "started, " + child.wait().describe();
    } catch (const SpawnError& e) {
      return e.what();
    }
  };
  // Missing paths under the test's own folder: "/nonexistent" is a real
  // name (nobody's HOME) that a program run as root can create.
  const std::string missing = dir / "missing";
  EXPECT_EQ(errorOf(Command(missing + "/pv-ghost")),
            "cannot run " + missing + "/pv-ghost: No such file or directory");
  EXPECT_EQ(errorOf(Command(dir / "not-executable")),
            "cannot run " + (dir / "not-executable") + ": Permission denied");
  EXPECT_EQ(errorOf(Command("pv-no-such-program-anywhere")),
            "cannot run pv-no-such-program-anywhere: No such file or directory");
  Command missingDir = sh("true");
  missingDir.workingDirectory = missing + "/dir";
  EXPECT_EQ(errorOf(missingDir),
            "cannot run /bin/sh: working directory " + missing + "/dir: No such file or directory");
  Command missingFile = sh("true");
  missingFile.out = Redirect::writeFile(missing + "/out.txt");
  EXPECT_EQ(errorOf(missingFile), "cannot run /bin/sh: " + missing + "/out.txt: No such file or directory");
  Command badFd = sh("true");
  badFd.passFd(unusedFd(50), 5);
  EXPECT_NE(errorOf(badFd).find(": Bad file descriptor"), std::string::npos) << errorOf(badFd);
  // Nothing left to reap, nothing left open.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_EQ(openFds(), before);
}

TEST_P(Spawn, aNewProcessGroupIsLedByTheChild) {
  Command own = prepared(Command("sleep", {"30"}));
  own.newProcessGroup = true;
  Child leader = spawn(own);
  EXPECT_EQ(::getpgid(leader.pid()), leader.pid());
  Child member = spawn(prepared(Command("sleep", {"30"})));
  EXPECT_EQ(::getpgid(member.pid()), ::getpgrp());
  // Destroying the handles kills and reaps them.
}

TEST_P(Spawn, defaultSignalsAreResetAndCaughtOnesAreNotCaughtInTheChild) {
  struct sigaction ignore {}, previousPipe {}, handler {}, previousUsr1 {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previousPipe), 0);
  handler.sa_handler = [](int) {};
  ASSERT_EQ(::sigaction(SIGUSR1, &handler, &previousUsr1), 0);

  Command ignored = prepared(sh("kill -PIPE $$; exit 3"));
  EXPECT_EQ(spawn(ignored).wait(), ProcessEnd::exitedWith(3));  // ignored here: ignored there
  Command reset = ignored;
  reset.defaultSignals = {SIGPIPE};
  EXPECT_EQ(spawn(reset).wait(), ProcessEnd::killedBy(SIGPIPE));
  EXPECT_EQ(spawn(prepared(sh("kill -USR1 $$; exit 3"))).wait(), ProcessEnd::killedBy(SIGUSR1));

  ::sigaction(SIGPIPE, &previousPipe, nullptr);
  ::sigaction(SIGUSR1, &previousUsr1, nullptr);
}

TEST_P(Spawn, aDroppedHandleKillsAndReapsItsChild) {
  pid_t pid;
  {
    Child child = spawn(prepared(Command("sleep", {"30"})));
    pid = child.pid();
    Child moved = std::move(child);
    EXPECT_EQ(child.pid(), -1);
    EXPECT_EQ(moved.pid(), pid);
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // gone, not a zombie
  EXPECT_EQ(errno, ESRCH);
}

// --------------------------------------------------------------- fork + exec only

TEST(SpawnForkExec, theDataLimitIsTheChildsOnly) {
  struct rlimit before {};
  ::getrlimit(RLIMIT_DATA, &before);
  Command c = sh("ulimit -d");  // KiB
  c.dataLimit = uint64_t{256} << 20;
  EXPECT_EQ(runCapturing(c).output, "262144\n");
  struct rlimit after {};
  ::getrlimit(RLIMIT_DATA, &after);
  EXPECT_EQ(after.rlim_cur, before.rlim_cur);

  // Above the hard limit: refused, and said so.
  if (before.rlim_max != RLIM_INFINITY && ::geteuid() != 0) {
    Command tooMuch = sh("true");
    tooMuch.dataLimit = static_cast<uint64_t>(before.rlim_max) + 1;
    EXPECT_THROW(spawn(tooMuch), SpawnError);
  }
}

TEST(SpawnForkExec, aChildGetsTheParentDeathSignalWhenItsParentDies) {
  // This process adopts the orphan, so it can tell how it ended.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  Pipe pid;
  Child middle = forkChild([&]() -> int {
    Command c("sleep", {"30"});
    c.parentDeathSignal = SIGUSR2;
    Child grandchild = spawn(c);
    const pid_t p = grandchild.pid();
    (void)!::write(pid.write, &p, sizeof p);
    ::_exit(0);  // no destructor: the grandchild must be orphaned alive
  });
  EXPECT_TRUE(middle.wait().ok());
  pid.closeWrite();
  pid_t orphan = -1;
  ASSERT_EQ(::read(pid.read, &orphan, sizeof orphan), static_cast<ssize_t>(sizeof orphan));
  int status = 0;
  ASSERT_EQ(::waitpid(orphan, &status, 0), orphan);
  EXPECT_EQ(ProcessEnd::fromWaitStatus(status), ProcessEnd::killedBy(SIGUSR2));
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

// --------------------------------------------------------------- forkChild

TEST(ForkChild, theChildExitsWithWhatTheFunctionReturns) {
  int seen = 0;
  Child child = forkChild([&] {
    seen = 1;  // the child's copy
    return 42;
  });
  EXPECT_EQ(child.wait(), ProcessEnd::exitedWith(42));
  EXPECT_EQ(seen, 0);
}

TEST(ForkChild, anEscapingExceptionIsPrintedAndExitsOne) {
  Pipe err;
  Child child = forkChild([&]() -> int {
    ::dup2(err.write, 2);
    throw std::runtime_error("worker broke");
  });
  const std::string message = err.drain();
  EXPECT_EQ(child.wait(), ProcessEnd::exitedWith(1));
  EXPECT_EQ(message, std::string(program_invocation_short_name) + ": worker broke\n");
}

TEST(ForkChild, bufferedOutputIsWrittenOnce) {
  TempDir dir;
  FILE* f = std::fopen((dir / "out.txt").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("parent ", f);  // still in the buffer at the fork
  Child child = forkChild([&] {
    std::fputs("child", f);
    return 0;
  });
  EXPECT_TRUE(child.wait().ok());
  std::fclose(f);
  EXPECT_EQ(slurp(dir / "out.txt"), "parent child");
}

// --------------------------------------------------------------- waitAny, runCapturing

TEST(WaitAny, returnsTheFirstToEnd) {
  std::vector<Child> children;
  children.push_back(spawn(Command("sleep", {"30"})));
  children.push_back(spawn(sh("sleep 0.2; exit 5")));
  children.push_back(spawn(Command("sleep", {"30"})));
  EXPECT_EQ(waitAny(children), 1u);
  EXPECT_EQ(children[1].end(), ProcessEnd::exitedWith(5));
  EXPECT_TRUE(children[0].running());
  children[2].kill(SIGTERM);
  EXPECT_EQ(waitAny(children), 2u);
  EXPECT_EQ(children[2].end(), ProcessEnd::killedBy(SIGTERM));
  children[0].kill(SIGKILL);
  EXPECT_EQ(waitAny(children), 0u);
  EXPECT_EQ(waitAny(children), std::nullopt);
}

TEST(WaitAny, leavesAChildThatIsNotAmongThemAlone) {
  const pid_t stranger = ::fork();
  if (stranger == 0) ::_exit(9);
  ASSERT_GT(stranger, 0);
  std::vector<Child> children;
  children.push_back(spawn(sh("sleep 0.3; exit 4")));
  EXPECT_EQ(waitAny(children), 0u);
  EXPECT_EQ(children[0].end(), ProcessEnd::exitedWith(4));
  int status = 0;
  ASSERT_EQ(::waitpid(stranger, &status, 0), stranger);  // still there to reap
  EXPECT_EQ(ProcessEnd::fromWaitStatus(status), ProcessEnd::exitedWith(9));
}

TEST(RunCapturing, readsStdoutOrStderrAndStopsAtTheTimeout) {
  EXPECT_EQ(runCapturing(sh("echo out; echo err >&2"), 1).output, "out\n");
  Command c = sh("echo out; echo err >&2; exit 2");
  c.out = Redirect::devNull();
  CapturedRun err = runCapturing(c, 2);
  EXPECT_EQ(err.output, "err\n");
  EXPECT_EQ(err.end, ProcessEnd::exitedWith(2));
  EXPECT_FALSE(err.timedOut);

  const auto start = std::chrono::steady_clock::now();
  CapturedRun slow = runCapturing(sh("echo started; exec sleep 30"), 1, std::chrono::milliseconds(300));
  EXPECT_TRUE(slow.timedOut);
  EXPECT_EQ(slow.output, "started\n");
  EXPECT_EQ(slow.end, ProcessEnd::killedBy(SIGKILL));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace pv::runtime
