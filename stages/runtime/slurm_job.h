// Slurm array jobs for the commands that spread independent work over a
// cluster, one piece per task: pv-dataset's workloads, pv-dse's pv-uarch
// simulations, pv-eval's programs (docs/scale-out.md). Only Slurm's client
// commands are used (sbatch, squeue, scancel; no accounting, no library):
// the job script is a plain sbatch file the user can read, edit and submit
// by hand; the submitter waits for the job with squeue, cancels it when it
// is interrupted, and reads what the tasks left (each command its own
// parts) and, for a task that left nothing, the end of its Slurm log.
#pragma once

#include <chrono>
#include <signal.h>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pv::runtime::slurm {

// The command-line options every Slurm mode takes (addOptions).
struct Options {
  bool submit = false;  // --slurm: submit, wait, merge
  bool print = false;   // --slurm-print: write and print the script, submit nothing
  std::string partition, time, mem;  // --partition, --time, --mem
  std::vector<std::string> extra;    // --slurm-opt, as given
  std::string dir;  // --slurm-dir (addDirOption): the job's folder ("": the command's default)
  bool any() const { return submit || print; }
};

// Adds --slurm (`submitHelp`), --slurm-print (`printHelp`), --partition,
// --time, --mem and --slurm-opt to `app`.
void addOptions(CLI::App& app, Options& options, const std::string& submitHelp, const std::string& printHelp);

// Adds --slurm-dir, the folder of a command's jobs: what it `holds`, and
// `byDefault`, the folder's name in the current folder when not given.
void addDirOption(CLI::App& app, Options& options, const std::string& holds, const std::string& byDefault);

// The sbatch options of `options` ("--partition=debug", then each
// --slurm-opt as given). Throws ExitStatus 2 when --partition, --time,
// --mem, --slurm-opt or --slurm-dir is given without --slurm or
// --slurm-print, for a --slurm-opt that does not start with '-', and for a
// line break.
std::vector<std::string> sbatchOptions(const Options& options);

// A word of a task's command line: a literal (shell-quoted when it needs
// it), or this task's element of one of the script's bash arrays
// (bashArray): "${NAME[$SLURM_ARRAY_TASK_ID]}".
class CommandWord {
 public:
  CommandWord(std::string literal) : text_(std::move(literal)) {}  // NOLINT: literals are the common case
  CommandWord(const char* literal) : text_(literal) {}             // NOLINT
  static CommandWord element(std::string array) {
    CommandWord w(std::move(array));
    w.element_ = true;
    return w;
  }
  std::string bash() const;

 private:
  std::string text_;
  bool element_ = false;
};

// "NAME=(WORD ...)\n", each word shell-quoted.
std::string bashArray(const std::string& name, const std::vector<std::string>& words);
// "exec WORD ...\n".
std::string execLine(const std::vector<CommandWord>& words);

// What an array job's script says.
struct ArrayJob {
  std::string name;   // --job-name (the command's)
  std::string about;  // the comment under #!/bin/bash: lines of text, each written after "# "
  size_t tasks = 0;   // --array=0-(tasks-1)
  unsigned maxRunning = 0;  // > 0: at most this many tasks at once (--array=...%N)
  std::string workDir;      // --chdir: the submitter's folder, so relative paths hold
  std::string logDir;       // --output=LOGDIR/slurm-%A_%a.out (stdout and stderr)
  std::vector<std::string> options;  // sbatchOptions()
  std::string body;  // bash, after `set -eu`: $SLURM_ARRAY_TASK_ID says which task it is
};

// The sbatch script (bash): the comment, the #SBATCH lines, `set -eu`, the
// body.
std::string formatScript(const ArrayJob& job);

// LOGDIR/slurm-ID_TASK.out: task `task`'s log, as formatScript's --output
// names it.
std::filesystem::path taskLog(const std::filesystem::path& logDir, const std::string& jobId, size_t task);

// The last `lines` lines of a log that say why a task ended: those that
// start with one of `prefixes` ("pv-uarch:") or are slurmstepd's ("...
// CANCELLED AT ...", a time or memory limit); every non-empty line when
// none does. Empty for a log that cannot be read.
std::vector<std::string> logTail(const std::filesystem::path& log, size_t lines,
                                 const std::vector<std::string>& prefixes);

// Whether `name` is an executable on $PATH (runtime::findOnPath).
bool onPath(const std::string& name);

// Throws ExitStatus 2 naming the Debian package when sbatch, squeue or
// scancel is not in PATH.
void requireClients();

// Submits the script (sbatch --parsable SCRIPT) and returns the job id;
// throws ExitStatus 1 with sbatch's message when it refuses. `scratch` is a
// folder for the clients' stderr.
std::string submit(const std::filesystem::path& script, const std::filesystem::path& scratch);

// Whether the job still has tasks pending or running (squeue -h -j ID);
// nullopt when squeue cannot say (its message in `error`). A job the
// controller has forgotten is not active.
std::optional<bool> active(const std::string& jobId, const std::filesystem::path& scratch, std::string& error);

// A job a folder's last run submitted (`dir`/job, written by the caller
// after submit) must have ended before another run uses the folder: its
// tasks write there. Throws ExitStatus 2 while it is pending or running;
// forgets (removes `dir`/job) a job that has ended. When squeue cannot say,
// `mustKnow` makes it an error (ExitStatus 1), else a warning on stderr
// (`tool`: its prefix). `owner` names the folder in the messages.
void checkPreviousJob(const std::string& tool, const std::filesystem::path& dir, const std::string& owner,
                      bool mustKnow);

// Waits until the job has no task left in squeue, asking squeue every
// second at first, a second less often each minute, at most every 10 s.
// `tick` is called about every 50 ms (a progress line); `interrupted`
// returns a signal's number once one has come: the job is then cancelled
// (scancel), its tasks waited for, and the signal returned (0: the job
// ended). Messages on stderr start with `tool`. Throws ExitStatus 1 when
// squeue has failed for `giveUp`, saying `whenEnded` (what to do once the
// job has ended).
int wait(const std::string& tool, const std::string& jobId, const std::filesystem::path& scratch,
         const std::function<int()>& interrupted, const std::function<void()>& tick, const std::string& whenEnded,
         std::chrono::seconds giveUp = std::chrono::seconds(600));

// While it lives, SIGINT, SIGTERM and SIGHUP are recorded instead of
// acting (no SA_RESTART: a sleep is cut short), for a submitter that must
// cancel its job before it ends; the previous actions come back after.
// One at a time.
class SignalWatch {
 public:
  SignalWatch();
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;
  // The first signal that came (0: none).
  int signal() const;

 private:
  struct sigaction previous_[3];
};

}  // namespace pv::runtime::slurm
