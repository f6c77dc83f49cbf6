// pv-launch on the real stages: a launched pipeline file gives the same bytes
// as the same stages chained with shell pipes, on every transport, and so
// does the shell pipeline --dry-run prints. Each case runs real processes,
// so the property runs a few cases only.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>

#include "launcher/test_support.h"

namespace pv::launch {
namespace {

using testing::bin;
using testing::ScratchDir;
using testing::shell;
using testing::slurp;

bool isEmptyDir(const std::string& path) { return std::filesystem::is_empty(path); }

TEST(LaunchProcesses, launchedPipelinesGiveTheBytesOfShellPipes) {
  testing::checkFew(6, [] {
    ScratchDir dir;
    const int instructions = *rc::gen::weightedOneOf<int>(
        {{3, rc::gen::inRange(1, 3000)}, {1, rc::gen::inRange(3000, 20000)}});
    const int seed = *rc::gen::inRange(0, 1000000);
    RC_ASSERT(shell(bin("pv-synth-gem5") + " --instructions " + std::to_string(instructions) +
                        " --seed " + std::to_string(seed) + " --out-dir " + dir.path(),
                    dir.path())
                  .status == 0);
    const bool labelled = *rc::gen::arbitrary<bool>();
    const std::string transport =
        *rc::gen::element(std::string("ipc"), std::string("pipe"), std::string("tcp"));
    const int batch = *rc::gen::inRange(1, 5000);
    RC_TAG(labelled ? "labelled" : "features", transport);

    const std::string file = testing::repoRoot() + "/pipelines/" +
                             (labelled ? "gem5-labelled.toml" : "gem5-features.toml");
    const std::string trace = dir / "trace.txt";
    const std::string params = std::string(labelled ? "traces=" : "trace=") + trace +
                               " tap_options='--batch-size " + std::to_string(batch) + "'";
    std::filesystem::create_directory(dir / "tmp");

    auto launched =
        shell("TMPDIR=" + (dir / "tmp") + " " + bin("pv-launch") + " " + file + " " + params +
                  " out=" + (dir / "launch.pvs") + " --no-progress --transport " + transport,
              dir.path());
    RC_ASSERT(launched.status == 0);
    RC_ASSERT(launched.err.empty());
    RC_ASSERT(isEmptyDir(dir / "tmp"));  // no socket files, no temporary folder

    auto piped = shell(bin("pv-trace-tap") + (labelled ? " --labels" : "") + " --batch-size " +
                           std::to_string(batch) + " " + trace + " | " + bin("pv-feature") + " | " +
                           bin("pv-reuse-distance") + " > " + (dir / "pipe.pvs"),
                       dir.path());
    RC_ASSERT(piped.status == 0);

    // What --dry-run prints runs as it is (stages on PATH).
    auto dry = shell(bin("pv-launch") + " " + file + " " + params + " out=" + (dir / "dry.pvs") +
                         " --dry-run > " + (dir / "dry.sh"),
                     dir.path());
    RC_ASSERT(dry.status == 0);
    auto dryRun = shell("PATH=" + testing::binDir() + ":$PATH; . " + (dir / "dry.sh"), dir.path());
    RC_ASSERT(dryRun.status == 0);

    const std::string reference = slurp(dir / "pipe.pvs");
    RC_ASSERT(!reference.empty());
    RC_ASSERT(slurp(dir / "launch.pvs") == reference);
    RC_ASSERT(slurp(dir / "dry.pvs") == reference);

    // And as text.
    const std::string cat = bin("pv-cat") + (labelled ? " --labels " : " ");
    RC_ASSERT(shell(cat + (dir / "launch.pvs") + " > " + (dir / "launch.txt") + " && " + cat +
                        (dir / "pipe.pvs") + " > " + (dir / "pipe.txt"),
                    dir.path())
                  .status == 0);
    RC_ASSERT(!slurp(dir / "pipe.txt").empty());
    RC_ASSERT(slurp(dir / "launch.txt") == slurp(dir / "pipe.txt"));
  });
}

TEST(LaunchProcesses, aStageEndingTheChainPrintsTextThroughTheLauncherStdout) {
  ScratchDir dir;
  testing::spit(dir / "p.toml",
                "[pipeline]\nname = \"cat\"\n[params]\ntrace = \"\"\n"
                "[[stage]]\nname = \"tap\"\nrun = \"pv-trace-tap\"\nargs = [\"{trace}\"]\n"
                "[[stage]]\nname = \"feature\"\nrun = \"pv-feature\"\n"
                "[[stage]]\nname = \"reuse\"\nrun = \"pv-reuse-distance\"\n"
                "[[stage]]\nname = \"cat\"\nrun = \"pv-cat\"\n");
  const std::string example = testing::repoRoot() + "/examples/gem5-arm-21";
  auto r = shell(bin("pv-launch") + " " + (dir / "p.toml") + " trace=" + example +
                     "/trace.txt --no-progress > " + (dir / "out.txt"),
                 dir.path());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(slurp(dir / "out.txt"), slurp(example + "/features.expected.txt"));
}

}  // namespace
}  // namespace pv::launch
