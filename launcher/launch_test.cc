// pv-launch's flow as main runs it: bad files, parameters and executables
// become the exit statuses and messages the driver prints; --describe,
// --dry-run and FILE --help print the pipeline; a failing stage's report.

#include "launcher/launch.h"

#include <gtest/gtest.h>

#include "launcher/launch_report.h"
#include "launcher/test_support.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"

namespace pv::launch {
namespace {

using testing::ScratchDir;
using testing::spit;

// The exit status and message launchPipeline ends with, as Tool::guard
// would print them; stdout in `out`.
struct Ending {
  int status = 0;
  std::string message, out, err;
};

Ending launch(const LaunchOptions& o) {
  Ending e;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  try {
    launchPipeline(o);
  } catch (const runtime::UsageError& u) {
    e.status = 2;
    e.message = "usage: " + std::string(u.what());
  } catch (const runtime::ExitStatus& x) {
    e.status = x.code();
    e.message = x.what();
  }
  e.out = ::testing::internal::GetCapturedStdout();
  e.err = ::testing::internal::GetCapturedStderr();
  return e;
}

LaunchOptions options(const std::string& file, std::vector<std::string> assignments = {}) {
  LaunchOptions o;
  o.file = file;
  o.assignments = std::move(assignments);
  o.transport = "pipe";
  o.noProgress = true;
  return o;
}

TEST(Launch, badFilesAndParametersEndAsTheDriverReportsThem) {
  ScratchDir dir;
  const std::string features = testing::repoRoot() + "/pipelines/gem5-features.toml";
  EXPECT_EQ(launch(options("/nonexistent.toml")).message, "/nonexistent.toml: cannot open: No such file or directory");
  EXPECT_EQ(launch(options("/nonexistent.toml")).status, 2);
  auto unknown = launch(options(features, {"tarce=x"}));
  EXPECT_EQ(unknown.status, 2);
  EXPECT_EQ(unknown.message, "usage: unknown parameter 'tarce' for pipeline gem5-features (parameters: trace, out, "
                             "tap_options)");
  EXPECT_EQ(launch(options("")).message, "usage: file is required");
  LaunchOptions both = options(features);
  both.progress = true;
  EXPECT_EQ(launch(both).message, "usage: --progress and --no-progress exclude each other");
  spit(dir / "p.toml", "[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"pv-no-such-stage\"\n");
  auto missing = launch(options(dir / "p.toml"));
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.message, (dir / "p.toml") + ":5:7: stage 'a': no executable 'pv-no-such-stage' beside pv-launch (" +
                                 runtime::executableDir() + ") or on PATH");
}

TEST(Launch, describeDryRunAndHelpPrintThePipeline) {
  const std::string features = testing::repoRoot() + "/pipelines/gem5-features.toml";
  LaunchOptions describe = options(features);
  describe.describe = true;
  auto described = launch(describe);
  EXPECT_EQ(described.status, 0);
  EXPECT_EQ(described.out, describeText(loadPipeline(features)));
  LaunchOptions dry = options(features, {"trace=a b.txt"});
  dry.dryRun = true;
  EXPECT_EQ(launch(dry).out, "pv-trace-tap 'a b.txt' | pv-feature | pv-reuse-distance -o -\n");
  EXPECT_EQ(helpParameters(""), "");
  EXPECT_EQ(helpParameters(features), "\n" + paramsText(loadPipeline(features)));
  try {
    helpParameters("/nonexistent.toml");
    FAIL() << "no error";
  } catch (const runtime::ExitStatus& e) {
    EXPECT_EQ(e.code(), 2);
  }
}

TEST(Launch, aFailingStageIsReportedWithPvLaunchsExitStatus) {
  ScratchDir dir;
  spit(dir / "p.toml", "[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"/bin/sh\"\n"
                       "args = [\"-c\", \"echo broken >&2; exit 7\"]\n");
  auto failed = launch(options(dir / "p.toml"));
  EXPECT_EQ(failed.status, 1);
  EXPECT_EQ(failed.message, "");  // the report is printed already
  EXPECT_NE(failed.err.find("pv-launch: pipeline x failed: stage 'a' (/bin/sh) exit status 7\n"
                            "pv-launch:   broken\n"),
            std::string::npos)
      << failed.err;
}

}  // namespace
}  // namespace pv::launch
