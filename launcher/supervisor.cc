// Process supervision: starting the stages (stages/runtime/process.h),
// stderr capture, progress, stopping.

#include "launcher/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace pv::launch {

namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_interrupt = 0;
int g_signalFd = -1;

void relaySignal(int sig) {
  int saved = errno;
  if (sig != SIGCHLD && g_interrupt == 0) g_interrupt = sig;
  unsigned char byte = static_cast<unsigned char>(sig);
  if (g_signalFd >= 0) (void)!::write(g_signalFd, &byte, 1);
  errno = saved;
}

void writeAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: nothing better to do
    s.remove_prefix(static_cast<size_t>(n));
  }
}

// stderr of pv-launch, shared by forwarded lines and the progress line.
class Console {
 public:
  void line(std::string_view text) {
    clearProgress();
    std::string out(text);
    out += '\n';
    writeAll(2, out);
  }
  void progress(const std::string& text) {
    std::string out = "\r" + text;
    if (text.size() < shown_) out += std::string(shown_ - text.size(), ' ');
    writeAll(2, out);
    shown_ = std::max(text.size(), size_t{1});
  }
  void endProgress() {
    if (shown_ > 0) writeAll(2, "\n");
    shown_ = 0;
  }

 private:
  void clearProgress() {
    if (shown_ == 0) return;
    writeAll(2, "\r" + std::string(shown_, ' ') + "\r");
    shown_ = 0;
  }
  size_t shown_ = 0;
};

std::string humanCount(uint64_t n) {
  char buf[32];
  if (n < 10000)
    std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  else if (n < 1000000)
    std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
  else if (n < 1000000000ULL)
    std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
  return buf;
}

// A process's state letter and CPU time (user + system, clock ticks) from
// /proc/PID/stat; nullopt once it is gone.
struct ProcStat {
  char state = '?';
  uint64_t cpuTicks = 0;
};

std::optional<ProcStat> procStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');  // the command name may hold blanks and parentheses
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  ProcStat st;
  std::string skip;
  rest >> st.state;
  for (int field = 4; field <= 13; ++field) rest >> skip;
  uint64_t utime = 0, stime = 0;
  if (!(rest >> utime >> stime)) return std::nullopt;
  st.cpuTicks = utime + stime;
  return st;
}

// Processes of pv-launch's cgroup (and below) that the OOM killer killed so
// far (cgroup v2 memory.events), nullopt when that cannot be read.
std::optional<uint64_t> oomKills() {
  std::ifstream cg("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cg, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  if (path.empty()) return std::nullopt;
  std::ifstream events("/sys/fs/cgroup" + (path == "/" ? std::string() : path) + "/memory.events");
  std::string key;
  uint64_t value = 0;
  while (events >> key >> value)
    if (key == "oom_kill") return value;
  return std::nullopt;
}

struct Running {
  runtime::Child child;
  int errFd = -1;  // read end of its stderr pipe, -1 once closed
  Clock::time_point termSent{};
  bool termed = false, killed = false;
  uint64_t cpuAtSample = 0;  // CPU ticks halfway through the current quiet spell (stall detection)
  std::optional<StderrSplitter> splitter;
};

}  // namespace

// ---------------------------------------------------------------- signals

SignalRelay::SignalRelay() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  readFd_ = fds[0];
  writeFd_ = fds[1];
  g_signalFd = writeFd_;
  g_interrupt = 0;
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    const int sig = kSignals[i];
    ::sigaction(sig, nullptr, &original_[i]);
    struct sigaction action {};
    sigemptyset(&action.sa_mask);
    if (sig == SIGPIPE) {
      action.sa_handler = SIG_IGN;
    } else {
      // A signal ignored when pv-launch started (nohup, a background job of a
      // non-interactive shell) stays ignored, as a shell would do.
      if (sig != SIGCHLD && original_[i].sa_handler == SIG_IGN) continue;
      action.sa_handler = relaySignal;
      action.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
    }
    ::sigaction(sig, &action, nullptr);
  }
}

SignalRelay::~SignalRelay() {
  for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &original_[i], nullptr);
  g_signalFd = -1;
  ::close(readFd_);
  ::close(writeFd_);
}

std::vector<int> SignalRelay::drain() {
  std::vector<int> sigs;
  unsigned char buf[64];
  ssize_t n;
  while ((n = ::read(readFd_, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; ++i) sigs.push_back(buf[i]);
  return sigs;
}

int SignalRelay::interrupted() const { return g_interrupt; }

std::vector<int> SignalRelay::defaultInStages() const {
  std::vector<int> signals;
  for (size_t i = 0; i < std::size(kSignals); ++i)
    if (original_[i].sa_handler != SIG_IGN) signals.push_back(kSignals[i]);
  return signals;
}

// ---------------------------------------------------------------- results

std::string StageEnd::describe() const {
  std::string out;
  switch (kind) {
    case kRunning:
      return "still running";
    case kNotStarted:
      return "not started";
    case kExited:
      out = "exit status " + std::to_string(code);
      break;
    case kSignalled:
      out = "killed by " + signalName(code);
      break;
  }
  switch (stopped) {
    case kNone:
      break;
    case kAfterFailure:
      out += ", stopped by pv-launch after the failure";
      break;
    case kLingered:
      out += ", stopped by pv-launch: still running after the stages after it ended";
      break;
    case kInterrupted:
      out += ", stopped by pv-launch on interrupt";
      break;
    case kStalled:
      out += ", stopped by pv-launch: hung";
      break;
  }
  return out;
}

bool mentionsOutOfMemory(std::string_view line) {
  for (std::string_view pattern : {"out of memory", "bad_alloc", "Cannot allocate memory",
                                   "can't allocate memory", "Out of memory"})
    if (line.find(pattern) != std::string_view::npos) return true;
  return false;
}

PipelineOutcome::Fault PipelineOutcome::fault() const {
  if (ok()) return kNone;
  if (!culprit) return kFailed;
  const StageEnd& s = stages[*culprit];
  if (s.stopped == StageEnd::kStalled || s.stopped == StageEnd::kLingered) return kHung;
  if (s.outOfMemory) return kOutOfMemory;
  if (s.kind == StageEnd::kSignalled && s.code != SIGPIPE) return kCrashed;
  return kFailed;
}

bool PipelineOutcome::ok() const {
  if (interrupt != 0) return false;
  return std::all_of(stages.begin(), stages.end(), [](const StageEnd& s) { return s.ok(); });
}

std::optional<size_t> findCulprit(const std::vector<StageEnd>& stages) {
  for (size_t i = 0; i < stages.size(); ++i)
    if (stages[i].stopped == StageEnd::kStalled) return i;
  std::optional<size_t> best, bestPrimary, lingered;
  auto earlier = [&](std::optional<size_t> current, size_t i) {
    return !current || stages[i].endOrder < stages[*current].endOrder;
  };
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageEnd& s = stages[i];
    if (s.stopped == StageEnd::kLingered && !lingered) lingered = i;
    if (s.ok() || s.kind == StageEnd::kRunning || s.kind == StageEnd::kNotStarted ||
        s.stopped != StageEnd::kNone)
      continue;
    if (earlier(best, i)) best = i;
    bool secondary = s.reportedUpstream || (s.kind == StageEnd::kSignalled && s.code == SIGPIPE);
    if (!secondary && earlier(bestPrimary, i)) bestPrimary = i;
  }
  if (bestPrimary) return bestPrimary;
  if (best) return best;
  return lingered;
}

// ---------------------------------------------------------------- stderr

StderrSplitter::StderrSplitter(bool parseProgress, OnLine onLine, OnProgress onProgress)
    : parseProgress_(parseProgress),
      onLine_(std::move(onLine)),
      onProgress_(std::move(onProgress)) {}

void StderrSplitter::feed(std::string_view bytes) {
  pending_.append(bytes);
  size_t start = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i] != '\n' && pending_[i] != '\r') continue;
    segment(std::string_view(pending_).substr(start, i - start));
    start = i + 1;
  }
  pending_.erase(0, start);
  // Between updates a stage leaves its progress line unterminated ("...s   ").
  if (parseProgress_ && pending_.ends_with("   ")) {
    if (auto p = parseProgressLine(pending_); p && p->rest.empty()) {
      onProgress_(p->records);
      pending_.clear();
    }
  }
}

void StderrSplitter::finish() {
  if (!pending_.empty()) segment(pending_);
  pending_.clear();
}

void StderrSplitter::segment(std::string_view s) {
  if (parseProgress_) {
    if (auto p = parseProgressLine(s)) {
      onProgress_(p->records);
      if (!p->rest.empty()) onLine_(p->rest);
      return;
    }
  }
  if (!s.empty()) onLine_(s);
}

std::vector<std::string> commandLine(const ProcessSpec& p) {
  if (!p.remote) return p.argv;
  std::vector<std::string> line = p.remote->command;
  line.push_back(p.program);
  line.insert(line.end(), p.argv.begin() + 1, p.argv.end());
  return line;
}

// ---------------------------------------------------------------- supervise

namespace {

class Supervisor {
 public:
  Supervisor(const std::vector<ProcessSpec>& processes, const SuperviseOptions& options,
             SignalRelay& signals)
      : processes_(processes),
        options_(options),
        signals_(signals),
        n_(processes.size()),
        running_(n_),
        outcome_() {
    outcome_.stages.resize(n_);
    start_ = lastProgress_ = lastActivity_ = spellSampleAt_ = Clock::now();
  }

  PipelineOutcome run() {
    const std::optional<uint64_t> oomBefore = oomKills();
    startAll();
    loop();
    finishStderr();
    // A stage that said it could not allocate, or that died of a SIGKILL
    // pv-launch did not send while the OOM killer was at work here.
    const std::optional<uint64_t> oomAfter = oomKills();
    const bool oomKilled = oomBefore && oomAfter && *oomAfter > *oomBefore;
    for (auto& s : outcome_.stages) {
      if (s.ok() || s.stopped != StageEnd::kNone) continue;
      if (s.kind == StageEnd::kSignalled && s.code == SIGKILL && oomKilled) s.outOfMemory = true;
      if (s.kind == StageEnd::kExited && !s.reportedUpstream)
        for (const auto& line : s.tail)
          if (mentionsOutOfMemory(line)) s.outOfMemory = true;
    }
    if (options_.progress) {
      showProgress();
      console_.endProgress();
    }
    outcome_.interrupt = signals_.interrupted();
    if (!outcome_.ok()) outcome_.culprit = findCulprit(outcome_.stages);
    if (stalled_) outcome_.stalledFor = options_.stallTimeout;
    return std::move(outcome_);
  }

 private:
  void startAll() {
    int devNull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    int prevRead = -1;  // read end of the pipe from the previous stage
    for (size_t i = 0; i < n_; ++i) {
      if (signals_.interrupted()) {
        // Interrupted while starting: start no more.
        for (size_t k = i; k < n_; ++k) outcome_.stages[k].kind = StageEnd::kNotStarted;
        break;
      }
      int linkOut[2] = {-1, -1};
      if (options_.pipes && i + 1 < n_ && ::pipe2(linkOut, O_CLOEXEC) != 0) {
        failToStart(i, std::string("pv-launch: cannot start: pipe: ") + std::strerror(errno));
        break;
      }
      int err[2];
      if (::pipe2(err, O_CLOEXEC) != 0) {
        failToStart(i, std::string("pv-launch: cannot start: pipe: ") + std::strerror(errno));
        break;
      }
      ::fcntl(err[0], F_SETFL, O_NONBLOCK);
      const int in = i == 0 ? 0 : options_.pipes ? prevRead : devNull;
      const int out = i + 1 == n_ ? 1 : options_.pipes ? linkOut[1] : devNull;
      if (options_.verbose) {
        std::string line = "pv-launch: starting " + processes_[i].name + ":";
        for (const auto& a : commandLine(processes_[i])) line += " " + shellQuote(a);
        console_.line(line);
      }
      std::string startError;
      try {
        running_[i].child = start(processes_[i], in, out, err[1]);
      } catch (const runtime::SpawnError& e) {
        startError = e.what();  // "cannot run PROGRAM: REASON"
      }
      ::close(err[1]);
      if (prevRead >= 0) ::close(prevRead);
      if (linkOut[1] >= 0) ::close(linkOut[1]);
      prevRead = linkOut[0];
      if (!running_[i].child.running()) {
        ::close(err[0]);
        if (prevRead >= 0) ::close(prevRead);
        prevRead = -1;
        failToStart(i, "pv-launch: " + startError);
        break;
      }
      running_[i].errFd = err[0];
      running_[i].splitter.emplace(
          options_.progress || options_.stallTimeout.count() > 0,
          [this, i](std::string_view line) { stderrLine(i, line); },
          [this, i](uint64_t records) {
            if (records > outcome_.stages[i].records) activity();
            outcome_.stages[i].records = records;
          });
    }
    if (prevRead >= 0) ::close(prevRead);
    if (devNull >= 0) ::close(devNull);
  }

  // The stages after `i` are not started; `i` failed to start, which
  // `line` says (shown as a line of its stderr).
  void failToStart(size_t i, const std::string& line) {
    StageEnd& s = outcome_.stages[i];
    s.kind = StageEnd::kExited;
    s.code = 127;
    s.endOrder = endCount_++;
    stderrLine(i, line);
    for (size_t k = i + 1; k < n_; ++k) outcome_.stages[k].kind = StageEnd::kNotStarted;
    noteFailure();
  }

  // Every stage gets PR_SET_PDEATHSIG(SIGTERM) (none outlives pv-launch,
  // even one killed by SIGKILL) and, with a memory limit, RLIMIT_DATA on
  // heap and private mappings: an allocation beyond it fails, and perfvec
  // stages report "out of memory" and exit 1.
  // A stage on another host: its launcher (srun) gets the same treatment,
  // with the launcher's stop signal as the parent-death signal.
  runtime::Child start(const ProcessSpec& p, int in, int out, int err) {
    const std::vector<std::string> line = commandLine(p);
    runtime::Command c(p.remote ? line.at(0) : p.program);
    if (!p.remote) c.argv0 = p.argv.at(0);  // the stage's run as written
    c.args.assign(line.begin() + 1, line.end());
    c.in = runtime::Redirect::fd(in);
    c.out = runtime::Redirect::fd(out);
    c.err = runtime::Redirect::fd(err);
    c.parentDeathSignal = p.remote ? p.remote->stopSignal : SIGTERM;
    if (p.memoryLimit > 0) c.dataLimit = p.memoryLimit;
    c.defaultSignals = signals_.defaultInStages();
    return runtime::spawn(c);
  }

  void stderrLine(size_t i, std::string_view line) {
    StageEnd& s = outcome_.stages[i];
    if (line.find(": upstream stage ") != std::string_view::npos) s.reportedUpstream = true;
    s.tail.emplace_back(line);
    while (s.tail.size() > options_.tailLines) s.tail.pop_front();
    console_.line("[" + processes_[i].name + "] " + std::string(line));
  }

  size_t alive() const {
    size_t count = 0;
    for (size_t i = 0; i < n_; ++i) count += outcome_.stages[i].kind == StageEnd::kRunning;
    return count;
  }

  void loop() {
    while (alive() > 0) {
      std::vector<pollfd> fds;
      fds.push_back({signals_.fd(), POLLIN, 0});
      std::vector<size_t> owners;
      for (size_t i = 0; i < n_; ++i) {
        if (running_[i].errFd < 0) continue;
        fds.push_back({running_[i].errFd, POLLIN, 0});
        owners.push_back(i);
      }
      int rc = ::poll(fds.data(), fds.size(), timeoutMs());
      if (rc < 0 && errno != EINTR)
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
      if (rc > 0) {
        for (size_t k = 1; k < fds.size(); ++k)
          if (fds[k].revents != 0) readStderr(owners[k - 1]);
      }
      handleSignals();
      reap();
      enforceDeadlines();
      if (options_.progress && Clock::now() - lastProgress_ >= std::chrono::milliseconds(250))
        showProgress();
    }
  }

  int timeoutMs() const { return options_.progress ? 100 : 200; }

  void readStderr(size_t i) {
    char buf[8192];
    while (running_[i].errFd >= 0) {
      ssize_t n = ::read(running_[i].errFd, buf, sizeof buf);
      if (n > 0) {
        running_[i].splitter->feed(std::string_view(buf, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      // End of file (or an error): the stage and its children closed stderr.
      running_[i].splitter->finish();
      ::close(running_[i].errFd);
      running_[i].errFd = -1;
    }
  }

  void finishStderr() {
    for (size_t i = 0; i < n_; ++i) {
      if (running_[i].errFd < 0) continue;
      readStderr(i);  // what the stage wrote before it ended
      if (running_[i].errFd >= 0) {
        // Something the stage started still holds the pipe: stop listening.
        running_[i].splitter->finish();
        ::close(running_[i].errFd);
        running_[i].errFd = -1;
      }
    }
  }

  void handleSignals() {
    for (int sig : signals_.drain()) {
      if (sig == SIGCHLD) continue;
      ++interrupts_;
      if (interrupts_ == 1) {
        console_.line("pv-launch: " + signalName(sig) + ": stopping the pipeline");
        stopAll(StageEnd::kInterrupted, SIGTERM);
      } else {
        stopAll(StageEnd::kInterrupted, SIGKILL);
      }
    }
  }

  void reap() {
    for (size_t i = 0; i < n_; ++i) {
      StageEnd& s = outcome_.stages[i];
      if (s.kind != StageEnd::kRunning || !running_[i].child.running()) continue;
      std::optional<runtime::ProcessEnd> end;
      try {
        end = running_[i].child.tryWait();
        if (!end) continue;
      } catch (const std::runtime_error&) {
        end = runtime::ProcessEnd::exitedWith(127);  // not ours any more (should not happen)
      }
      s.kind = end->signalled() ? StageEnd::kSignalled : StageEnd::kExited;
      s.code = end->signalled() ? end->signal() : end->exitCode();
      // srun's 128+N: its stage was killed by signal N.
      const auto& remote = processes_[i].remote;
      if (remote && remote->statusCarriesSignal && s.kind == StageEnd::kExited && s.code > 128 &&
          s.code < 128 + NSIG) {
        s.kind = StageEnd::kSignalled;
        s.code -= 128;
      }
      s.endOrder = endCount_++;
      endTime_[i] = Clock::now();
      activity();
      if (running_[i].errFd >= 0) readStderr(i);
      if (!s.ok() && s.stopped == StageEnd::kNone) noteFailure();
    }
  }

  void noteFailure() {
    if (!failedAt_) failedAt_ = Clock::now();
  }

  // A stage reported more records, or ended: the pipeline is not hung.
  void activity() {
    lastActivity_ = Clock::now();
    spellSampled_ = false;
  }

  // Halfway through a quiet spell, each stage's CPU time: the stall verdict
  // counts only what a stage used after it. Counting from the last progress
  // instead would count start-up (LibTorch, or ASan's, 0.1-0.5 s) as a busy
  // loop in a pipeline that never made progress.
  void sampleCpu(Clock::time_point now) {
    spellSampled_ = true;
    spellSampleAt_ = now;
    for (size_t i = 0; i < n_; ++i) {
      if (outcome_.stages[i].kind != StageEnd::kRunning || !running_[i].child.running()) continue;
      if (auto st = procStat(running_[i].child.pid())) running_[i].cpuAtSample = st->cpuTicks;
    }
  }

  // No progress for the stall timeout: blame one stage, stop them all.
  void onStall(Clock::time_point now) {
    stalled_ = true;
    const double window = std::chrono::duration<double>(now - spellSampleAt_).count();
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::optional<size_t> stopped, busy, waiting, first;
    double busiest = 0;
    for (size_t i = 0; i < n_; ++i) {
      if (outcome_.stages[i].kind != StageEnd::kRunning || !running_[i].child.running()) continue;
      if (!first) first = i;
      auto st = procStat(running_[i].child.pid());
      if (!st) continue;
      if ((st->state == 'T' || st->state == 't') && !stopped) stopped = i;
      const double cpu =
          spellSampled_ ? (st->cpuTicks - std::min(st->cpuTicks, running_[i].cpuAtSample)) / tick : 0.0;
      // A busy loop is runnable now (state R) and used CPU in the second half
      // of the spell; a waiting stage sleeps (S) and uses next to none. A
      // loaded machine may give a spinning one only a small share of a core.
      if (st->state == 'R' && cpu > busiest && cpu > std::max(0.1 * window, 0.05)) {
        busiest = cpu;
        busy = i;
      }
      if (i > 0 && !waiting && outcome_.stages[i - 1].kind != StageEnd::kRunning) waiting = i;
    }
    char buf[160];
    size_t blame;
    std::string note;
    if (stopped) {
      blame = *stopped;
      note = "its process is stopped (SIGSTOP or a debugger)";
    } else if (busy) {
      blame = *busy;
      std::snprintf(buf, sizeof buf, "it is running and used %.1f s of CPU in the last %.1f s without reporting progress",
                    busiest, window);
      note = buf;
    } else if (waiting) {
      blame = *waiting;
      note = "it waits for input, but stage '" + processes_[*waiting - 1].name + "' before it has ended (" +
             outcome_.stages[*waiting - 1].describe() + ") and its end of stream never arrived";
    } else if (first) {
      blame = *first;
      note = "it is the first stage still running, and none reported progress";
    } else {
      return;
    }
    StageEnd& s = outcome_.stages[blame];
    s.stopped = StageEnd::kStalled;
    s.stallNote = note;
    noteFailure();
    stop(blame, StageEnd::kStalled, SIGTERM);
    stopAll(StageEnd::kAfterFailure, SIGTERM);
  }

  void enforceDeadlines() {
    const auto now = Clock::now();
    if (options_.stallTimeout.count() > 0 && !stalled_ && !failedAt_ && interrupts_ == 0) {
      if (!spellSampled_ && now - lastActivity_ >= options_.stallTimeout / 2) sampleCpu(now);
      if (now - lastActivity_ >= options_.stallTimeout) onStall(now);
    }
    // After a failure, every stage has the grace period to end by itself.
    if (failedAt_ && now - *failedAt_ >= options_.grace) stopAll(StageEnd::kAfterFailure, SIGTERM);
    // A stage upstream of one that ended must end soon too.
    for (size_t i = 0; i < n_; ++i) {
      if (outcome_.stages[i].kind != StageEnd::kRunning || running_[i].termed) continue;
      for (size_t j = i + 1; j < n_; ++j) {
        auto it = endTime_.find(j);
        if (it != endTime_.end() && now - it->second >= options_.lingerTimeout) {
          stop(i, StageEnd::kLingered, SIGTERM);
          noteFailure();
          break;
        }
      }
    }
    // SIGTERM did not do it: SIGKILL.
    for (size_t i = 0; i < n_; ++i) {
      if (outcome_.stages[i].kind == StageEnd::kRunning && running_[i].termed &&
          !running_[i].killed && now - running_[i].termSent >= options_.grace)
        stop(i, outcome_.stages[i].stopped, SIGKILL);
    }
  }

  void stopAll(StageEnd::Stop why, int sig) {
    for (size_t i = 0; i < n_; ++i) stop(i, why, sig);
  }

  void stop(size_t i, StageEnd::Stop why, int sig) {
    StageEnd& s = outcome_.stages[i];
    Running& r = running_[i];
    if (s.kind != StageEnd::kRunning || !r.child.running()) return;
    if (sig == SIGTERM && r.termed) return;
    if (sig == SIGKILL && r.killed) return;
    if (s.stopped == StageEnd::kNone || why == StageEnd::kInterrupted) s.stopped = why;
    const auto& remote = processes_[i].remote;
    r.child.kill(sig == SIGTERM && remote ? remote->stopSignal : sig);
    if (sig == SIGTERM) r.child.kill(SIGCONT);  // a stopped process acts on SIGTERM only once continued
    if (sig == SIGTERM) {
      r.termed = true;
      r.termSent = Clock::now();
    } else {
      r.termed = r.killed = true;
    }
  }

  void showProgress() {
    lastProgress_ = Clock::now();
    double seconds = std::chrono::duration<double>(lastProgress_ - start_).count();
    std::string line = options_.title + ":";
    std::optional<uint64_t> last;
    for (size_t i = 0; i < n_; ++i) {
      if (!processes_[i].reportsProgress) continue;
      line +=
          (last ? " > " : " ") + processes_[i].name + " " + humanCount(outcome_.stages[i].records);
      last = outcome_.stages[i].records;
    }
    char tail[96];
    if (last)
      std::snprintf(tail, sizeof tail, " records, %.2f M/s, %.1f s",
                    seconds > 0 ? *last / seconds / 1e6 : 0.0, seconds);
    else
      std::snprintf(tail, sizeof tail, " %.1f s", seconds);
    console_.progress(line + tail);
  }

  const std::vector<ProcessSpec>& processes_;
  const SuperviseOptions& options_;
  SignalRelay& signals_;
  const size_t n_;
  std::vector<Running> running_;
  PipelineOutcome outcome_;
  Console console_;
  int endCount_ = 0;
  int interrupts_ = 0;
  std::optional<Clock::time_point> failedAt_;
  std::map<size_t, Clock::time_point> endTime_;
  Clock::time_point start_, lastProgress_;
  Clock::time_point lastActivity_, spellSampleAt_;  // stall detection
  bool spellSampled_ = false;
  bool stalled_ = false;
};

}  // namespace

PipelineOutcome supervise(const std::vector<ProcessSpec>& processes,
                          const SuperviseOptions& options, SignalRelay& signals) {
  return Supervisor(processes, options, signals).run();
}

}  // namespace pv::launch
