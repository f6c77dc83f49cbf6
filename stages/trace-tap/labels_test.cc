// LabelBuilder: the example's targets.expected.txt, start lines, and the
// first instruction's forced fetch depth.
#include "stages/trace-tap/labels.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "stages/trace-readers/test_sources.h"

namespace pv::gem5 {
namespace {

std::vector<Instruction> example() {
  auto reader = testing::exampleReader();
  InstructionBatch batch;
  EXPECT_TRUE(reader->next(batch, 100));
  return batch.rows;
}

// Formats labels as the original label builder prints them.
std::string format(const std::vector<float>& labels) {
  std::string out;
  char buf[64];
  for (size_t i = 0; i < labels.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%g ", static_cast<double>(labels[i]));
    out += buf;
    if ((i + 1) % kTargetCount == 0) out += '\n';
  }
  return out;
}

TEST(LabelBuilder, ReproducesTargetsExpectedOfTheExampleExactly) {
  std::vector<Instruction> rows = example();
  ASSERT_EQ(rows.size(), 21u);
  LabelBuilder builder;
  std::vector<float> labels(rows.size() * kTargetCount);
  for (size_t r = 0; r < rows.size(); ++r)
    builder.add(rows[r], labels.data() + r * kTargetCount);
  EXPECT_EQ(format(labels),
            testing::readFile(testing::kExampleDir + "/targets.expected.txt"));
}

TEST(LabelBuilder, LabelsABatchLikeOneInstructionAtATime) {
  auto reader = testing::exampleReader();
  InstructionBatch batch;
  ASSERT_TRUE(reader->next(batch, 100));
  LabelBuilder one, all;
  std::vector<float> a(batch.rows.size() * kTargetCount), b(a.size());
  for (size_t r = 0; r < batch.rows.size(); ++r)
    one.add(batch.rows[r], a.data() + r * kTargetCount);
  all.addBatch(batch, {}, b.data(), kTargetCount);
  EXPECT_EQ(a, b);
}

TEST(LabelBuilder, HasSixteenNamedTargetsInTheOriginalOrder) {
  auto names = targetNames();
  ASSERT_EQ(names.size(), static_cast<size_t>(kTargetCount));
  EXPECT_EQ(names[kTargetFetch], "fetch");
  EXPECT_EQ(names[kTargetStoreCommit], "store_commit");
  EXPECT_EQ(names[kTargetL2Load], "l2_load");
  EXPECT_EQ(names[kTargetMispredict], "mispredict");
}

TEST(LabelBuilder, ForcesTheFetchDepthOfTheFirstInstructionOnlyInItsLabels) {
  std::vector<Instruction> rows = example();
  EXPECT_EQ(rows[0].fetchDepth, 0);  // the raw value stays
  LabelBuilder builder;
  float l[kTargetCount];
  Instruction first = rows[1];  // fetch depth -1
  builder.add(first, l);
  EXPECT_EQ(l[kTargetL1Fetch], 1.0f);
  EXPECT_EQ(l[kTargetL2Fetch], 1.0f);
  EXPECT_EQ(l[kTargetMemFetch], 1.0f);
  builder.add(first, l);
  EXPECT_EQ(l[kTargetL1Fetch], 0.0f);
}

TEST(LabelBuilder, MeasuresTimesFromAStartLineTick) {
  std::vector<Instruction> rows = example();
  LabelBuilder builder;
  float l[kTargetCount];
  builder.start(70000);
  builder.add(rows[0], l);  // fetch 80000, retire 84500, decode 81500
  EXPECT_EQ(l[kTargetFetch], 100.0f);
  EXPECT_EQ(l[kTargetCommit], 145.0f);
  EXPECT_EQ(l[kTargetDecode], 115.0f);
  // A later start line resets every frontier, also backwards.
  builder.add(rows[1], l);
  EXPECT_EQ(l[kTargetCommit], 0.0f);
  builder.start(80000);
  builder.add(rows[1], l);
  EXPECT_EQ(l[kTargetFetch], 0.0f);
  EXPECT_EQ(l[kTargetCommit], 45.0f);
  EXPECT_EQ(l[kTargetStoreCommit], 45.0f);
}

TEST(LabelBuilder, AppliesStartMarksAtTheirIndexWithinABatch) {
  std::vector<Instruction> rows = example();
  InstructionBatch batch;
  batch.firstIndex = 10;
  batch.rows = {rows[0], rows[1], rows[2]};
  const StartMark marks[] = {{11, 0}, {13, 500000}};
  LabelBuilder builder;
  std::vector<float> l(3 * kTargetCount);
  builder.addBatch(batch, marks, l.data(), kTargetCount);
  EXPECT_EQ(l[0 * kTargetCount + kTargetFetch], 800.0f);
  EXPECT_EQ(l[1 * kTargetCount + kTargetFetch], 800.0f);  // reset to 0
  EXPECT_EQ(l[2 * kTargetCount + kTargetFetch], 0.0f);
  // The mark at index 13 (after the batch) applies before what follows.
  builder.add(rows[20], l.data());
  EXPECT_EQ(l[kTargetFetch], 0.0f);
  EXPECT_EQ(l[kTargetCommit], 0.0f);
}

TEST(LabelBuilder, CountsStoreLevelsOfStoresAndLoadLevelsOfLoads) {
  Instruction store = example()[14];
  store.dataDepth = 1;
  LabelBuilder builder;
  float l[kTargetCount];
  builder.add(store, l);
  EXPECT_EQ(l[kTargetL1Store], 1.0f);
  EXPECT_EQ(l[kTargetL2Store], 1.0f);
  EXPECT_EQ(l[kTargetMemStore], 0.0f);
  EXPECT_EQ(l[kTargetL1Load], 0.0f);
}

TEST(LabelBuilder, RejectsAnInstructionWithoutTiming) {
  Instruction i;
  LabelBuilder builder("t.txt");
  float l[kTargetCount];
  EXPECT_EQ(testing::errorOf([&] { builder.add(i, l); }),
            "t.txt:instruction 0: no timing: labels need a trace with timing fields");
}

}  // namespace
}  // namespace pv::gem5
