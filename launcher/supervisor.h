// Runs the processes of a pipeline and watches them until every one has
// ended: forwards their stderr line by line (prefixed "[stage] "), keeps
// one progress line for the whole pipeline, and stops everything on the
// first failure or on SIGINT/SIGTERM/SIGHUP.
//
// Lifetime rules, with G the grace period (--grace):
// - a stage that fails (exit status != 0 or killed by a signal) starts the
//   stop: the others get G to end by themselves (a perfvec stage that reads
//   the failed stage's StreamError forwards it and exits 1), then SIGTERM,
//   then SIGKILL G later;
// - a stage still running kLingerTimeout after a stage downstream of it
//   ended (ZeroMQ producers otherwise block forever on a consumer that is
//   gone) is stopped the same way, and counts as failed;
// - SIGINT/SIGTERM/SIGHUP to pv-launch send SIGTERM to every stage at
//   once, SIGKILL after G (at once on a second signal);
// - every stage gets PR_SET_PDEATHSIG(SIGTERM), so a pv-launch killed by
//   SIGKILL still leaves no stage behind.
// A stage on another host (ProcessSpec::remote) is its launcher process
// here (srun): its stderr, its exit status, and the signals above, SIGTERM
// replaced by the launcher's stop signal (SIGINT for srun).
//
// Progress: with SuperviseOptions::progress, the stages run with --progress
// and print "pv-x: N records, R M/s, S s" lines on their stderr, which
// pv-launch captures anyway; those lines are taken out of the forwarded
// stderr and update the stage's count. Nothing else is parsed.
#pragma once

#include "stages/runtime/progress_line.h"

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/wiring.h"
#include "stages/runtime/process.h"

namespace pv::launch {

// Relays SIGINT, SIGTERM, SIGHUP (unless ignored when pv-launch started)
// and SIGCHLD through a self-pipe, and ignores SIGPIPE. Install one early in
// main, before any temporary folder exists; the destructor restores the
// previous dispositions. Stages start with the original ones (see
// defaultInStages).
class SignalRelay {
 public:
  SignalRelay();
  ~SignalRelay();
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;

  // Readable when a signal arrived.
  int fd() const { return readFd_; }
  // The signals received since the last call (SIGCHLD included).
  std::vector<int> drain();
  // The first of SIGINT/SIGTERM/SIGHUP received, 0 when none.
  int interrupted() const;
  // The signals a stage starts with at their default action: those that
  // were not ignored when pv-launch started (SIGPIPE, which the relay
  // ignores; the caught ones are at their default after exec anyway). One
  // ignored then stays ignored in the stages, as a shell leaves it.
  std::vector<int> defaultInStages() const;

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE};
  int readFd_ = -1, writeFd_ = -1;
  struct sigaction original_[sizeof kSignals / sizeof kSignals[0]]{};
};

struct SuperviseOptions {
  bool pipes = false;     // join consecutive stages' stdout -> stdin with pipes
  bool progress = false;  // stages run with --progress; show one line
  // No progress for this long is a hang (0: never). Stages must run with
  // --progress (their lines are parsed even when no line is shown).
  std::chrono::milliseconds stallTimeout{0};
  std::string title;      // the progress line's prefix (the pipeline's name)
  std::chrono::milliseconds grace{2000};
  std::chrono::milliseconds lingerTimeout{10000};
  size_t tailLines = 5;  // stderr lines kept per stage for the report
  bool verbose = false;  // print each command before starting it
};

struct StageEnd {
  enum Kind { kRunning, kExited, kSignalled, kNotStarted };
  enum Stop { kNone, kAfterFailure, kLingered, kInterrupted, kStalled };
  Kind kind = kRunning;
  int code = 0;                   // exit status or signal number
  Stop stopped = kNone;           // why pv-launch signalled it (before it ended)
  bool reportedUpstream = false;  // its stderr said "upstream stage ... failed"
  int endOrder = -1;              // 0 for the first stage to end, 1 for the next...
  std::deque<std::string> tail;   // its last stderr lines (progress excluded)
  uint64_t records = 0;           // from its last progress line
  std::string stallNote;          // kStalled: why it is blamed ("stopped (SIGSTOP)", ...)
  bool outOfMemory = false;       // failed for lack of memory (its messages, or the OOM killer)

  bool ok() const { return kind == kExited && code == 0; }
  // "exit status 1", "killed by signal 9 (SIGKILL)", "stopped by pv-launch (SIGTERM)".
  std::string describe() const;
};

struct PipelineOutcome {
  // What went wrong, after the culprit (pv-launch's exit status in brackets).
  enum Fault {
    kNone,         // success (0)
    kFailed,       // the culprit exited with a non-zero status (1)
    kCrashed,      // it was killed by a signal pv-launch did not send (3)
    kHung,         // it made no progress for the stall timeout, or outlived its consumer (4)
    kOutOfMemory,  // it ran out of memory: a memory limit or the OOM killer (5)
  };
  std::vector<StageEnd> stages;
  int interrupt = 0;              // the signal that stopped pv-launch, 0 if none
  std::optional<size_t> culprit;  // the stage whose failure stopped the pipeline
  std::chrono::milliseconds stalledFor{0};  // kHung by the stall timeout: how long
  bool ok() const;
  Fault fault() const;
};

// True for a message that says an allocation failed ("out of memory",
// "std::bad_alloc", "Cannot allocate memory", ...).
bool mentionsOutOfMemory(std::string_view line);

// The words a process starts with: its argv, or for a stage on another
// host its launcher's command, then the stage's program and arguments.
std::vector<std::string> commandLine(const ProcessSpec& p);

// Starts `processes` and returns when all have ended.
PipelineOutcome supervise(const std::vector<ProcessSpec>& processes,
                          const SuperviseOptions& options, SignalRelay& signals);

// The stage to blame: a stage blamed for a stall; else, among stages that
// failed on their own (not stopped by pv-launch), the first to end that did
// not just forward an upstream error or die of SIGPIPE; else the first of
// them to end; else a stage stopped for lingering.
std::optional<size_t> findCulprit(const std::vector<StageEnd>& stages);

// A stage's progress line (runtime/progress_line.h): read by StderrSplitter.
using runtime::ProgressLine;
using runtime::parseProgressLine;

// Splits a stage's stderr bytes into lines (at '\n' or '\r') and progress
// updates. A pending progress line (printed without a newline, as the
// stages do between updates) counts as soon as it is complete.
class StderrSplitter {
 public:
  using OnLine = std::function<void(std::string_view line)>;
  using OnProgress = std::function<void(uint64_t records)>;
  StderrSplitter(bool parseProgress, OnLine onLine, OnProgress onProgress);
  void feed(std::string_view bytes);
  // End of input: the last line without a newline.
  void finish();

 private:
  void segment(std::string_view s);
  bool parseProgress_;
  OnLine onLine_;
  OnProgress onProgress_;
  std::string pending_;
};

// "SIGKILL"; "signal 77" for a number with no name.
using runtime::signalName;

}  // namespace pv::launch
