// Tests of the endpoint rules and key files of curve.h (the CURVE handshake
// itself between processes: tests/cli/curve.sh).

#include "stages/runtime/curve.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "stages/core/stage_error.h"

namespace pv::runtime {
namespace {

TEST(Curve, onlyIpcAndLoopbackTcpAreLocal) {
  EXPECT_TRUE(isLocalEndpoint("ipc:///tmp/x.ipc"));
  EXPECT_TRUE(isLocalEndpoint("inproc://x"));
  EXPECT_TRUE(isLocalEndpoint("tcp://127.0.0.1:5555"));
  EXPECT_TRUE(isLocalEndpoint("tcp://127.1.2.3:5555"));
  EXPECT_TRUE(isLocalEndpoint("tcp://localhost:5555"));
  EXPECT_TRUE(isLocalEndpoint("tcp://[::1]:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://0.0.0.0:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://*:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://10.0.0.7:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://127.0.0.1;10.0.0.7:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://eth0:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://localhost.example.com:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://127.0.0.1.example.com:5555"));
  EXPECT_FALSE(isLocalEndpoint("tcp://[::]:5555"));
}

TEST(Curve, aWrittenKeyPairReadsBackAndItsSecretFileIsPrivate) {
  if (!zmq_has("curve")) GTEST_SKIP() << "libzmq without CURVE";
  auto dir = std::filesystem::temp_directory_path() / ("pv_curve_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string base = (dir / "k").string();
  CurveKeyPair pair = generateCurveKeyPair();
  writeCurveKeyPair(base, pair);
  struct stat st {};
  ASSERT_EQ(::stat((base + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  CurveKeyPair back = readCurveSecretFile(base + ".key");
  EXPECT_EQ(back.publicKey, pair.publicKey);
  EXPECT_EQ(back.secretKey, pair.secretKey);
  EXPECT_EQ(readCurvePublicKeys(base + ".pub"), std::vector<std::string>{pair.publicKey});
  EXPECT_EQ(readCurvePublicKeys(dir.string()), std::vector<std::string>{pair.publicKey});
  EXPECT_THROW(writeCurveKeyPair(base, pair), StageError);  // never overwrites
  ::chmod((base + ".key").c_str(), 0644);
  EXPECT_THROW(readCurveSecretFile(base + ".key"), StageError);
  std::ofstream(base + ".bad") << "not a key\n";
  EXPECT_THROW(readCurvePublicKeys(base + ".bad"), StageError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pv::runtime
