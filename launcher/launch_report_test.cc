// What pv-launch prints about a pipeline: parameters and stages, and the
// failure report with the exit status of each fault, line for line.

#include "launcher/launch_report.h"

#include <gtest/gtest.h>

#include <csignal>

namespace pv::launch {
namespace {

constexpr const char* kPipeline = R"([pipeline]
name = "demo"
description = "Features of a trace."

[params]
trace = "my trace.txt"
out = { default = "-", help = "where the features go" }
uarch = { help = "required: no default" }

[[stage]]
name = "tap"
run = "pv-trace-tap"
args = ["{trace}", "--label", "a b", ""]
description = "reads the trace"

[[stage]]
name = "reuse"
run = "pv-reuse-distance"
args = ["-o", "{out}"]
)";

TEST(LaunchReport, parametersAndStagesAsDescribed) {
  const PipelineSpec spec = parsePipeline(kPipeline, "p.toml");
  EXPECT_EQ(paramsText(spec),
            "Parameters of p.toml (override with KEY=VALUE after the file):\n"
            "  trace = 'my trace.txt'\n"
            "  out   = -\n"
            "          where the features go\n"
            "  uarch = (required)\n"
            "          required: no default\n");
  EXPECT_EQ(describeText(spec),
            "Pipeline demo (p.toml)\n"
            "Features of a trace.\n"
            "\n" +
                paramsText(spec) +
                "\nStages:\n"
                "  tap    pv-trace-tap {trace} --label 'a b' ''\n"
                "         reads the trace\n"
                "  reuse  pv-reuse-distance -o {out}\n");
  const PipelineSpec bare =
      parsePipeline("[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"pv-cat\"\n", "x.toml");
  EXPECT_EQ(paramsText(bare), "Parameters of x.toml: none\n");
}

TEST(LaunchReport, memorySizesInTheirLargestWholeUnit) {
  EXPECT_EQ(memoryText(512ull << 20), "512M");
  EXPECT_EQ(memoryText(4ull << 30), "4G");
  EXPECT_EQ(memoryText(1536ull << 20), "1536M");
  EXPECT_EQ(memoryText(1000), "1000 bytes");
}

// A three-stage pipeline in which `culprit` ended as `end`; the stage before
// it succeeded, the one after it was stopped after the failure.
struct Failure {
  PipelineSpec spec;
  std::vector<ProcessSpec> processes;
  PipelineOutcome outcome;
  Failure(const StageEnd& end, std::optional<size_t> culprit = 1) {
    spec.name = "demo";
    processes = {{"tap", "/bin/pv-trace-tap", {"pv-trace-tap"}, false, 0},
                 {"feature", "/bin/pv-feature", {"pv-feature"}, false, 512ull << 20},
                 {"reuse", "/bin/pv-reuse-distance", {"pv-reuse-distance"}, false, 0}};
    StageEnd ok, stopped;
    ok.kind = StageEnd::kExited;
    stopped.kind = StageEnd::kSignalled;
    stopped.code = SIGTERM;
    stopped.stopped = StageEnd::kAfterFailure;
    outcome.stages = {ok, end, stopped};
    outcome.culprit = culprit;
  }
  std::string report() const { return failureReport(spec, processes, outcome); }
  int status() const { return exitStatusOf(outcome.fault()); }
};

const std::string kOthers =
    "pv-launch: other stages: tap: exit status 0; reuse: killed by SIGTERM, stopped by pv-launch after the failure\n";

TEST(LaunchReport, aFailedStageWithItsLastLines) {
  StageEnd end;
  end.kind = StageEnd::kExited;
  end.code = 1;
  end.tail = {"pv-feature: trace.txt:line 3: bad op class"};
  Failure f(end);
  EXPECT_EQ(f.report(), "pv-launch: pipeline demo failed: stage 'feature' (pv-feature) exit status 1\n"
                        "pv-launch:   pv-feature: trace.txt:line 3: bad op class\n" + kOthers);
  EXPECT_EQ(f.status(), 1);
}

TEST(LaunchReport, aCrashedStage) {
  StageEnd end;
  end.kind = StageEnd::kSignalled;
  end.code = SIGSEGV;
  Failure f(end);
  EXPECT_EQ(f.report(), "pv-launch: pipeline demo failed: stage 'feature' (pv-feature) crashed: killed by SIGSEGV\n" +
                            kOthers);
  EXPECT_EQ(f.status(), 3);
}

TEST(LaunchReport, aHungStageAndWhyItIsBlamed) {
  StageEnd end;
  end.kind = StageEnd::kSignalled;
  end.code = SIGTERM;
  end.stopped = StageEnd::kStalled;
  end.stallNote = "it is stopped (SIGSTOP)";
  Failure f(end);
  f.outcome.stalledFor = std::chrono::milliseconds(2500);
  EXPECT_EQ(f.report(), "pv-launch: pipeline demo failed: stage 'feature' (pv-feature) hung: no stage made progress "
                        "for 2.5 s and it is stopped (SIGSTOP) (killed by SIGTERM, stopped by pv-launch: hung)\n" +
                            kOthers);
  EXPECT_EQ(f.status(), 4);
  end.stopped = StageEnd::kLingered;
  Failure lingered(end);
  EXPECT_EQ(lingered.report(),
            "pv-launch: pipeline demo failed: stage 'feature' (pv-feature) hung: killed by SIGTERM, stopped by "
            "pv-launch: still running after the stages after it ended\n" + kOthers);
  EXPECT_EQ(lingered.status(), 4);
}

TEST(LaunchReport, aStageOutOfMemoryWithItsLimit) {
  StageEnd end;
  end.kind = StageEnd::kExited;
  end.code = 1;
  end.outOfMemory = true;
  Failure f(end);
  EXPECT_EQ(f.report(), "pv-launch: pipeline demo failed: stage 'feature' (pv-feature) ran out of memory (limit "
                        "512M): exit status 1\n" + kOthers);
  EXPECT_EQ(f.status(), 5);
  f.processes[1].memoryLimit = 0;
  EXPECT_EQ(f.report(), "pv-launch: pipeline demo failed: stage 'feature' (pv-feature) ran out of memory: exit "
                        "status 1\n" + kOthers);
}

TEST(LaunchReport, noStageToBlame) {
  StageEnd end;
  end.kind = StageEnd::kExited;
  end.code = 1;
  Failure f(end, std::nullopt);
  EXPECT_EQ(f.report(), "pv-launch: pipeline demo failed\n"
                        "pv-launch: other stages: tap: exit status 0; feature: exit status 1; reuse: killed by "
                        "SIGTERM, stopped by pv-launch after the failure\n");
  EXPECT_EQ(f.status(), 1);
  EXPECT_EQ(exitStatusOf(PipelineOutcome::kNone), 0);
}

}  // namespace
}  // namespace pv::launch
