// Tests of FeatureExtractor: the header, every feature column, the side
// columns, labels, and the law that any split of the input gives the same
// output.
#include "stages/feature/feature_extractor.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {
namespace {

namespace f = pv::features;

StreamHeader instructionHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kInstructions;
  h.source = "test";
  return h;
}

std::vector<FeatureBatch> run(FeatureExtractor& fx, std::vector<InstructionBatch> in) {
  std::vector<FeatureBatch> out;
  Emit<FeatureBatch> emit = [&](FeatureBatch&& b) { out.push_back(std::move(b)); };
  for (auto& b : in) fx.process(std::move(b), emit);
  fx.finish(emit);
  return out;
}

// Features of one instruction (a fresh extractor).
std::vector<float> featuresOf(const Instruction& inst) {
  FeatureExtractor fx;
  fx.describe(instructionHeader());
  auto out = run(fx, {InstructionBatch{0, {inst}, {}}});
  return std::vector<float>(out.at(0).row(0), out.at(0).row(0) + f::kCount);
}

// Compares with a line of features.expected.txt, skipping the reuse columns
// (which must be NaN here).
void expectRow(const std::vector<float>& got, const std::string& line) {
  std::vector<float> expected;
  std::istringstream in(line);
  for (float v; in >> v;) expected.push_back(v);
  ASSERT_EQ(got.size(), expected.size());
  for (int c = 0; c < f::kCount; ++c) {
    bool pending =
        c == f::kFetchReuse || c == f::kLoadReuse || c == f::kStoreReuse || c == f::kAddrDistance;
    if (pending)
      EXPECT_TRUE(std::isnan(got[c])) << "column " << c;
    else
      EXPECT_EQ(got[c], expected[c]) << "column " << c;
  }
}

Instruction intAlu(uint64_t pc) {
  Instruction i;
  i.opClass = kOpIntAlu;
  i.pc = pc;
  return i;
}

TEST(FeatureExtractor, DescribeTurnsAnInstructionHeaderIntoAFeatureHeader) {
  FeatureExtractor fx;
  StreamHeader in = instructionHeader();
  in.targetNames = {"fetch", "commit"};
  in.uarchNames = {"u0"};
  in.modelId = "m";
  StreamHeader out = fx.describe(in);
  EXPECT_EQ(out.payload, PayloadKind::kFeatures);
  EXPECT_EQ(out.featureColumns, f::columnNames());
  EXPECT_EQ(out.pendingColumns, (std::vector<uint16_t>{18, 20, 21, 22}));
  EXPECT_TRUE(out.hasAddresses);
  EXPECT_EQ(out.source, "test");
  EXPECT_EQ(out.targetNames, in.targetNames);
  EXPECT_EQ(out.uarchNames, in.uarchNames);
  EXPECT_EQ(out.modelId, "m");
}

TEST(FeatureExtractor, DescribeRejectsAFeatureStream) {
  FeatureExtractor fx;
  StreamHeader in;
  in.payload = PayloadKind::kFeatures;
  EXPECT_THROW(fx.describe(in), StageError);
}

// Instructions 0, 3, 12 and 14 of the gem5 example (trace.txt, trace.sq.txt)
// built by hand, against their lines of features.expected.txt.
TEST(FeatureExtractor, ReproducesAnIntAluOfTheGem5Example) {
  Instruction i = intAlu(4196448);
  i.dstCount = 1;
  i.dst[0] = {0, 29};
  expectRow(featuresOf(i),
            "0 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1e+08 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 "
            "30 0 0 0 0 0 0 0 0 0 0");
}

TEST(FeatureExtractor, ReproducesALoadOfTheGem5Example) {
  Instruction i;
  i.opClass = kOpMemRead;
  i.effAddrValid = true;
  i.dataAddr = 549755747984;
  i.accessSize = 8;
  i.pc = 4196460;
  i.srcCount = 1;
  i.src[0] = {0, 42};
  i.dstCount = 1;
  i.dst[0] = {0, 1};
  expectRow(featuresOf(i),
            "0 48 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1e+08 1e+08 1000 1 43 0 0 0 0 0 0 0 0 0 0 0 "
            "0 0 0 1 2 0 0 0 0 0 0 0 0 0 0");
}

TEST(FeatureExtractor, ReproducesAnUnconditionalBranchOfTheGem5Example) {
  Instruction i = intAlu(4196496);
  i.flags = kFlagUncondCtrl | kFlagDirectCtrl;
  i.branching = true;
  i.dstCount = 1;
  i.dst[0] = {0, 30};
  expectRow(featuresOf(i),
            "0 2 0 0 0 0 1 1 0 0 0 0 0 0 0 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 31 0 "
            "0 0 0 0 0 0 0 0 0");
}

TEST(FeatureExtractor, ReproducesAStoreQueueStoreOfTheGem5Example) {
  Instruction i;
  i.sqIndex = 1;
  i.opClass = kOpMemWrite;
  i.flags = kFlagMicroop;
  i.effAddrValid = true;
  i.dataAddr = 549755747600;
  i.pc = 4196960;
  i.srcCount = 2;
  i.src[0] = {0, 35};
  i.src[1] = {0, 29};
  expectRow(featuresOf(i),
            "0 49 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1e+08 1e+08 1000 1 36 1 30 0 0 0 0 0 0 0 0 0 "
            "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0");
}

TEST(FeatureExtractor, EachTraceFlagLandsInItsColumn) {
  struct Case {
    InstructionFlag flag;
    int column;
    float value;
  };
  const Case cases[] = {
      {kFlagMicroop, 4, 1},          {kFlagCondCtrl, 5, 1},      {kFlagUncondCtrl, 6, 1},
      {kFlagDirectCtrl, 7, 1},       {kFlagSquashAfter, 8, 1},   {kFlagSerializeAfter, 9, 1},
      {kFlagSerializeBefore, 10, 1}, {kFlagAtomic, 11, 2},       {kFlagStoreConditional, 11, 1},
      {kFlagReadBarrier, 12, 1},     {kFlagWriteBarrier, 13, 1}, {kFlagNonSpeculative, 14, 1},
  };
  for (const Case& c : cases) {
    Instruction i = intAlu(0x400);
    i.flags = c.flag;
    std::vector<float> row = featuresOf(i);
    for (int col = 4; col <= 14; ++col)
      EXPECT_EQ(row[col], col == c.column ? c.value : 0.0f)
          << "flag " << c.flag << ", column " << col;
  }
}

TEST(FeatureExtractor, QuiesceHasNoColumn) {
  Instruction i = intAlu(0x400);
  i.flags = kFlagQuiesce;
  std::vector<float> row = featuresOf(i);
  for (int col = 4; col <= 17; ++col) EXPECT_EQ(row[col], 0.0f) << col;
}

TEST(FeatureExtractor, StoreConditionalPlusTwiceAtomicGivesThree) {
  Instruction i = intAlu(0x400);
  i.flags = kFlagAtomic | kFlagStoreConditional;
  EXPECT_EQ(featuresOf(i)[f::kScAtomic], 3.0f);
}

TEST(FeatureExtractor, AStoreQueueStoreExcludesStoreConditionalAndAtomic) {
  Instruction i;
  i.opClass = kOpMemWrite;
  i.sqIndex = 3;
  EXPECT_EQ(featuresOf(i)[f::kStoreQueueStore], 1.0f);
  i.flags = kFlagStoreConditional;
  EXPECT_EQ(featuresOf(i)[f::kStoreQueueStore], 0.0f);
  i.flags = kFlagAtomic;
  EXPECT_EQ(featuresOf(i)[f::kStoreQueueStore], 0.0f);
  i.flags = 0;
  i.sqIndex = -1;
  EXPECT_EQ(featuresOf(i)[f::kStoreQueueStore], 0.0f);
}

TEST(FeatureExtractor, FillsAllEightSourceAndSixDestinationSlots) {
  Instruction i = intAlu(0x400);
  i.srcCount = kMaxSrcRegs;
  i.dstCount = kMaxDstRegs;
  for (int k = 0; k < kMaxSrcRegs; ++k)
    i.src[k] = {static_cast<uint8_t>(k % 7), static_cast<uint16_t>(k)};
  for (int k = 0; k < kMaxDstRegs; ++k) i.dst[k] = {6, static_cast<uint16_t>(100 + k)};
  std::vector<float> row = featuresOf(i);
  for (int k = 0; k < kMaxSrcRegs; ++k) {
    EXPECT_EQ(row[f::kFirstSrc + 2 * k], static_cast<float>(k % 7 + 1));
    EXPECT_EQ(row[f::kFirstSrc + 2 * k + 1], static_cast<float>(k + 1));
  }
  for (int k = 0; k < kMaxDstRegs; ++k) {
    EXPECT_EQ(row[f::kFirstDst + 2 * k], 7.0f);
    EXPECT_EQ(row[f::kFirstDst + 2 * k + 1], static_cast<float>(101 + k));
  }
}

TEST(FeatureExtractor, EntropyIsZeroForNonConditionalInstructions) {
  FeatureExtractor fx;
  fx.describe(instructionHeader());
  Instruction jump = intAlu(0x400);
  jump.flags = kFlagUncondCtrl;
  jump.branching = true;
  auto out = run(fx, {InstructionBatch{0, {jump, jump, intAlu(0x404)}, {}}});
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(out[0].row(r)[f::kEntropyPre], 0.0f);
    EXPECT_EQ(out[0].row(r)[f::kEntropyNow], 0.0f);
  }
  EXPECT_EQ(fx.branchHistories(), 0u);
}

TEST(FeatureExtractor, EntropyFollowsTheConditionalBranchHistoryOfItsPc) {
  FeatureExtractor fx;
  fx.describe(instructionHeader());
  Instruction br = intAlu(0x400);
  br.flags = kFlagCondCtrl;
  br.branching = true;
  auto out = run(fx, {InstructionBatch{0, {br}, {}}});
  EXPECT_FLOAT_EQ(out[0].row(0)[f::kEntropyPre], std::log(2.0f));
  double p = 4.5 / 8;
  EXPECT_FLOAT_EQ(out[0].row(0)[f::kEntropyNow],
                  static_cast<float>(-p * std::log(p) - (1 - p) * std::log(1 - p)));
  EXPECT_EQ(fx.branchHistories(), 1u);
}

TEST(FeatureExtractor, FillsTheSideColumnsAndAccessKinds) {
  Instruction none = intAlu(0x10);
  none.dataAddr = 0x999;  // ignored: no valid address
  Instruction load;
  load.opClass = kOpMemRead;
  load.effAddrValid = true;
  load.dataAddr = 0x100;
  load.pc = 0x14;
  Instruction store = load;
  store.opClass = kOpMemWrite;
  store.pc = 0x18;
  Instruction sqStore = load;
  sqStore.opClass = 30;  // not a MemWrite, but in the store queue
  sqStore.sqIndex = 0;
  Instruction other = load;
  other.opClass = kOpIntAlu;
  Instruction loadNoAddr = load;
  loadNoAddr.effAddrValid = false;
  FeatureExtractor fx;
  fx.describe(instructionHeader());
  auto out = run(fx, {InstructionBatch{7, {none, load, store, sqStore, other, loadNoAddr}, {}}});
  const FeatureBatch& b = out.at(0);
  EXPECT_EQ(b.firstIndex, 7u);
  EXPECT_EQ(b.rows(), 6u);
  EXPECT_EQ(b.pc, (std::vector<uint64_t>{0x10, 0x14, 0x18, 0x14, 0x14, 0x14}));
  EXPECT_EQ(b.dataAddr, (std::vector<uint64_t>{0, 0x100, 0x100, 0x100, 0x100, 0}));
  EXPECT_EQ(b.access,
            (std::vector<AccessKind>{AccessKind::kNone, AccessKind::kLoad, AccessKind::kStore,
                                     AccessKind::kStore, AccessKind::kStore, AccessKind::kNone}));
  const float hasAddr[] = {0, 1, 1, 1, 1, 0};
  for (size_t r = 0; r < 6; ++r) EXPECT_EQ(b.row(r)[f::kHasDataAddr], hasAddr[r]) << r;
}

TEST(FeatureExtractor, PassesLabelsThrough) {
  FeatureExtractor fx;
  StreamHeader h = instructionHeader();
  h.targetNames = {"a", "b"};
  h.uarchNames = {"u"};
  fx.describe(h);
  auto out = run(fx, {InstructionBatch{0, {intAlu(1), intAlu(2)}, {1, 2, 3, 4}}});
  EXPECT_EQ(out[0].labels, (std::vector<float>{1, 2, 3, 4}));
}

TEST(FeatureExtractor, RejectsLabelsThatDoNotMatchTheHeader) {
  FeatureExtractor fx;
  StreamHeader h = instructionHeader();
  h.targetNames = {"a", "b"};
  h.uarchNames = {"u"};
  fx.describe(h);
  try {
    run(fx, {InstructionBatch{5, {intAlu(1), intAlu(2)}, {1, 2, 3}}});
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.position(), "record 5");
  }
}

TEST(FeatureExtractor, ExtractAllDrainsABatchSource) {
  FeatureExtractor fx;
  fx.describe(instructionHeader());
  int calls = 0;
  std::vector<FeatureBatch> out;
  extractAll(
      fx,
      [&](InstructionBatch& b) {
        if (calls == 3) return false;
        b.firstIndex = static_cast<uint64_t>(calls) * 2;
        b.rows = {intAlu(0x10), intAlu(0x14)};
        ++calls;
        return true;
      },
      [&](FeatureBatch&& b) { out.push_back(std::move(b)); });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].firstIndex, 4u);
  EXPECT_EQ(out[2].rows(), 2u);
}

// Random instructions over a few PCs, all flag combinations, some memory.
rc::Gen<Instruction> genInstruction() {
  return rc::gen::map(
      rc::gen::tuple(
          rc::gen::inRange<uint64_t>(0, 6), rc::gen::inRange<uint16_t>(0, 1 << 13),
          rc::gen::elementOf(std::vector<uint16_t>{kOpIntAlu, kOpMemRead, kOpMemWrite, 0, 30}),
          rc::gen::arbitrary<bool>(), rc::gen::arbitrary<bool>(),
          rc::gen::inRange<uint64_t>(0, 1000), rc::gen::inRange<int>(-1, 3),
          rc::gen::inRange<int>(0, kMaxSrcRegs + 1), rc::gen::inRange<int>(0, kMaxDstRegs + 1)),
      [](const auto& t) {
        const auto& [pc, flags, op, taken, addrValid, addr, sq, srcs, dsts] = t;
        Instruction i;
        i.pc = 0x1000 + 4 * pc;
        i.flags = flags;
        i.opClass = op;
        i.branching = taken;
        i.effAddrValid = addrValid;
        i.dataAddr = addr;
        i.sqIndex = sq;
        i.srcCount = static_cast<uint8_t>(srcs);
        i.dstCount = static_cast<uint8_t>(dsts);
        for (int k = 0; k < srcs; ++k)
          i.src[k] = {static_cast<uint8_t>(k), static_cast<uint16_t>(pc + k)};
        for (int k = 0; k < dsts; ++k)
          i.dst[k] = {static_cast<uint8_t>(k), static_cast<uint16_t>(pc * k)};
        return i;
      });
}

// Everything a list of batches carries, concatenated; floats as bits.
struct Flat {
  std::vector<uint32_t> values;
  std::vector<uint64_t> pc, dataAddr;
  std::vector<AccessKind> access;
  std::vector<float> labels;
  bool operator==(const Flat&) const = default;
};

Flat flatten(const std::vector<FeatureBatch>& batches) {
  Flat out;
  for (const auto& b : batches) {
    size_t n = out.values.size();
    out.values.resize(n + b.values.size());
    if (!b.values.empty())
      std::memcpy(out.values.data() + n, b.values.data(), b.values.size() * sizeof(float));
    out.pc.insert(out.pc.end(), b.pc.begin(), b.pc.end());
    out.dataAddr.insert(out.dataAddr.end(), b.dataAddr.begin(), b.dataAddr.end());
    out.access.insert(out.access.end(), b.access.begin(), b.access.end());
    out.labels.insert(out.labels.end(), b.labels.begin(), b.labels.end());
  }
  return out;
}

RC_GTEST_PROP(FeatureExtractor, OutputDoesNotDependOnHowTheInputIsSplit, ()) {
  const auto insts = *rc::gen::container<std::vector<Instruction>>(genInstruction());
  StreamHeader h = instructionHeader();
  h.targetNames = {"t"};
  h.uarchNames = {"u"};
  std::vector<float> labels(insts.size());
  for (size_t k = 0; k < labels.size(); ++k) labels[k] = static_cast<float>(k);

  FeatureExtractor whole;
  whole.describe(h);
  auto expected = flatten(run(whole, {InstructionBatch{0, insts, labels}}));

  auto cuts =
      *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, insts.size() + 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(insts.size());
  std::vector<InstructionBatch> pieces;
  size_t begin = 0;
  for (size_t cut : cuts) {
    pieces.push_back(InstructionBatch{
        begin, std::vector<Instruction>(insts.begin() + begin, insts.begin() + cut),
        std::vector<float>(labels.begin() + begin, labels.begin() + cut)});
    begin = cut;
  }
  FeatureExtractor split;
  split.describe(h);
  auto got = run(split, std::move(pieces));
  for (const auto& b : got) RC_ASSERT(b.rows() == b.pc.size());
  RC_ASSERT(flatten(got) == expected);
}

}  // namespace
}  // namespace pv
