// pv-train checkpoints: what is saved loads back equal; a missing file is
// no checkpoint; a shape whose element count wraps around 64 bits is a
// StageError naming the file, not a tensor without its values.

#include "stages/train/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "stages/core/stage_error.h"

namespace pv::train {
namespace {

std::string tempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("pv_ckpt_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(TrainCheckpoint, SavedCheckpointsLoadBackEqual) {
  Checkpoint c;
  c.runKey = "0123456789abcdef";
  c.step = 42;
  c.validationLoss = 0.25;
  c.elapsedSeconds = 12.5;
  c.tensors.push_back({"param/w", {2, 3}, {1, 2, 3, 4, 5, 6}});
  c.tensors.push_back({"adam_m/b", {}, {0.5f}});
  const std::string path = tempPath("ok");
  saveCheckpoint(c, path);
  std::optional<Checkpoint> back = loadCheckpoint(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->runKey, c.runKey);
  EXPECT_EQ(back->step, 42u);
  EXPECT_EQ(back->validationLoss, 0.25);
  EXPECT_EQ(back->elapsedSeconds, 12.5);
  EXPECT_EQ(back->tensors, c.tensors);
  EXPECT_FALSE(loadCheckpoint(path));
}

TEST(TrainCheckpoint, AShapeWhoseCountWrapsAroundIsRefused) {
  Checkpoint c;
  c.tensors.push_back({"param/w", {65536, 65536, 65536, 65536}, {}});  // 2^64 values: 0 in 64 bits
  const std::string path = tempPath("wrap");
  saveCheckpoint(c, path);
  try {
    loadCheckpoint(path);
    FAIL() << "accepted";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_EQ(e.message(), "its shape holds more values than the file has bytes");
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pv::train
