// --start-at: a sliced stream is the records from N on of the whole one,
// renumbered from 0, whatever the batching; its source says it is a slice;
// cuts that would lose data are errors.

#include "stages/runtime/slice.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "stages/core/stage_error.h"
#include "tests/support/arbitrary.h"

namespace pv::runtime {
namespace {

// Concatenates the rows of feature batches into one batch.
FeatureBatch concat(const std::vector<FeatureBatch>& batches, uint32_t columns) {
  FeatureBatch all;
  all.columns = columns;
  for (const auto& b : batches) {
    all.values.insert(all.values.end(), b.values.begin(), b.values.end());
    all.pc.insert(all.pc.end(), b.pc.begin(), b.pc.end());
    all.dataAddr.insert(all.dataAddr.end(), b.dataAddr.begin(), b.dataAddr.end());
    all.access.insert(all.access.end(), b.access.begin(), b.access.end());
    all.labels.insert(all.labels.end(), b.labels.begin(), b.labels.end());
  }
  return all;
}

RC_GTEST_PROP(StreamSlice, FeatureSliceIsTheTailOfTheWholeStreamRenumbered, ()) {
  StreamHeader h = testing::genHeader(PayloadKind::kFeatures, *rc::gen::arbitrary<bool>(),
                                      *rc::gen::arbitrary<bool>());
  const uint32_t columns = static_cast<uint32_t>(h.featureColumns.size());
  std::vector<FeatureBatch> batches;
  uint64_t total = 0;
  for (int i = *rc::gen::inRange(0, 6); i > 0; --i) {
    batches.push_back(testing::genFeatureBatch(h, total));
    total += batches.back().rows();
  }
  const uint64_t start = *rc::gen::inRange<uint64_t>(0, total + 1);
  StreamSlice slice(start, "in");
  StreamHeader sliced = slice.describe(h);
  RC_ASSERT(sliced.source == (start ? slicedSource(h.source, start) : h.source));

  std::vector<FeatureBatch> kept;
  uint64_t next = 0;
  for (auto b : batches) {
    if (!slice.apply(b)) continue;
    RC_ASSERT(b.firstIndex == next);
    next += b.rows();
    kept.push_back(b);
  }
  slice.finish(total);
  RC_ASSERT(next == total - start);

  // The same rows as cutting the concatenation.
  FeatureBatch whole = concat(batches, columns), tail = concat(kept, columns);
  const size_t w = h.labelWidth();
  RC_ASSERT(std::vector<float>(whole.values.begin() + start * columns, whole.values.end()) == tail.values);
  RC_ASSERT(std::vector<float>(whole.labels.begin() + start * w, whole.labels.end()) == tail.labels);
  if (h.hasAddresses) {
    RC_ASSERT(std::vector<uint64_t>(whole.pc.begin() + start, whole.pc.end()) == tail.pc);
    RC_ASSERT(std::vector<AccessKind>(whole.access.begin() + start, whole.access.end()) == tail.access);
  }
}

RC_GTEST_PROP(StreamSlice, InstructionSliceKeepsRowsAndLabelsFromTheCut, ()) {
  StreamHeader h = testing::genHeader(PayloadKind::kInstructions, *rc::gen::arbitrary<bool>(), false);
  std::vector<InstructionBatch> batches;
  std::vector<Instruction> rows;
  std::vector<float> labels;
  uint64_t total = 0;
  for (int i = *rc::gen::inRange(0, 5); i > 0; --i) {
    batches.push_back(testing::genInstructionBatch(h, total, 16));
    total += batches.back().rows.size();
  }
  const uint64_t start = *rc::gen::inRange<uint64_t>(0, total + 1);
  StreamSlice slice(start, "in");
  slice.describe(h);
  std::vector<Instruction> all, tail;
  std::vector<float> allLabels, tailLabels;
  for (auto b : batches) {
    all.insert(all.end(), b.rows.begin(), b.rows.end());
    allLabels.insert(allLabels.end(), b.labels.begin(), b.labels.end());
    if (!slice.apply(b)) continue;
    RC_ASSERT(b.firstIndex == tail.size());
    tail.insert(tail.end(), b.rows.begin(), b.rows.end());
    tailLabels.insert(tailLabels.end(), b.labels.begin(), b.labels.end());
  }
  RC_ASSERT(std::vector<Instruction>(all.begin() + start, all.end()) == tail);
  RC_ASSERT(std::vector<float>(allLabels.begin() + start * h.labelWidth(), allLabels.end()) == tailLabels);
}

TEST(StreamSlice, RepresentationsAreCutAtRowBoundariesOnly) {
  RepresentationBatch b;
  b.firstIndex = 100;
  b.dim = 1;
  b.values = {1, 2, 3};
  b.instructions = {10, 10, 5};
  StreamSlice atRow(110, "in");
  RepresentationBatch c = b;
  ASSERT_TRUE(atRow.apply(c));
  EXPECT_EQ(c.firstIndex, 0u);
  EXPECT_EQ(c.values, (std::vector<float>{2, 3}));
  EXPECT_EQ(c.instructions, (std::vector<uint32_t>{10, 5}));

  RepresentationBatch d = b;
  EXPECT_FALSE(StreamSlice(125, "in").apply(d));  // ends at the cut
  RepresentationBatch e = b;
  EXPECT_THROW(StreamSlice(115, "in").apply(e), StageError);  // inside a row
}

TEST(StreamSlice, WindowStreamsAndProgramsCannotBeCut) {
  StreamHeader windows;
  windows.payload = PayloadKind::kWindows;
  StreamSlice slice(4096, "in");
  EXPECT_THROW(slice.describe(windows), StageError);
  StreamHeader program;
  program.payload = PayloadKind::kProgram;
  EXPECT_THROW(slice.describe(program), StageError);
  StreamSlice none(0, "in");
  EXPECT_EQ(none.describe(windows), windows);  // no cut, nothing to refuse
}

TEST(StreamSlice, ACutBeyondTheEndIsAnError) {
  StreamSlice slice(50, "in");
  EXPECT_NO_THROW(slice.finish(50));
  try {
    slice.finish(49);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("beyond the end of the stream (49 records)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pv::runtime
