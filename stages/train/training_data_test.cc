// Training data: chunk plans, epoch orders, batch layout, statistics, and
// reading real labelled streams.

#include "stages/train/training_data.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "stages/core/stage_error.h"
#include "stages/runtime/stream.h"

namespace pv::train {
namespace {

// A program of `rows` rows, F = 2 features (row index, 1), 1 uarch x 2 targets.
LabelledProgram ramp(const std::string& name, int64_t rows, float offset = 0) {
  LabelledProgram p;
  p.name = name;
  p.rows = rows;
  for (int64_t r = 0; r < rows; ++r) {
    p.features.push_back(static_cast<float>(r) + offset);
    p.features.push_back(1.0f);
    p.labels.push_back(static_cast<float>(2 * r));
    p.labels.push_back(static_cast<float>(r % 3));
  }
  return p;
}

TrainingSet rampSet(std::vector<int64_t> sizes) {
  TrainingSet set;
  for (size_t i = 0; i < sizes.size(); ++i)
    set.addProgram(ramp("p" + std::to_string(i), sizes[i]), {"x", "one"}, {"commit", "l1"}, {"u0"});
  return set;
}

RC_GTEST_PROP(ChunkPlan, CoversEveryChunkOnce, ()) {
  const auto sizes = *rc::gen::container<std::vector<int64_t>>(*rc::gen::inRange<size_t>(1, 5),
                                                               rc::gen::inRange<int64_t>(1, 300));
  const int64_t k = *rc::gen::inRange<int64_t>(1, 64);
  const double fraction = *rc::gen::element(0.0, 0.1, 0.5);
  const TrainingSet set = rampSet(sizes);
  const ChunkPlan plan = planChunks(set, k, fraction, 7);
  std::set<std::pair<int, int64_t>> seen;
  for (const auto* list : {&plan.train, &plan.validation})
    for (const auto& c : *list) RC_ASSERT(seen.insert({c.program, c.chunk}).second);
  size_t expected = 0;
  for (int64_t n : sizes) expected += static_cast<size_t>((n + k - 1) / k);
  RC_ASSERT(seen.size() == expected);
  if (fraction == 0) RC_ASSERT(plan.validation.empty());
}

RC_GTEST_PROP(EpochOrder, IsADeterministicPermutation, (uint64_t seed, uint8_t epoch)) {
  const TrainingSet set = rampSet({100, 37});
  const ChunkPlan plan = planChunks(set, 8, 0, 1);
  const auto a = epochOrder(plan.train, seed, epoch);
  const auto b = epochOrder(plan.train, seed, epoch);
  RC_ASSERT(a.size() == plan.train.size());
  for (size_t i = 0; i < a.size(); ++i) RC_ASSERT(a[i].program == b[i].program && a[i].chunk == b[i].chunk);
  auto key = [](const ChunkRef& c) { return std::pair<int, int64_t>(c.program, c.chunk); };
  std::vector<std::pair<int, int64_t>> x, y;
  for (const auto& c : a) x.push_back(key(c));
  for (const auto& c : plan.train) y.push_back(key(c));
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  RC_ASSERT(x == y);
}

TEST(EpochOrder, EpochsDiffer) {
  const TrainingSet set = rampSet({1000});
  const ChunkPlan plan = planChunks(set, 4, 0, 1);
  const auto a = epochOrder(plan.train, 3, 0), b = epochOrder(plan.train, 3, 1);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].chunk == b[i].chunk;
  EXPECT_LT(same, 20);
}

TEST(BatchAssembler, ContextPaddingNormalisationAndMask) {
  const TrainingSet set = rampSet({10});
  // mean 0 / std 1 for x, mean 1 / std 0 (-> 1) for the constant column.
  BatchAssembler a(set, /*window=*/3, /*chunk=*/4, {0.0, 1.0}, {1.0, 0.0}, {2.0, 1.0});
  const ChunkRef chunks[] = {{0, 0}, {0, 2}};
  const Batch b = a.assemble(chunks, 2);
  ASSERT_EQ(b.steps, 2 + 4);
  ASSERT_EQ(b.outputs, 4);
  // Sequence 0: two zero rows before row 0, then rows 0..3.
  EXPECT_EQ(b.inputs[0], 0.0f);
  EXPECT_EQ(b.inputs[2], 0.0f);
  EXPECT_EQ(b.inputs[2 * 2 + 0], 0.0f);  // row 0: x = 0
  EXPECT_EQ(b.inputs[2 * 2 + 1], 0.0f);  // (1 - 1) / 1
  EXPECT_EQ(b.inputs[5 * 2 + 0], 3.0f);  // row 3
  // Sequence 1: chunk 2 = rows 8, 9 (then past the end), context rows 6, 7.
  const float* s1 = b.inputs.data() + b.steps * 2;
  EXPECT_EQ(s1[0], 6.0f);
  EXPECT_EQ(s1[1 * 2], 7.0f);
  EXPECT_EQ(s1[2 * 2], 8.0f);
  EXPECT_EQ(s1[3 * 2], 9.0f);
  EXPECT_EQ(s1[4 * 2], 0.0f);
  // Labels divided by the target scales; mask 0 past the end.
  EXPECT_EQ(b.labels[(4 + 0) * 2 + 0], 16.0f / 2.0f);  // row 8, commit 16 / 2
  EXPECT_EQ(b.labels[(4 + 1) * 2 + 1], 0.0f);          // row 9: 9 % 3 = 0
  EXPECT_EQ(b.mask[4], 1.0f);
  EXPECT_EQ(b.mask[5], 1.0f);
  EXPECT_EQ(b.mask[6], 0.0f);
  EXPECT_EQ(b.validRows(), 6);
  EXPECT_EQ(a.rowsOf({0, 2}), 2);
}

TEST(TrainingSet, Statistics) {
  const TrainingSet set = rampSet({4});
  std::vector<double> mean, stddev;
  set.featureStatistics(mean, stddev);
  EXPECT_DOUBLE_EQ(mean[0], 1.5);
  EXPECT_NEAR(stddev[0], std::sqrt(1.25), 1e-12);
  EXPECT_DOUBLE_EQ(stddev[1], 0.0);
  const auto scales = set.targetScales();
  // commit labels 0 2 4 6: rms sqrt(56 / 4)
  EXPECT_NEAR(scales[0], std::sqrt(14.0), 1e-12);
}

// A real labelled feature stream through the runtime (a file), selection of
// targets and microarchitectures, and the errors for wrong inputs.
TEST(TrainingSet, ReadsLabelledStreamsAndSelects) {
  const std::string path = std::filesystem::temp_directory_path() / "pv_train_data_test.pvs.zst";
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.source = "test";
  h.featureColumns = {"a", "b"};
  h.targetNames = {"fetch", "commit"};
  h.uarchNames = {"x", "y", "z"};
  {
    auto w = runtime::StreamWriter::open(path);
    w->writeHeader(h);
    FeatureBatch b;
    b.columns = 2;
    for (int r = 0; r < 5; ++r) {
      b.values.push_back(r);
      b.values.push_back(-r);
      for (int u = 0; u < 3; ++u)
        for (int t = 0; t < 2; ++t) b.labels.push_back(100 * r + 10 * u + t);
    }
    w->write(b);
    w->writeEnd(5);
    w->close();
  }
  TrainingSet set;
  set.addStream(path, {{"commit"}, {"z", "x"}});
  ASSERT_EQ(set.programs().size(), 1u);
  const auto& p = set.programs()[0];
  EXPECT_EQ(p.name, "pv_train_data_test");
  EXPECT_EQ(p.rows, 5);
  EXPECT_EQ(set.uarchNames(), (std::vector<std::string>{"z", "x"}));
  ASSERT_EQ(p.labels.size(), 10u);
  EXPECT_EQ(p.labels[2 * 3 + 0], 100 * 3 + 10 * 2 + 1);  // row 3, z, commit
  EXPECT_EQ(p.labels[2 * 3 + 1], 100 * 3 + 0 + 1);       // row 3, x, commit
  TrainingSet prefix;
  prefix.addStream(path, {}, "cut", 3);
  EXPECT_EQ(prefix.programs()[0].rows, 3);
  EXPECT_EQ(prefix.labelWidth(), 6);

  TrainingSet bad;
  try {
    bad.addStream(path, {{"retire"}, {}});
    FAIL() << "an unknown target was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("retire"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}

TEST(TrainingSet, RefusesUnlabelledAndTruncatedStreams) {
  const std::string path = std::filesystem::temp_directory_path() / "pv_train_unlabelled.pvs";
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a"};
  {
    auto w = runtime::StreamWriter::open(path);
    w->writeHeader(h);
    w->writeEnd(0);
    w->close();
  }
  TrainingSet set;
  EXPECT_THROW(set.addStream(path, {}), StageError);
  h.targetNames = {"commit"};
  h.uarchNames = {"u"};
  {
    auto w = runtime::StreamWriter::open(path);
    w->writeHeader(h);
    FeatureBatch b;
    b.columns = 1;
    b.values = {1, 2};
    b.labels = {3, 4};
    w->write(b);
    w->close();  // no end message: truncated
  }
  EXPECT_THROW(set.addStream(path, {}), StageError);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pv::train
