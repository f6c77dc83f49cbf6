// Sampled configurations: deterministic, spread over the space, and
// written so that they read back equal (the configuration reader and
// writer: stages/model-lib/uarch_config.h).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "stages/model-lib/uarch_config.h"
#include "stages/uarch/config_sampler.h"

namespace pv::uarch {
namespace {

RC_GTEST_PROP(UarchConfig, sampledConfigurationsRoundTripThroughToml, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const uint32_t index = *rc::gen::inRange<uint32_t>(0, 10000);
  const UarchConfig c = sampleConfig(seed, index);
  const std::string text = writeToml(c);
  const UarchConfig back = parseConfig(text, "other-name.toml");
  RC_ASSERT(back == c);
  RC_ASSERT(writeToml(back) == text);
}

TEST(UarchConfig, SamplingIsDeterministicAndCoversTheSpace) {
  EXPECT_EQ(sampleConfig(7, 3), sampleConfig(7, 3));
  EXPECT_NE(sampleConfig(7, 3), sampleConfig(7, 4));
  EXPECT_NE(sampleConfig(7, 3), sampleConfig(8, 3));
  int inOrder = 0, l3 = 0;
  std::set<double> clocks;
  std::set<std::string> drams;
  std::set<int> predictors;
  for (uint32_t i = 0; i < 500; ++i) {
    UarchConfig c = sampleConfig(1, i);
    inOrder += c.core.kind == CoreKind::kInOrder;
    l3 += c.l3.enabled;
    clocks.insert(c.core.frequencyGhz);
    drams.insert(c.memory.kind);
    predictors.insert(int(c.branch.predictor));
    EXPECT_GE(c.l1d.sizeKb, 8u);
    EXPECT_LE(c.l1d.sizeKb, 64u);
    EXPECT_GE(c.l2.sizeKb, 256u);
    EXPECT_GE(c.l2.latency, 8u);
    EXPECT_LE(c.l2.latency, 23u);
  }
  EXPECT_GT(inOrder, 100);
  EXPECT_GT(l3, 100);
  EXPECT_EQ(clocks.size(), 5u);
  EXPECT_EQ(drams.size(), 17u);
  EXPECT_EQ(predictors.size(), 3u);
}

}  // namespace
}  // namespace pv::uarch
