// Tests of ReuseDistanceStage: header handling, the column semantics, side
// columns, and the law that any split of the input gives the same output.
#include "stages/feature-lib/reuse_distance.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {
namespace {

namespace f = pv::features;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

StreamHeader featureHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = f::columnNames();
  h.pendingColumns = {f::kFetchReuse, f::kLoadReuse, f::kStoreReuse, f::kAddrDistance};
  h.hasAddresses = true;
  return h;
}

struct Row {
  uint64_t pc;
  uint64_t addr;
  AccessKind kind;
};

FeatureBatch batchOf(const std::vector<Row>& rows, uint64_t firstIndex = 0) {
  FeatureBatch b;
  b.firstIndex = firstIndex;
  b.columns = f::kCount;
  b.values.assign(rows.size() * f::kCount, 0.0f);
  for (size_t r = 0; r < rows.size(); ++r) {
    float* row = b.row(r);
    row[f::kOpClass] = static_cast<float>(firstIndex + r);  // a marker that must survive
    for (int c : f::kReuseColumns) row[c] = kNaN;
    row[f::kHasDataAddr] = rows[r].kind == AccessKind::kNone ? 0.0f : 1.0f;
    b.pc.push_back(rows[r].pc);
    b.dataAddr.push_back(rows[r].addr);
    b.access.push_back(rows[r].kind);
  }
  return b;
}

std::vector<FeatureBatch> run(ReuseDistanceStage& stage, std::vector<FeatureBatch> in) {
  std::vector<FeatureBatch> out;
  Emit<FeatureBatch> emit = [&](FeatureBatch&& b) { out.push_back(std::move(b)); };
  for (auto& b : in) stage.process(std::move(b), emit);
  stage.finish(emit);
  return out;
}

// Columns 18, 20, 21, 22 of every output row.
std::vector<std::array<float, 4>> reuseColumns(const std::vector<FeatureBatch>& batches) {
  std::vector<std::array<float, 4>> out;
  for (const auto& b : batches)
    for (size_t r = 0; r < b.rows(); ++r) {
      const float* row = b.row(r);
      out.push_back(
          {row[f::kFetchReuse], row[f::kLoadReuse], row[f::kStoreReuse], row[f::kAddrDistance]});
    }
  return out;
}

TEST(ReuseDistanceStage, DescribeClearsTheReuseColumnsFromPending) {
  ReuseDistanceStage stage;
  StreamHeader in = featureHeader();
  in.pendingColumns.push_back(30);
  StreamHeader out = stage.describe(in);
  EXPECT_EQ(out.pendingColumns, std::vector<uint16_t>{30});
  EXPECT_FALSE(out.hasAddresses);
  EXPECT_EQ(out.featureColumns, in.featureColumns);
}

TEST(ReuseDistanceStage, DescribeKeepsAddressesWhenAsked) {
  ReuseDistanceStage stage(/*keepAddresses=*/true);
  EXPECT_TRUE(stage.describe(featureHeader()).hasAddresses);
}

TEST(ReuseDistanceStage, DescribeRejectsAStreamWithoutAddresses) {
  ReuseDistanceStage stage;
  StreamHeader in = featureHeader();
  in.hasAddresses = false;
  try {
    stage.describe(in);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_NE(e.message().find("hasAddresses"), std::string::npos) << e.what();
  }
}

TEST(ReuseDistanceStage, DescribeRejectsAnInstructionStream) {
  ReuseDistanceStage stage;
  StreamHeader in;
  in.payload = PayloadKind::kInstructions;
  in.hasAddresses = true;
  EXPECT_THROW(stage.describe(in), StageError);
}

TEST(ReuseDistanceStage, FillsTheColumnsAsDefined) {
  ReuseDistanceStage stage;
  stage.describe(featureHeader());
  const std::vector<Row> rows = {
      {0x1000, 0, AccessKind::kNone},        // 0 fetch line A (new)
      {0x1004, 0x8000, AccessKind::kLoad},   // 1 A again; load line X (new)
      {0x1040, 0x8008, AccessKind::kLoad},   // 2 B (new); X again, load reuse 1
      {0x1000, 0x8000, AccessKind::kStore},  // 3 A after B; X among stores: new
      {0x1044, 0x8010, AccessKind::kOther},  // 4 B after A; X looked up only
      {0x1048, 0x9000, AccessKind::kLoad},   // 5 B; Y (new load line)
      {0x104c, 0x8000, AccessKind::kOther},  // 6 X: loads X,Y -> 2; stores X -> 1
  };
  auto out = run(stage, {batchOf(rows)});
  auto cols = reuseColumns(out);
  ASSERT_EQ(cols.size(), rows.size());
  using A = std::array<float, 4>;
  EXPECT_EQ(cols[0], (A{1e8f, 0, 0, 0}));
  EXPECT_EQ(cols[1], (A{1, 1e8f, 1e8f, 1000}));
  EXPECT_EQ(cols[2], (A{1e8f, 1, 1e8f, 1000}));
  EXPECT_EQ(cols[3], (A{2, 1, 1e8f, 2}));  // 0x8000 last at row 1
  EXPECT_EQ(cols[4], (A{2, 1, 1, 1000}));
  EXPECT_EQ(cols[5], (A{1, 1e8f, 1e8f, 1000}));
  EXPECT_EQ(cols[6], (A{1, 2, 1, 3}));  // 0x8000 last at row 3
  // Other columns survive, side columns are dropped.
  EXPECT_EQ(out[0].row(6)[f::kOpClass], 6.0f);
  EXPECT_TRUE(out[0].pc.empty());
  EXPECT_TRUE(out[0].dataAddr.empty());
  EXPECT_TRUE(out[0].access.empty());
}

TEST(ReuseDistanceStage, KeepsTheSideColumnsWhenAsked) {
  ReuseDistanceStage stage(/*keepAddresses=*/true);
  stage.describe(featureHeader());
  auto out = run(stage, {batchOf({{0x10, 0x20, AccessKind::kLoad}})});
  EXPECT_EQ(out[0].pc, std::vector<uint64_t>{0x10});
  EXPECT_EQ(out[0].dataAddr, std::vector<uint64_t>{0x20});
  EXPECT_EQ(out[0].access, std::vector<AccessKind>{AccessKind::kLoad});
}

TEST(ReuseDistanceStage, RejectsABatchWithoutSideColumns) {
  ReuseDistanceStage stage;
  stage.describe(featureHeader());
  FeatureBatch b = batchOf({{0x10, 0x20, AccessKind::kLoad}}, 42);
  b.access.clear();
  try {
    run(stage, {std::move(b)});
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.position(), "record 42");
  }
}

TEST(ReuseDistanceStage, RejectsABatchOfTheWrongWidth) {
  ReuseDistanceStage stage;
  stage.describe(featureHeader());
  FeatureBatch b;
  b.columns = 50;
  b.values.assign(50, 0.0f);
  b.pc = {0};
  b.dataAddr = {0};
  b.access = {AccessKind::kNone};
  EXPECT_THROW(run(stage, {std::move(b)}), StageError);
}

TEST(ReuseDistanceStage, PassesLabelsThrough) {
  ReuseDistanceStage stage;
  stage.describe(featureHeader());
  FeatureBatch b = batchOf({{0x10, 0, AccessKind::kNone}, {0x14, 0, AccessKind::kNone}});
  b.labels = {1, 2, 3, 4};
  auto out = run(stage, {std::move(b)});
  EXPECT_EQ(out[0].labels, (std::vector<float>{1, 2, 3, 4}));
}

// Bitwise equality (NaN-safe) of two batch lists' concatenated values.
// A budget: while the footprint fits, the columns equal the unbounded
// stage's; on 10x the footprint the line histories stay within it, and one
// warning says that distances are no longer exact.
TEST(ReuseDistanceStage, KeepsItsHistoriesWithinTheBudgetAndWarnsOnce) {
  const size_t budget = 3 * (256 << 10);
  const size_t lines = reuse::ReuseDistanceTracker::linesFor(budget / 3);
  auto stream = [](size_t distinct, size_t rows) {
    std::vector<FeatureBatch> in;
    std::vector<Row> batch;
    for (size_t i = 0; i < rows; ++i) {
      const uint64_t line = (i * 7919) % distinct;  // every line, revisited
      batch.push_back({0x400000 + 64 * (i % 97), 0x10000000 + 64 * line,
                       i % 3 == 0 ? AccessKind::kStore : AccessKind::kLoad});
      if (batch.size() == 1000) {
        in.push_back(batchOf(batch, i + 1 - batch.size()));
        batch.clear();
      }
    }
    if (!batch.empty()) in.push_back(batchOf(batch, rows - batch.size()));
    return in;
  };
  std::vector<std::string> warnings;
  auto bounded = [&] {
    ReuseDistanceOptions o;
    o.historyBytes = budget;
    o.warn = [&](const std::string& m) { warnings.push_back(m); };
    return ReuseDistanceStage(std::move(o));
  };
  // Under budget: every column as without one.
  {
    const size_t distinct = lines / 2;
    ReuseDistanceStage unbounded, limited = bounded();
    unbounded.describe(featureHeader());
    limited.describe(featureHeader());
    const auto expected = reuseColumns(run(unbounded, stream(distinct, 4 * distinct)));
    EXPECT_EQ(reuseColumns(run(limited, stream(distinct, 4 * distinct))), expected);
    EXPECT_EQ(limited.forgottenLines(), 0u);
    EXPECT_TRUE(warnings.empty());
  }
  // 10x the footprint.
  ReuseDistanceStage limited = bounded();
  limited.describe(featureHeader());
  size_t peak = 0;
  for (auto& b : stream(10 * lines, 20 * lines)) {
    limited.process(std::move(b), [](FeatureBatch&&) {});
    peak = std::max(peak, limited.historyBytes());
  }
  std::printf("%zu distinct data lines with a %zu KiB budget: peak %zu KiB of line histories\n", 10 * lines,
              budget >> 10, peak >> 10);
  EXPECT_LE(peak, budget);
  EXPECT_GT(limited.forgottenLines(), 0u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("oldest lines are forgotten"), std::string::npos) << warnings[0];
}

std::vector<uint32_t> bits(const std::vector<FeatureBatch>& batches) {
  std::vector<uint32_t> out;
  for (const auto& b : batches) {
    size_t n = out.size();
    out.resize(n + b.values.size());
    if (!b.values.empty())
      std::memcpy(out.data() + n, b.values.data(), b.values.size() * sizeof(float));
  }
  return out;
}

RC_GTEST_PROP(ReuseDistanceStage, OutputDoesNotDependOnHowTheInputIsSplit, ()) {
  const auto lines = *rc::gen::inRange<uint64_t>(1, 8);
  const auto addrs = *rc::gen::inRange<uint64_t>(1, 24);
  const auto rows = *rc::gen::container<std::vector<Row>>(rc::gen::construct<Row>(
      rc::gen::inRange<uint64_t>(0, lines * 64),
      rc::gen::map(rc::gen::inRange<uint64_t>(0, addrs), [](uint64_t a) { return a * 8; }),
      rc::gen::element(AccessKind::kNone, AccessKind::kLoad, AccessKind::kStore,
                       AccessKind::kOther)));
  // One batch.
  ReuseDistanceStage whole;
  whole.describe(featureHeader());
  auto expected = run(whole, {batchOf(rows)});
  // Random cut points (empty batches allowed).
  const auto cuts =
      *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, rows.size() + 1));
  std::vector<size_t> sorted = cuts;
  std::sort(sorted.begin(), sorted.end());
  std::vector<FeatureBatch> pieces;
  size_t begin = 0;
  sorted.push_back(rows.size());
  for (size_t cut : sorted) {
    pieces.push_back(batchOf(std::vector<Row>(rows.begin() + begin, rows.begin() + cut), begin));
    begin = cut;
  }
  ReuseDistanceStage split;
  split.describe(featureHeader());
  auto got = run(split, std::move(pieces));
  RC_ASSERT(bits(got) == bits(expected));
  size_t total = 0;
  for (const auto& b : got) total += b.rows();
  RC_ASSERT(total == rows.size());
}

// --locality: the header names 55 columns; one pc walking a stream.
TEST(ReuseDistanceStage, FillsTheLocalityColumnsAsDefined) {
  ReuseDistanceOptions o;
  o.locality = true;
  ReuseDistanceStage stage(o);
  const StreamHeader h = stage.describe(featureHeader());
  ASSERT_EQ(h.featureColumns.size(), 55u);
  EXPECT_EQ(h.featureColumns[51], "pc_stride_lines_log2");
  EXPECT_EQ(h.featureColumns[54], "neighbour_line_reuse_log2");
  const uint64_t a = 0x10000;  // line 0x400
  const auto out = run(stage, {batchOf({{0x40, a, AccessKind::kLoad},            // first access of pc 0x40
                                        {0x40, a + 64, AccessKind::kLoad},       // +1 line
                                        {0x44, 0, AccessKind::kNone},            // no data address
                                        {0x40, a + 128, AccessKind::kLoad},      // +1 line, stride repeats
                                        {0x40, a + 128 + 8, AccessKind::kStore},  // same line
                                        {0x40, a - 64 * 7, AccessKind::kLoad}})});  // 9 lines down
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].columns, 55u);
  const float never = static_cast<float>(std::log2(1.0 + 1e8));
  const std::vector<std::array<float, 4>> expected = {
      {40, 0, 0, never},                                 // neither neighbour line seen yet
      {1, 0, 1, 1},                                      // line - 1 was the last line touched (distance 1)
      {0, 0, 0, 0},                                      // no data address: zeros
      {1, 1, 1, 1},                                      // stride 64 again; line - 1 just touched
      {0, 0, 0, static_cast<float>(std::log2(3.0))},     // stride 8; line - 1 at distance 2
      {static_cast<float>(std::log2(1.0 + 9)), 0, -1, never}};  // 9 lines down; neighbours never seen
  for (size_t r = 0; r < expected.size(); ++r) {
    const float* row = out[0].row(r);
    for (size_t c = 0; c < 4; ++c) EXPECT_FLOAT_EQ(row[51 + c], expected[r][c]) << "row " << r << " column " << 51 + c;
    EXPECT_EQ(row[f::kOpClass], static_cast<float>(r));  // the 51 are carried over
  }
}

// --locality appends columns and changes none of the 51 (bit for bit), and
// its columns do not depend on how the input is split either.
RC_GTEST_PROP(ReuseDistanceStage, LocalityKeepsThe51AndDoesNotDependOnTheSplit, ()) {
  const auto rows = *rc::gen::container<std::vector<Row>>(rc::gen::construct<Row>(
      rc::gen::inRange<uint64_t>(0, 6),
      rc::gen::map(rc::gen::inRange<uint64_t>(0, 64), [](uint64_t a) { return a * 24; }),
      rc::gen::element(AccessKind::kNone, AccessKind::kLoad, AccessKind::kStore, AccessKind::kOther)));
  ReuseDistanceStage plain;
  plain.describe(featureHeader());
  const auto narrow = run(plain, {batchOf(rows)});
  ReuseDistanceOptions o;
  o.locality = true;
  ReuseDistanceStage whole(o);
  whole.describe(featureHeader());
  const auto wide = run(whole, {batchOf(rows)});
  RC_ASSERT(wide.size() == 1u);
  RC_ASSERT(wide[0].columns == 55u);
  for (size_t r = 0; r < rows.size(); ++r)
    RC_ASSERT(std::memcmp(wide[0].row(r), narrow[0].row(r), 51 * sizeof(float)) == 0);
  const size_t cut = *rc::gen::inRange<size_t>(0, rows.size() + 1);
  ReuseDistanceStage split(o);
  split.describe(featureHeader());
  const auto pieces = run(split, {batchOf(std::vector<Row>(rows.begin(), rows.begin() + cut)),
                                  batchOf(std::vector<Row>(rows.begin() + cut, rows.end()), cut)});
  RC_ASSERT(bits(pieces) == bits(wide));
}

}  // namespace
}  // namespace pv
