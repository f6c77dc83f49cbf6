// Slurm array jobs without a cluster: the script byte for byte, the sbatch
// options and their errors, the tail of a task's log, the clients missing
// from PATH, and the signals a submitter records. What needs a cluster
// (submit, wait, cancel) runs on a real one-node cluster in
// tests/cli/slurm_dataset.sh and tests/cli/slurm_sweeps.sh.

#include "stages/runtime/slurm_job.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>

#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"

namespace pv::runtime::slurm {
namespace {

using pv::testing::ScratchDir;
using pv::testing::spit;

template <typename Body>
std::pair<int, std::string> failureOf(Body body) {
  try {
    body();
  } catch (const ExitStatus& e) {
    return {e.code(), e.what()};
  }
  return {0, "no error"};
}

// PATH set to `value` while it lives.
class PathSetTo {
 public:
  explicit PathSetTo(const std::string& value) {
    if (const char* p = std::getenv("PATH")) saved_ = p;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~PathSetTo() { ::setenv("PATH", saved_.c_str(), 1); }

 private:
  std::string saved_;
};

TEST(SlurmJob, TheScriptIsAPlainSbatchFile) {
  ArrayJob job;
  job.name = "pv-test";
  job.about = "two tasks\nof a test";
  job.tasks = 2;
  job.maxRunning = 4;
  job.workDir = "/home/u";
  job.logDir = "/d/logs";
  Options o;
  o.submit = true;
  o.partition = "short";
  o.time = "1:00:00";
  o.mem = "2G";
  o.extra = {"--account=x y"};
  job.options = sbatchOptions(o);
  job.body = bashArray("inputs", {"a b.txt", "c"}) +
             execLine({"/p/tool", "--flag", "it's", CommandWord::element("inputs")});
  EXPECT_EQ(formatScript(job),
            "#!/bin/bash\n"
            "# two tasks\n"
            "# of a test\n"
            "#SBATCH --job-name=pv-test\n"
            "#SBATCH --array=0-1%4\n"
            "#SBATCH --chdir=/home/u\n"
            "#SBATCH --output=/d/logs/slurm-%A_%a.out\n"
            "#SBATCH --partition=short\n"
            "#SBATCH --time=1:00:00\n"
            "#SBATCH --mem=2G\n"
            "#SBATCH --account=x y\n"
            "set -eu\n"
            "inputs=('a b.txt' c)\n"
            "exec /p/tool --flag 'it'\\''s' \"${inputs[$SLURM_ARRAY_TASK_ID]}\"\n");
  job.tasks = 1;
  job.maxRunning = 0;
  EXPECT_NE(formatScript(job).find("\n#SBATCH --array=0-0\n"), std::string::npos);
  EXPECT_EQ(taskLog("/d/logs", "17", 3), "/d/logs/slurm-17_3.out");
  // Each task runs its own element: bash says so.
  ScratchDir dir;
  spit(dir / "t.sh", bashArray("w", {"x y", "z"}) + execLine({"printf", "<%s>", CommandWord::element("w")}));
  for (const auto& [task, out] : {std::pair<std::string, std::string>{"0", "<x y>"}, {"1", "<z>"}}) {
    Command bash("bash", {dir / "t.sh"});
    bash.environment = {{"SLURM_ARRAY_TASK_ID", task}};
    EXPECT_EQ(runCapturing(bash).output, out);
  }
}

TEST(SlurmJob, OptionsAreForSlurmAndMustBeSbatchOptions) {
  Options o;
  EXPECT_EQ(sbatchOptions(o), std::vector<std::string>{});
  o.mem = "1G";
  EXPECT_EQ(failureOf([&] { sbatchOptions(o); }),
            std::make_pair(2, std::string("--partition, --time, --mem and --slurm-opt are for --slurm or "
                                          "--slurm-print")));
  o.mem = "";
  o.dir = "d";
  EXPECT_EQ(failureOf([&] { sbatchOptions(o); }),
            std::make_pair(2, std::string("--slurm-dir is for --slurm or --slurm-print")));
  o.print = true;
  o.mem = "1G";
  EXPECT_EQ(sbatchOptions(o), std::vector<std::string>{"--mem=1G"});
  o.extra = {"account=x"};
  EXPECT_EQ(failureOf([&] { sbatchOptions(o); }),
            std::make_pair(2, std::string("--slurm-opt 'account=x': not an sbatch option (give it as "
                                          "--slurm-opt=--account=NAME)")));
  o.extra = {};
  o.partition = "a\nb";
  EXPECT_EQ(failureOf([&] { sbatchOptions(o); }).first, 2);
}

TEST(SlurmJob, ALogTailSaysWhyTheTaskEnded) {
  ScratchDir dir;
  spit(dir / "a.out", "noise\npv-uarch: first\n\nmore noise\npv-uarch: second\npv-eval: third\n");
  EXPECT_EQ(logTail(dir / "a.out", 4, {"pv-uarch:"}),
            (std::vector<std::string>{"pv-uarch: first", "pv-uarch: second"}));
  EXPECT_EQ(logTail(dir / "a.out", 1, {"pv-uarch:", "pv-eval:"}), std::vector<std::string>{"pv-eval: third"});
  // Nothing of the kind: the last lines, whatever they say.
  EXPECT_EQ(logTail(dir / "a.out", 2, {"pv-dse:"}), (std::vector<std::string>{"pv-uarch: second", "pv-eval: third"}));
  spit(dir / "b.out", "pv-eval: started\nslurmstepd-n: error: *** JOB 8 ON n CANCELLED AT 2026 ***\n");
  EXPECT_EQ(logTail(dir / "b.out", 4, {"pv-eval:"}),
            (std::vector<std::string>{"pv-eval: started",
                                      "slurmstepd-n: error: *** JOB 8 ON n CANCELLED AT 2026 ***"}));
  EXPECT_EQ(logTail(dir / "missing.out", 4, {}), std::vector<std::string>{});
}

TEST(SlurmJob, ClientsMissingFromPathAreNamed) {
  ScratchDir dir;
  spit(dir / "script", "#!/bin/bash\n");
  spit(dir / "job", "4711\n");
  PathSetTo empty(dir.path());
  EXPECT_FALSE(onPath("sbatch"));
  EXPECT_EQ(failureOf([] { requireClients(); }),
            std::make_pair(2, std::string("sbatch not found: --slurm needs Slurm's client commands; install the "
                                          "Debian package slurm-client (apt-get install slurm-client)")));
  auto [code, message] = failureOf([&] { submit(dir / "script", dir.path()); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(message.rfind("sbatch " + (dir / "script") + " failed (exit status 127): ", 0), 0u) << message;
  std::string error;
  EXPECT_EQ(active("4711", dir.path(), error), std::nullopt);
  EXPECT_NE(error.find("squeue"), std::string::npos) << error;
  // A folder's job that squeue cannot ask about: a warning, or an error
  // when the run must know; the job file stays.
  checkPreviousJob("pv-test", dir.path(), "the folder", false);
  EXPECT_EQ(failureOf([&] { checkPreviousJob("pv-test", dir.path(), "the folder", true); }),
            std::make_pair(1, std::string("cannot tell whether Slurm job 4711 of the folder has ended: squeue not "
                                          "found (install the Debian package slurm-client)")));
  EXPECT_TRUE(std::filesystem::exists(dir / "job"));
  std::filesystem::remove(dir / "job");
  checkPreviousJob("pv-test", dir.path(), "the folder", true);  // no job: nothing to check
  // squeue failing past the give-up time (here at once): an error saying
  // what to do once the job has ended; no signal came.
  auto [waitCode, waitMessage] = failureOf([&] {
    wait("pv-test", "4711", dir.path(), [] { return 0; }, nullptr, "rerun to merge", std::chrono::seconds(-1));
  });
  EXPECT_EQ(waitCode, 1);
  EXPECT_NE(waitMessage.find("; Slurm job 4711 may still be running: once it has ended, rerun to merge"),
            std::string::npos)
      << waitMessage;
}

TEST(SlurmJob, ASignalWatchRecordsSignalsAndGivesTheActionsBack) {
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &before), 0);
  {
    SignalWatch watch;
    EXPECT_EQ(watch.signal(), 0);
    ::raise(SIGTERM);  // recorded: the test goes on
    ::raise(SIGINT);   // the first one counts
    EXPECT_EQ(watch.signal(), SIGTERM);
  }
  struct sigaction after {};
  ASSERT_EQ(::sigaction(SIGTERM, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  SignalWatch again;
  EXPECT_EQ(again.signal(), 0);
}

}  // namespace
}  // namespace pv::runtime::slurm
