// LabelledTraceMerger: label layout, agreement checks, length checks and
// batch-size independence.
#include "stages/trace-tap/labelled_trace_merger.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "stages/trace-readers/test_sources.h"
#include "tests/tools/gem5_synth.h"

namespace pv::gem5 {
namespace {

using testing::errorOf;
using testing::stringSource;

LabelledTrace synthTrace(const std::string& uarch, synth::Gem5SynthOptions o) {
  auto text = synth::generateGem5Trace(o);
  return LabelledTrace{
      uarch, std::make_unique<Gem5TraceReader>(
                 stringSource(uarch + "/trace.txt", text.trace),
                 stringSource(uarch + "/trace.sq.txt", text.sq))};
}

synth::Gem5SynthOptions program(uint64_t n, uint64_t seed, uint64_t timing) {
  synth::Gem5SynthOptions o;
  o.instructions = n;
  o.seed = seed;
  o.timingSeed = timing;
  return o;
}

InstructionBatch mergeAll(LabelledTraceMerger& merger, size_t batchSize) {
  InstructionBatch all, batch;
  while (merger.next(batch, batchSize)) {
    EXPECT_EQ(batch.firstIndex, all.rows.size());
    EXPECT_EQ(batch.labels.size(),
              batch.rows.size() * merger.uarchs() * kTargetCount);
    all.rows.insert(all.rows.end(), batch.rows.begin(), batch.rows.end());
    all.labels.insert(all.labels.end(), batch.labels.begin(), batch.labels.end());
  }
  return all;
}

// Labels of one trace alone.
std::vector<float> labelsOf(synth::Gem5SynthOptions o) {
  std::vector<LabelledTrace> one;
  one.push_back(synthTrace("x", o));
  LabelledTraceMerger merger(std::move(one));
  return mergeAll(merger, 4096).labels;
}

TEST(LabelledTraceMerger, DescribesUarchsAndTargetsInTheHeader) {
  std::vector<LabelledTrace> traces;
  traces.push_back(synthTrace("small", program(10, 1, 1)));
  traces.push_back(synthTrace("big", program(10, 1, 2)));
  LabelledTraceMerger merger(std::move(traces));
  StreamHeader header;
  merger.describe(header);
  EXPECT_EQ(header.uarchNames, (std::vector<std::string>{"small", "big"}));
  EXPECT_EQ(header.targetNames, targetNames());
  EXPECT_EQ(header.labelWidth(), 32u);
}

TEST(LabelledTraceMerger, LaysOutLabelsAsInstructionThenUarchThenTarget) {
  const uint64_t n = 3000;
  std::vector<LabelledTrace> traces;
  for (uint64_t t : {11, 12, 13}) traces.push_back(synthTrace("u" + std::to_string(t), program(n, 5, t)));
  LabelledTraceMerger merger(std::move(traces));
  InstructionBatch all = mergeAll(merger, 700);
  ASSERT_EQ(all.rows.size(), n);
  std::vector<float> per[3] = {labelsOf(program(n, 5, 11)), labelsOf(program(n, 5, 12)),
                               labelsOf(program(n, 5, 13))};
  EXPECT_NE(per[0], per[1]);  // different timing
  for (size_t i = 0; i < n; ++i)
    for (size_t u = 0; u < 3; ++u)
      for (int t = 0; t < kTargetCount; ++t)
        ASSERT_EQ(all.labels[(i * 3 + u) * kTargetCount + t], per[u][i * kTargetCount + t])
            << "instruction " << i << " uarch " << u << " target " << t;
  // Instruction fields come from the first trace.
  std::vector<LabelledTrace> first;
  first.push_back(synthTrace("u11", program(n, 5, 11)));
  LabelledTraceMerger alone(std::move(first));
  EXPECT_EQ(mergeAll(alone, 4096).rows, all.rows);
}

TEST(LabelledTraceMerger, LabelsTheExampleLikeTargetsExpected) {
  std::vector<LabelledTrace> traces;
  traces.push_back(LabelledTrace{"gem5", testing::exampleReader()});
  LabelledTraceMerger merger(std::move(traces));
  InstructionBatch all = mergeAll(merger, 4);
  std::string text;
  char buf[64];
  for (size_t i = 0; i < all.labels.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%g ", static_cast<double>(all.labels[i]));
    text += buf;
    if ((i + 1) % kTargetCount == 0) text += '\n';
  }
  EXPECT_EQ(text, testing::readFile(testing::kExampleDir + "/targets.expected.txt"));
}

TEST(LabelledTraceMerger, ReportsTheFirstPcDisagreementWithBothFilesAndLines) {
  std::vector<LabelledTrace> traces;
  traces.push_back(synthTrace("a", program(2000, 1, 1)));
  traces.push_back(synthTrace("b", program(2000, 2, 1)));
  LabelledTraceMerger merger(std::move(traces));
  std::string error = errorOf([&] { mergeAll(merger, 512); });
  EXPECT_NE(error.find("b/trace.txt:line "), std::string::npos) << error;
  EXPECT_NE(error.find("traces disagree at instruction "), std::string::npos) << error;
  EXPECT_NE(error.find(" in a/trace.txt:line "), std::string::npos) << error;
}

TEST(LabelledTraceMerger, ReportsADisagreementOnBranching) {
  std::string t = testing::readFile(testing::kExampleDir + "/trace.txt");
  std::string sq = testing::readFile(testing::kExampleDir + "/trace.sq.txt");
  std::string changed = t;
  // Line 13 is a taken branch: "4196496 1 1 0" -> not taken.
  changed.replace(changed.find("4196496 1 1"), 11, "4196496 0 1");
  std::vector<LabelledTrace> traces;
  traces.push_back(LabelledTrace{"a", std::make_unique<Gem5TraceReader>(
                                          stringSource("a.txt", t), stringSource("a.sq", sq))});
  traces.push_back(LabelledTrace{"b", std::make_unique<Gem5TraceReader>(
                                          stringSource("b.txt", changed),
                                          stringSource("b.sq", sq))});
  LabelledTraceMerger merger(std::move(traces));
  EXPECT_EQ(errorOf([&] { mergeAll(merger, 5); }),
            "b.txt:line 13: traces disagree at instruction 12 on branching: 0 here, "
            "1 in a.txt:line 13");
}

TEST(LabelledTraceMerger, ReportsATraceThatIsLongerThanTheOthers) {
  std::vector<LabelledTrace> traces;
  traces.push_back(synthTrace("a", program(1000, 3, 1)));
  traces.push_back(synthTrace("b", program(1200, 3, 2)));
  LabelledTraceMerger merger(std::move(traces));
  std::string error = errorOf([&] { mergeAll(merger, 300); });
  EXPECT_NE(error.find("b/trace.txt:line "), std::string::npos) << error;
  EXPECT_NE(error.find("trace is longer than a/trace.txt, which ends after 1000 "
                       "instructions (line "),
            std::string::npos)
      << error;

  std::vector<LabelledTrace> swapped;
  swapped.push_back(synthTrace("a", program(1200, 3, 1)));
  swapped.push_back(synthTrace("b", program(1000, 3, 2)));
  LabelledTraceMerger merger2(std::move(swapped));
  error = errorOf([&] { mergeAll(merger2, 1000); });  // ends on a batch boundary
  EXPECT_NE(error.find("a/trace.txt:line "), std::string::npos) << error;
  EXPECT_NE(error.find("longer than b/trace.txt, which ends after 1000"),
            std::string::npos)
      << error;
}

RC_GTEST_PROP(LabelledTraceMerger, GivesTheSameLabelledStreamForAnyBatchSize, ()) {
  const uint64_t n = *rc::gen::inRange<uint64_t>(0, 1500);
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 50);
  auto merged = [&](size_t batchSize) {
    std::vector<LabelledTrace> traces;
    synth::Gem5SynthOptions o = program(n, seed, 1);
    o.startTick = 1000;
    traces.push_back(synthTrace("a", o));
    o.timingSeed = 2;
    traces.push_back(synthTrace("b", o));
    LabelledTraceMerger merger(std::move(traces));
    return mergeAll(merger, batchSize);
  };
  const size_t batch = *rc::gen::inRange<size_t>(1, 400);
  RC_ASSERT(merged(batch) == merged(100000));
}

}  // namespace
}  // namespace pv::gem5
