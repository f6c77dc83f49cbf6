// Untrained models (pv-model init): the asked-for shape, deterministic per
// seed, M_u within +-1/sqrt(H), weights the encoder loads, and clear errors
// for bad --uarch specs and statistics.

#include "stages/model-lib/untrained_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"
#include "stages/core/targets.h"
#include "stages/model-lib/model_encoder.h"

namespace pv::encode {
namespace {

UntrainedModelOptions small() {
  UntrainedModelOptions o;
  o.hidden = 8;
  o.layers = 1;
  o.window = 4;
  o.chunk = 16;
  o.seed = 3;
  return o;
}

TEST(UntrainedModel, hasTheAskedForShapeAndLoadsIntoTheEncoder) {
  UntrainedModelOptions o = small();
  o.arch = "gru";
  o.uarchs = {"fast@3.5", "slow"};
  const Model m = makeUntrainedModel(o);
  EXPECT_EQ(m.architecture, (ModelArchitecture{"gru", static_cast<uint32_t>(features::kCount), 8, 1, 4, 16}));
  EXPECT_EQ(m.featureColumns, features::columnNames());
  EXPECT_EQ(m.featureMean, std::vector<float>(features::kCount, 0.0f));
  EXPECT_EQ(m.featureStd, std::vector<float>(features::kCount, 1.0f));
  EXPECT_EQ(m.targetNames, targetNames());
  EXPECT_EQ(m.description, "untrained gru 1x8 over 4 instructions, seed 3");
  ASSERT_EQ(m.uarchs.size(), 2u);
  EXPECT_EQ(m.uarchs[0].name, "fast");
  EXPECT_EQ(m.uarchs[0].clockGhz, 3.5);
  EXPECT_EQ(m.uarchs[1].name, "slow");
  EXPECT_EQ(m.uarchs[1].clockGhz, 0.0);
  const float bound = 1.0f / std::sqrt(8.0f);
  for (const auto& u : m.uarchs) {
    ASSERT_EQ(u.representation.size(), 16u * 8u);
    for (float v : u.representation) EXPECT_LE(std::fabs(v), bound);
  }
  EXPECT_EQ(computeEncoderHash(m), m.encoderHash);
  EXPECT_EQ(computeContentHash(m), m.contentHash);
  const InstructionEncoder encoder = loadEncoder(m, "m");
  EXPECT_EQ(encoder.config().hidden, 8);
  EXPECT_EQ(encoder.config().window, 4);
}

TEST(UntrainedModel, isTheSameForASeedAndDiffersAcrossSeeds) {
  const Model a = makeUntrainedModel(small()), b = makeUntrainedModel(small());
  EXPECT_EQ(a.contentHash, b.contentHash);
  EXPECT_EQ(a.tensors, b.tensors);
  UntrainedModelOptions o = small();
  o.seed = 4;
  const Model c = makeUntrainedModel(o);
  EXPECT_NE(c.encoderHash, a.encoderHash);
  EXPECT_NE(c.uarchs[0].representation, a.uarchs[0].representation);
  o.uarchCount = 3;
  const Model d = makeUntrainedModel(o);
  ASSERT_EQ(d.uarchs.size(), 3u);
  EXPECT_EQ(d.uarchs[2].name, "uarch-2");
  EXPECT_EQ(d.uarchs[2].origin, "untrained");
}

TEST(UntrainedModel, takesItsStatisticsFromTheFile) {
  char path[] = "/tmp/pv_stats_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream out(path);
    out << "feature_index,mean,std\n";
    for (int i = 0; i < features::kCount; ++i) out << i << "," << i * 0.5 << "," << 1 + i << "\n";
  }
  UntrainedModelOptions o = small();
  o.stats = path;
  const Model m = makeUntrainedModel(o);
  EXPECT_EQ(m.featureMean[4], 2.0f);
  EXPECT_EQ(m.featureStd[4], 5.0f);
  {
    std::ofstream out(path);
    out << "feature_index,mean,std\n0,1,x\n";
  }
  try {
    makeUntrainedModel(o);
    ADD_FAILURE() << "bad statistics accepted";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), path);
  }
  ::unlink(path);
}

TEST(UntrainedModel, badUarchSpecsAreNamed) {
  for (const std::string spec : {"fast@", "fast@0", "fast@-2", "fast@2x", "@3", "fast@nan", "fast@inf"}) {
    try {
      parseUarchSpec(spec);
      ADD_FAILURE() << "accepted " << spec;
    } catch (const StageError& e) {
      EXPECT_EQ(e.input(), "--uarch");
      EXPECT_EQ(e.position(), spec);
    }
  }
  EXPECT_EQ(parseUarchSpec("a@b@1.5").name, "a@b");
  EXPECT_EQ(parseUarchSpec("a@b@1.5").clockGhz, 1.5);
}

}  // namespace
}  // namespace pv::encode
