// pv-train's options: the shuffle buffer's size, torchrun's variables and
// the address a rank connects from, the device.

#include "stages/train/gloo_reducer.h"
#include "stages/train/train_command.h"
#include "stages/train/trainer.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "stages/core/stage_error.h"
#include "stages/runtime/tool.h"

namespace pv::train {
namespace {

TEST(ShuffleBuffer, ChunksOrASize) {
  EXPECT_EQ(shuffleChunks("512", 1000), 512u);
  EXPECT_EQ(shuffleChunks("1MiB", 1024), 1024u);
  EXPECT_EQ(shuffleChunks("2GiB", 1 << 20), 2048u);
  EXPECT_EQ(shuffleChunks("1.5mb", 1000), 1500u);
  EXPECT_THROW(shuffleChunks("0", 10), StageError);
  EXPECT_THROW(shuffleChunks("12 chunks", 10), StageError);
  EXPECT_THROW(shuffleChunks("MiB", 10), StageError);
  try {
    shuffleChunks("1KiB", 4096);
    FAIL() << "a buffer smaller than one chunk was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("4096 bytes"), std::string::npos) << e.what();
  }
}

TEST(Rendezvous, TorchrunsVariablesFillWhatTheFlagsLeaveUnset) {
  ::setenv("RANK", "1", 1);
  ::setenv("WORLD_SIZE", "3", 1);
  ::setenv("MASTER_ADDR", "10.0.0.5", 1);
  ::setenv("MASTER_PORT", "29500", 1);
  TrainOptions o;
  rendezvousFromEnvironment(o);
  EXPECT_EQ(o.rank, 1);
  EXPECT_EQ(o.world, 3);
  EXPECT_EQ(o.master, "10.0.0.5:29500");
  TrainOptions flags;
  flags.rank = 0;
  flags.world = 2;
  flags.master = "h:1";
  rendezvousFromEnvironment(flags);
  EXPECT_EQ(flags.rank, 0);
  EXPECT_EQ(flags.master, "h:1");
  for (const char* v : {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"}) ::unsetenv(v);
}

// A rank's Gloo connections use this machine's address on the route to
// the master: loopback for a master here (IPv4 first, as local workers).
TEST(Rendezvous, ARankUsesItsAddressOnTheRouteToTheMaster) {
  EXPECT_EQ(localAddressTowards("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(localAddressTowards("localhost"), "127.0.0.1");
  try {
    localAddressTowards("pv-no-such-host.invalid");
    FAIL() << "an unknown master host was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the master host pv-no-such-host.invalid does not resolve"),
              std::string::npos) << e.what();
  }
}

// A device that is not there (any CUDA device without CUDA, a device index
// beyond the count) or not a device is a usage error that names it.
TEST(Device, AnUnavailableOrUnknownDeviceIsAUsageErrorThatNamesIt) {
  TrainOptions o;
  o.inputs = {"/nonexistent.pvs"};
  o.output = "/nonexistent/m.pvm";
  o.device = "cuda:" + std::to_string(cudaDeviceCount());  // one past the last
  try {
    runTrain(o);
    FAIL() << "--device " << o.device << " was accepted";
  } catch (const runtime::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--device " + o.device), std::string::npos) << e.what();
  }
  for (const char* bad : {"tpu", "cuda:", "cuda:x", "cuda:-1"}) {
    o.device = bad;
    EXPECT_THROW(runTrain(o), runtime::UsageError) << bad;
  }
}

}  // namespace
}  // namespace pv::train
