// Model files: what is saved loads back identically; the hashes identify
// content; damaged or inconsistent files are rejected by name.

#include "stages/model-lib/model_file.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

std::string tempPath() {
  static int counter = 0;
  return "/tmp/pv_model_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".pvm";
}

Model smallModel(uint32_t hidden = 4, size_t uarchs = 2) {
  Model m;
  m.name = "test";
  m.architecture = {"lstm", 3, hidden, 1, 8, 0};
  m.featureColumns = {"a", "b", "c"};
  m.featureMean = {0.5f, 1, 2};
  m.featureStd = {1, 0, 3};
  m.targetNames = {"fetch", "commit"};
  for (size_t u = 0; u < uarchs; ++u) {
    Microarchitecture x{"u" + std::to_string(u), {{"l1d_kb", "32"}}, 2.0, {}, "trained"};
    for (size_t i = 0; i < 2 * hidden; ++i) x.representation.push_back(float(u + i) / 8);
    m.uarchs.push_back(x);
  }
  m.tensors.push_back({"w", {2, 3}, {1, 2, 3, 4, 5, 6}});
  return m;
}

RC_GTEST_PROP(ModelFile, whatIsSavedLoadsBackIdentically, ()) {
  Model m = smallModel(*rc::gen::inRange<uint32_t>(1, 16), *rc::gen::inRange<size_t>(0, 5));
  m.description = *rc::gen::arbitrary<std::string>();
  m.nonNegativeUarchs = *rc::gen::arbitrary<bool>();
  m.tensors[0].values = *rc::gen::container<std::vector<float>>(6, rc::gen::map(rc::gen::arbitrary<int>(),
                                                                                [](int v) { return v / 7.0f; }));
  std::string path = tempPath();
  saveModel(m, path);
  Model back = loadModel(path);
  RC_ASSERT(back.contentHash == m.contentHash);
  RC_ASSERT(back.encoderHash == m.encoderHash);
  RC_ASSERT(back.tensors == m.tensors);
  RC_ASSERT(back.uarchs == m.uarchs);
  RC_ASSERT(back.architecture == m.architecture);
  RC_ASSERT(back.description == m.description);
  RC_ASSERT(back.nonNegativeUarchs == m.nonNegativeUarchs);
  std::remove(path.c_str());
}

TEST(ModelFile, theHashesNameTheContent) {
  Model a = smallModel(), b = smallModel();
  EXPECT_EQ(computeContentHash(a), computeContentHash(b));
  EXPECT_EQ(computeContentHash(a).rfind("xxh3-128:", 0), 0u);
  b.tensors[0].values[3] += 1e-3f;
  EXPECT_NE(computeEncoderHash(a), computeEncoderHash(b));
  EXPECT_NE(computeContentHash(a), computeContentHash(b));
  // A new microarchitecture table changes the file, not the encoder.
  Model c = smallModel();
  c.uarchs[0].representation[0] = 42;
  EXPECT_EQ(computeEncoderHash(a), computeEncoderHash(c));
  EXPECT_NE(computeContentHash(a), computeContentHash(c));
}

TEST(ModelFile, anEditedFileIsRejectedAsNotMatchingItsHash) {
  Model m = smallModel();
  std::string path = tempPath();
  saveModel(m, path);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    bytes = s.str();
  }
  // Change one float of the tensor "w" (1.0f -> 1.5f) without fixing the hash.
  const float one = 1.0f, other = 1.5f;
  size_t at = bytes.find(std::string(reinterpret_cast<const char*>(&one), 4));
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 4, std::string(reinterpret_cast<const char*>(&other), 4));
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    loadModel(path);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(e.message().find("does not match the stored hash"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(ModelFile, inconsistentModelsAreRejectedWithTheReason) {
  Model m = smallModel();
  m.uarchs[1].representation.pop_back();
  try {
    saveModel(m, tempPath());
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_NE(e.message().find("microarchitecture 'u1' has a representation of 7 values, expected 8"),
              std::string::npos)
        << e.what();
  }
  Model n = smallModel();
  n.featureStd.pop_back();
  EXPECT_THROW(validateModel(n, "x"), StageError);
  Model k = smallModel();
  k.architecture.kind = "transformer";
  EXPECT_THROW(validateModel(k, "x"), StageError);
}

// The non-negative flag is part of the file (and its hash), and such a model
// with a negative M_u entry is refused with the entry named.
TEST(ModelFile, aNonNegativeModelKeepsItsFlagAndRefusesANegativeEntry) {
  Model m = smallModel();
  const std::string signedHash = computeContentHash(m);
  m.nonNegativeUarchs = true;
  EXPECT_NE(computeContentHash(m), signedHash);
  const std::string path = tempPath();
  saveModel(m, path);
  EXPECT_TRUE(loadModel(path).nonNegativeUarchs);
  std::remove(path.c_str());
  m.uarchs[1].representation[5] = -0.25f;  // commit (targets fetch, commit; hidden 4), dimension 1
  try {
    validateModel(m, "m.pvm");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_NE(e.message().find("microarchitecture 'u1' has M_u[5] = -0.25 in a model whose representations must "
                               "be non-negative (target 'commit', dimension 1)"),
              std::string::npos)
        << e.what();
  }
  m.nonNegativeUarchs = false;  // an unconstrained (PerfVec-style) model may hold it
  EXPECT_NO_THROW(validateModel(m, "m.pvm"));
}

TEST(ModelFile, garbageIsNotAModel) {
  std::string path = tempPath();
  std::ofstream(path, std::ios::binary) << std::string(64, '\x7f');
  EXPECT_THROW(loadModel(path), StageError);
  std::ofstream(path, std::ios::binary) << "abc";
  EXPECT_THROW(loadModel(path), StageError);
  std::remove(path.c_str());
  EXPECT_THROW(loadModel("/nonexistent/model.pvm"), StageError);
}

// A suite region NAME.rI belongs to program NAME, so a model trained on
// xz.r1 has seen xz and its other regions, and nothing else.
TEST(ModelFile, whatTheModelSawInTrainingFoldsRegionsIntoPrograms) {
  EXPECT_EQ(programOfWorkload("xz.r2"), "xz");
  EXPECT_EQ(programOfWorkload("openssl-aes.r13"), "openssl-aes");
  EXPECT_EQ(programOfWorkload("xz"), "xz");
  EXPECT_EQ(programOfWorkload("a.rb"), "a.rb");
  EXPECT_EQ(programOfWorkload("x.r"), "x.r");
  EXPECT_EQ(programOfWorkload(".r1"), ".r1");
  Model m;
  m.training.programs = {"xz.r1", "xz.r2", "gzip", "lua.r3"};
  m.training.heldOutUarchs = {"held"};
  EXPECT_EQ(trainingPrograms(m), (std::vector<std::string>{"xz", "gzip", "lua"}));
  EXPECT_TRUE(programSeenInTraining(m, "xz"));
  EXPECT_TRUE(programSeenInTraining(m, "xz.r3"));
  EXPECT_TRUE(programSeenInTraining(m, "gzip.r1"));
  EXPECT_TRUE(programSeenInTraining(m, "lua"));
  EXPECT_FALSE(programSeenInTraining(m, "xzz"));
  EXPECT_FALSE(programSeenInTraining(m, "stencil.r1"));
  Microarchitecture u;
  u.name = "a";
  EXPECT_TRUE(uarchSeenInTraining(m, u));  // no recorded origin: an older file
  u.origin = "trained";
  EXPECT_TRUE(uarchSeenInTraining(m, u));
  u.origin = "tuned";
  EXPECT_FALSE(uarchSeenInTraining(m, u));
  u.origin = "trained";
  u.name = "held";
  EXPECT_FALSE(uarchSeenInTraining(m, u));
}

}  // namespace
}  // namespace pv
