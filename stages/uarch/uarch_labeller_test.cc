// UarchLabeller laws: labels do not depend on how the input is split into
// batches or on threads; N configurations in one pass label exactly as
// each alone; the header follows the gem5 label schema; an already
// labelled input keeps its labels.

#include "stages/uarch/uarch_labeller.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "stages/core/stage_error.h"
#include "stages/core/targets.h"
#include "stages/uarch/config_sampler.h"
#include "stages/uarch/synthetic_streams.h"

namespace pv::uarch {
namespace {

StreamHeader instructionHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kInstructions;
  h.source = "test";
  return h;
}

// Runs the labeller over `insts` cut at `cuts` (batch sizes); returns the
// concatenated output.
InstructionBatch label(UarchLabeller& labeller, const std::vector<Instruction>& insts,
                       const std::vector<size_t>& cuts, const StreamHeader& in = instructionHeader(),
                       const std::vector<float>& inputLabels = {}) {
  const StreamHeader out = labeller.describe(in);
  const size_t inWidth = in.labelWidth();
  InstructionBatch all;
  uint64_t expectedIndex = 0;
  Emit<InstructionBatch> emit = [&](InstructionBatch&& b) {
    EXPECT_EQ(b.firstIndex, expectedIndex);
    EXPECT_EQ(b.labels.size(), b.rows.size() * out.labelWidth());
    expectedIndex += b.rows.size();
    all.rows.insert(all.rows.end(), b.rows.begin(), b.rows.end());
    all.labels.insert(all.labels.end(), b.labels.begin(), b.labels.end());
  };
  size_t at = 0;
  auto feed = [&](size_t count) {
    InstructionBatch b;
    b.firstIndex = at;
    b.rows.assign(insts.begin() + at, insts.begin() + at + count);
    if (inWidth) b.labels.assign(inputLabels.begin() + at * inWidth, inputLabels.begin() + (at + count) * inWidth);
    labeller.process(std::move(b), emit);
    at += count;
  };
  for (size_t cut : cuts) feed(std::min(cut, insts.size() - at));
  feed(insts.size() - at);
  labeller.finish(emit);
  return all;
}

std::vector<UarchConfig> someConfigs(uint64_t seed, size_t n) {
  std::vector<UarchConfig> configs;
  for (size_t i = 0; i < n; ++i) configs.push_back(sampleConfig(seed, uint32_t(i)));
  return configs;
}

// Random instructions of every kind: ALU, loads, stores, conditional and
// indirect branches with changing targets, serialising instructions.
std::vector<Instruction> randomStream(uint64_t seed, size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<Instruction> out;
  uint64_t pc = synthetic::kCodeBase;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t r = rng();
    Instruction inst;
    switch (r % 8) {
      case 0: inst = synthetic::load(pc, synthetic::kDataBase + ((r >> 8) % 4096) * 8, uint16_t((r >> 20) % 40), {uint16_t((r >> 28) % 40)}); break;
      case 1: inst = synthetic::store(pc, synthetic::kDataBase + ((r >> 8) % 4096) * 8, uint16_t((r >> 20) % 40)); break;
      case 2: inst = synthetic::branch(pc, true, (r >> 8) & 1); break;
      case 3: inst = synthetic::branch(pc, false, true); inst.flags = kFlagUncondCtrl; break;  // indirect
      default: inst = synthetic::alu(pc, uint16_t((r >> 8) % 40), {uint16_t((r >> 16) % 40)}); break;
    }
    if ((r >> 40) % 50 == 0) inst.flags |= kFlagSerializeBefore;
    if ((r >> 46) % 60 == 0) inst.flags |= kFlagSquashAfter;
    if ((r >> 52) % 7 == 0) inst.opClass = uint16_t((r >> 56) % 53);
    out.push_back(inst);
    const bool jumps = inst.has(kFlagUncondCtrl) || (inst.has(kFlagCondCtrl) && inst.branching);
    pc = jumps ? synthetic::kCodeBase + ((r >> 32) % 64) * 4 : pc + 4;
  }
  return out;
}

TEST(UarchLabeller, HeaderFollowsTheGem5LabelSchema) {
  UarchLabeller labeller(someConfigs(3, 2));
  StreamHeader out = labeller.describe(instructionHeader());
  EXPECT_EQ(out.targetNames, targetNames());
  EXPECT_EQ(out.uarchNames, (std::vector<std::string>{"s3-0000", "s3-0001"}));
  EXPECT_EQ(out.labelWidth(), 32u);
}

TEST(UarchLabeller, RefusesFeatureStreamsAndRepeatedNames) {
  UarchLabeller labeller(someConfigs(3, 1));
  StreamHeader features = instructionHeader();
  features.payload = PayloadKind::kFeatures;
  EXPECT_THROW(labeller.describe(features), StageError);
  auto twice = someConfigs(3, 1);
  twice.push_back(twice[0]);
  EXPECT_THROW(UarchLabeller{twice}, StageError);
}

RC_GTEST_PROP(UarchLabeller, labelsDoNotDependOnBatchSizesOrThreads, ()) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(0, 1000000);
  const size_t n = *rc::gen::inRange<size_t>(0, 3000);
  const auto cuts = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, 700));
  const auto insts = randomStream(seed, n);
  UarchLabeller whole(someConfigs(seed, 3));
  const InstructionBatch expected = label(whole, insts, {});
  UarchLabeller split(someConfigs(seed, 3), 2);
  const InstructionBatch got = label(split, insts, cuts);
  RC_ASSERT(got.rows == insts);
  RC_ASSERT(got.labels == expected.labels);
}

TEST(UarchLabeller, ManyConfigurationsInOnePassLabelAsEachAlone) {
  const auto insts = synthetic::mixed(30000, 5);
  const auto configs = someConfigs(11, 6);
  UarchLabeller all(configs);
  const InstructionBatch together = label(all, insts, {4096, 4096, 100, 7});
  const size_t width = configs.size() * 16;
  for (size_t u = 0; u < configs.size(); ++u) {
    UarchLabeller alone({configs[u]});
    const InstructionBatch single = label(alone, insts, {1000});
    for (size_t r = 0; r < insts.size(); ++r)
      for (size_t t = 0; t < 16; ++t)
        ASSERT_EQ(together.labels[r * width + u * 16 + t], single.labels[r * 16 + t])
            << "config " << u << " instruction " << r << " target " << t;
    EXPECT_EQ(all.reports()[u].values, alone.reports()[0].values);
  }
}

TEST(UarchLabeller, LabelledInputKeepsItsLabelsAndGainsTheModels) {
  const auto insts = synthetic::mixed(500, 2);
  StreamHeader in = instructionHeader();
  in.targetNames = targetNames();
  in.uarchNames = {"gem5-run"};
  std::vector<float> gem5Labels(insts.size() * 16);
  for (size_t i = 0; i < gem5Labels.size(); ++i) gem5Labels[i] = float(i);
  UarchLabeller labeller(someConfigs(4, 1));
  EXPECT_EQ(labeller.describe(in).uarchNames, (std::vector<std::string>{"gem5-run", "s4-0000"}));
  UarchLabeller fresh(someConfigs(4, 1));
  const InstructionBatch got = label(fresh, insts, {100, 50}, in, gem5Labels);
  UarchLabeller alone(someConfigs(4, 1));
  const InstructionBatch own = label(alone, insts, {});
  for (size_t r = 0; r < insts.size(); ++r)
    for (size_t t = 0; t < 16; ++t) {
      ASSERT_EQ(got.labels[r * 32 + t], gem5Labels[r * 16 + t]);
      ASSERT_EQ(got.labels[r * 32 + 16 + t], own.labels[r * 16 + t]);
    }
}

TEST(UarchLabeller, AnIndirectBranchWithANewTargetIsAMispredictEvenAcrossBatches) {
  // The same indirect jump alternates between two targets; the BTB holds
  // the last one, so every jump after the first is mispredicted (the first
  // is a BTB miss of an indirect branch: mispredicted too).
  std::vector<Instruction> insts;
  for (int i = 0; i < 20; ++i) {
    Instruction jump = synthetic::branch(synthetic::kCodeBase, false, true);
    jump.flags = kFlagUncondCtrl;
    insts.push_back(jump);
    insts.push_back(synthetic::alu(synthetic::kCodeBase + 0x100 * (1 + i % 2), 1));
  }
  UarchConfig c;
  UarchLabeller labeller({c});
  std::vector<size_t> ones(insts.size(), 1);
  const InstructionBatch got = label(labeller, insts, ones);
  for (size_t r = 0; r < insts.size(); ++r)
    EXPECT_EQ(got.labels[r * 16 + 15], r % 2 == 0 ? 1.0f : 0.0f) << "instruction " << r;
}

}  // namespace
}  // namespace pv::uarch
