// Tests of DependencyStage: the header, each column on a hand-made
// dataflow, labels passing through, bad input, and the law that any split
// of the input gives the same output.
#include "stages/feature-lib/dependency.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {
namespace {

namespace f = pv::features;

StreamHeader featureHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = f::columnNames();
  return h;
}

// One instruction: its integer source and destination registers and
// whether it is a load.
struct Insn {
  std::vector<int> sources, destinations;
  bool load = false;
};

FeatureBatch batchOf(const std::vector<Insn>& insns, uint64_t firstIndex = 0) {
  FeatureBatch b;
  b.firstIndex = firstIndex;
  b.columns = f::kCount;
  b.values.assign(insns.size() * f::kCount, 0.0f);
  for (size_t r = 0; r < insns.size(); ++r) {
    float* row = b.row(r);
    row[f::kOpClass] = static_cast<float>(firstIndex + r);  // a marker that must survive
    row[f::kLoad] = insns[r].load ? 1.0f : 0.0f;
    for (size_t s = 0; s < insns[r].sources.size(); ++s) {
      row[f::kFirstSrc + 2 * s] = 1.0f;  // class 0 (integer) + 1
      row[f::kFirstSrc + 2 * s + 1] = static_cast<float>(insns[r].sources[s] + 1);
    }
    for (size_t d = 0; d < insns[r].destinations.size(); ++d) {
      row[f::kFirstDst + 2 * d] = 1.0f;
      row[f::kFirstDst + 2 * d + 1] = static_cast<float>(insns[r].destinations[d] + 1);
    }
  }
  return b;
}

std::vector<float> appended(const FeatureBatch& b, size_t r) {
  const float* row = b.row(r);
  return {row[f::kCount], row[f::kCount + 1], row[f::kCount + 2], row[f::kCount + 3]};
}

TEST(DependencyStage, HeaderNamesTheFourColumnsAfterTheStreams) {
  DependencyStage stage;
  StreamHeader out = stage.describe(featureHeader());
  ASSERT_EQ(out.featureColumns.size(), static_cast<size_t>(f::kCount + f::kDependencyCount));
  EXPECT_EQ(std::vector<std::string>(out.featureColumns.end() - 4, out.featureColumns.end()),
            f::dependencyColumnNames());
  // After the locality columns too.
  StreamHeader wide = featureHeader();
  for (const auto& n : f::localityColumnNames()) wide.featureColumns.push_back(n);
  DependencyStage second;
  EXPECT_EQ(second.describe(wide).featureColumns.size(), static_cast<size_t>(f::kCount + f::kLocalityCount + f::kDependencyCount));
}

TEST(DependencyStage, ColumnsFollowTheDataflow) {
  // r1 = load [r0]; r2 = load [r1]; r3 = r2 + r1; r4 = r5 (r5 never written)
  std::vector<Insn> insns = {
      {{0}, {1}, true},
      {{1}, {2}, true},
      {{2, 1}, {3}, false},
      {{5}, {4}, false},
  };
  DependencyStage stage;
  stage.describe(featureHeader());
  FeatureBatch b = batchOf(insns);
  stage.fill(b);
  ASSERT_EQ(b.columns, static_cast<uint32_t>(f::kCount + f::kDependencyCount));
  ASSERT_EQ(b.rows(), 4u);
  const float far = std::log2(1.0f + static_cast<float>(kDependencyCap));
  // No producer: the far distance, depth 1; a load counts itself.
  EXPECT_EQ(appended(b, 0), (std::vector<float>{far, 1, 0, 1}));
  // Its producer is the load just before: distance 1, depth 2, two loads in a chain.
  EXPECT_EQ(appended(b, 1), (std::vector<float>{1, 2, 1, 2}));
  // Nearest producer 1 back (r2), depth 3 through both loads.
  EXPECT_EQ(appended(b, 2), (std::vector<float>{1, 3, 1, 2}));
  EXPECT_EQ(appended(b, 3), (std::vector<float>{far, 1, 0, 0}));
  // The 51 are untouched.
  for (size_t r = 0; r < 4; ++r) EXPECT_EQ(b.row(r)[f::kOpClass], static_cast<float>(r));
}

TEST(DependencyStage, DepthRestartsInEachBlockButDistanceDoesNot) {
  // A serial chain r0 = r0 + 1 over two blocks.
  std::vector<Insn> insns(kDependencyBlock + 2, Insn{{0}, {0}, false});
  DependencyStage stage;
  stage.describe(featureHeader());
  FeatureBatch b = batchOf(insns);
  stage.fill(b);
  EXPECT_EQ(appended(b, kDependencyBlock - 1)[1], static_cast<float>(kDependencyBlock));
  EXPECT_EQ(appended(b, kDependencyBlock)[1], 1.0f);
  EXPECT_EQ(appended(b, kDependencyBlock + 1)[1], 2.0f);
  EXPECT_EQ(appended(b, kDependencyBlock)[0], 1.0f);  // log2(1 + 1)
}

TEST(DependencyStage, DistancesPastTheCapReadAsFar) {
  std::vector<Insn> insns(kDependencyCap + 2);
  insns[0] = {{}, {7}, true};
  insns[kDependencyCap] = {{7}, {}, false};      // exactly the cap back: far, not from a load
  insns[kDependencyCap + 1] = {{}, {}, false};
  DependencyStage stage;
  stage.describe(featureHeader());
  FeatureBatch b = batchOf(insns);
  stage.fill(b);
  const float far = std::log2(1.0f + static_cast<float>(kDependencyCap));
  EXPECT_EQ(appended(b, kDependencyCap)[0], far);
  EXPECT_EQ(appended(b, kDependencyCap)[2], 1.0f);  // within 1024 inclusive
  EXPECT_EQ(appended(b, kDependencyCap + 1)[0], far);
}

TEST(DependencyStage, LabelsPassThrough) {
  DependencyStage stage;
  stage.describe(featureHeader());
  FeatureBatch b = batchOf({{{0}, {1}, false}, {{1}, {2}, false}});
  b.labels = {1.5f, 2.5f, 3.5f, 4.5f};
  std::vector<FeatureBatch> out;
  stage.process(std::move(b), [&](FeatureBatch&& o) { out.push_back(std::move(o)); });
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].labels, (std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f}));
}

TEST(DependencyStage, RefusesWhatItCannotExtend) {
  StreamHeader instructions = featureHeader();
  instructions.payload = PayloadKind::kInstructions;
  DependencyStage a;
  EXPECT_THROW(a.describe(instructions), StageError);
  StreamHeader twice = DependencyStage().describe(featureHeader());
  DependencyStage b;
  try {
    b.describe(twice);
    FAIL() << "a stream with the columns was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("dep_distance_log2"), std::string::npos) << e.what();
  }
  DependencyStage c;
  c.describe(featureHeader());
  FeatureBatch narrow = batchOf({{{0}, {1}, false}});
  narrow.columns = 50;
  narrow.values.resize(50);
  EXPECT_THROW(c.fill(narrow), StageError);
  // A register that is not a pair of whole numbers names its record.
  DependencyStage d;
  d.describe(featureHeader());
  FeatureBatch bad = batchOf({{{0}, {1}, false}, {{1}, {2}, false}}, 40);
  bad.row(1)[f::kFirstSrc + 1] = std::nanf("");
  try {
    d.fill(bad);
    FAIL() << "a NaN register was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("record 41"), std::string::npos) << e.what();
  }
}

RC_GTEST_PROP(DependencyStage, OutputDoesNotDependOnHowTheInputIsSplit, ()) {
  const auto regs = *rc::gen::inRange(1, 6);
  const auto insns = *rc::gen::container<std::vector<Insn>>(rc::gen::build<Insn>(
      rc::gen::set(&Insn::sources, rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 3),
                                                                          rc::gen::inRange(0, regs))),
      rc::gen::set(&Insn::destinations, rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 3),
                                                                               rc::gen::inRange(0, regs))),
      rc::gen::set(&Insn::load, rc::gen::arbitrary<bool>())));
  RC_PRE(!insns.empty());
  DependencyStage whole;
  whole.describe(featureHeader());
  FeatureBatch all = batchOf(insns);
  whole.fill(all);
  // The same rows in pieces.
  DependencyStage split;
  split.describe(featureHeader());
  std::vector<float> pieces;
  size_t at = 0;
  while (at < insns.size()) {
    const size_t n = *rc::gen::inRange<size_t>(1, insns.size() - at + 1);
    FeatureBatch b = batchOf(std::vector<Insn>(insns.begin() + at, insns.begin() + at + n), at);
    split.fill(b);
    pieces.insert(pieces.end(), b.values.begin(), b.values.end());
    at += n;
  }
  RC_ASSERT(pieces == all.values);
}

}  // namespace
}  // namespace pv
