// pv-launch --checkpoint: the options pv-aggregate and pv-window get, the
// line printed, and the usage errors.

#include "launcher/checkpointing.h"

#include <gtest/gtest.h>

#include "launcher/test_support.h"

namespace pv::launch {
namespace {

using testing::ScratchDir;
using testing::spit;

// tap -> window -> encode -> aggregate (by path) -> predict.
std::vector<StageCommand> reduction() {
  return {{"tap", "pv-trace-tap", {"t.txt"}},
          {"window", "pv-window", {"-m", "m.pvm"}},
          {"encode", "pv-encode", {"-m", "m.pvm"}},
          {"aggregate", "/opt/perfvec/pv-aggregate", {"--interval", "64"}},
          {"predict", "pv-dot-predict", {"-m", "m.pvm"}}};
}

std::string usageErrorOf(const CheckpointOptions& o, std::vector<StageCommand> commands) {
  try {
    addCheckpointing(o, commands);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpointing, aNewCheckpointGoesToPvAggregate) {
  ScratchDir dir;
  CheckpointOptions o;
  o.file = dir / "rp.ckpt";
  o.every = 100000;
  o.seconds = 2.5;
  auto commands = reduction();
  EXPECT_EQ(addCheckpointing(o, commands), "");
  EXPECT_EQ(commands[3].args, (std::vector<std::string>{"--checkpoint", o.file, "--checkpoint-every", "100000",
                                                        "--checkpoint-seconds", "2.5", "--interval", "64"}));
  EXPECT_EQ(commands[1].args, (std::vector<std::string>{"-m", "m.pvm"}));
  o.resume = true;
  commands = reduction();
  EXPECT_EQ(addCheckpointing(o, commands), "pv-launch: no checkpoint " + o.file + " yet: starting from the beginning");
  EXPECT_EQ(commands[3].args.size(), 8u);
}

TEST(Checkpointing, resumingCutsTheFeatureStreamInPvWindow) {
  ScratchDir dir;
  CheckpointOptions o;
  o.file = dir / "rp.ckpt";
  o.resume = true;
  spit(o.file, "pv-aggregate checkpoint 1\nskip 4096\nsum 1 2 3\n");
  auto commands = reduction();
  EXPECT_EQ(addCheckpointing(o, commands),
            "pv-launch: resuming from checkpoint " + o.file + " (the feature stream restarts at record 4096)");
  EXPECT_EQ(commands[3].args, (std::vector<std::string>{"--checkpoint", o.file, "--resume", o.file, "--interval", "64"}));
  EXPECT_EQ(commands[1].args, (std::vector<std::string>{"--start-at", "4096", "-m", "m.pvm"}));
  spit(o.file, "skip 0\n");
  commands = reduction();
  EXPECT_EQ(addCheckpointing(o, commands), "pv-launch: resuming from checkpoint " + o.file);
  EXPECT_EQ(commands[1].args, (std::vector<std::string>{"-m", "m.pvm"}));
}

TEST(Checkpointing, pipelinesItCannotCheckpointAreUsageErrors) {
  ScratchDir dir;
  CheckpointOptions o;
  o.file = dir / "rp.ckpt";
  auto noAggregate = reduction();
  noAggregate.erase(noAggregate.begin() + 3);
  EXPECT_EQ(usageErrorOf(o, noAggregate), "--checkpoint: the pipeline has no pv-aggregate stage");
  auto two = reduction();
  two.push_back({"again", "pv-aggregate", {}});
  EXPECT_EQ(usageErrorOf(o, two),
            "--checkpoint: stages 'aggregate' and 'again' both run pv-aggregate; pv-launch checkpoints pipelines "
            "with one");
  spit(o.file, "skip 10\n");
  EXPECT_EQ(usageErrorOf(o, reduction()),
            "checkpoint " + o.file + " exists: add --resume to continue from it, or remove it to start over");
  o.resume = true;
  auto noWindow = reduction();
  noWindow.erase(noWindow.begin() + 1);
  EXPECT_EQ(usageErrorOf(o, noWindow),
            "--resume: the checkpoint restarts the feature stream at record 10, but the pipeline has no pv-window "
            "stage before 'aggregate' to cut it");
  spit(o.file, "not a checkpoint\n");
  auto commands = reduction();
  try {
    addCheckpointing(o, commands);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "checkpoint " + o.file + " has no valid 'skip' line (not a pv-aggregate checkpoint?)");
  }
}

}  // namespace
}  // namespace pv::launch
