// pv-window laws: the own rows of the output are the input rows in order;
// each batch's context is exactly the W-1 rows before it (zero padding at
// stream start); batches hold whole chunks; nothing depends on how the input
// was split.

#include "stages/feature-lib/window_chunker.h"

#include <cmath>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {
namespace {

constexpr uint32_t kColumns = 3;

StreamHeader featureHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a", "b", "c"};
  h.uarchNames = {"u"};
  h.targetNames = {"t"};
  return h;
}

std::vector<FeatureBatch> run(WindowChunker& w, const std::vector<float>& rows, const std::vector<size_t>& cuts) {
  w.describe(featureHeader());
  std::vector<FeatureBatch> out;
  Emit<FeatureBatch> emit = [&](FeatureBatch&& b) { out.push_back(std::move(b)); };
  size_t n = rows.size() / kColumns, at = 0;
  for (size_t cut : cuts) {
    cut = std::min(cut, n - at);
    FeatureBatch b;
    b.firstIndex = at;
    b.columns = kColumns;
    b.values.assign(rows.begin() + at * kColumns, rows.begin() + (at + cut) * kColumns);
    for (size_t r = at; r < at + cut; ++r) b.labels.push_back(float(r));
    w.process(std::move(b), emit);
    at += cut;
  }
  FeatureBatch rest;
  rest.firstIndex = at;
  rest.columns = kColumns;
  rest.values.assign(rows.begin() + at * kColumns, rows.end());
  for (size_t r = at; r < n; ++r) rest.labels.push_back(float(r));
  w.process(std::move(rest), emit);
  w.finish(emit);
  return out;
}

RC_GTEST_PROP(WindowChunker, ownRowsAreTheInputAndContextIsThePrecedingRows, ()) {
  const uint32_t window = *rc::gen::inRange<uint32_t>(1, 20);
  const uint32_t chunk = *rc::gen::inRange<uint32_t>(1, 20);
  const uint32_t perBatch = *rc::gen::inRange<uint32_t>(1, 5);
  const size_t n = *rc::gen::inRange<size_t>(0, 300);
  std::vector<float> rows;
  for (size_t i = 0; i < n * kColumns; ++i) rows.push_back(float(i + 1));
  auto cuts = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, 50));
  WindowChunker w(window, chunk, perBatch);
  auto out = run(w, rows, cuts);
  std::vector<float> own, labels;
  uint64_t next = 0;
  for (const auto& b : out) {
    RC_ASSERT(b.firstIndex == next);
    RC_ASSERT(b.contextRows == window - 1);
    RC_ASSERT(b.rows() > 0);
    if (&b != &out.back()) RC_ASSERT(b.rows() == size_t{chunk} * perBatch);
    for (uint32_t j = 0; j < b.contextRows; ++j) {
      const int64_t index = int64_t(b.firstIndex) - b.contextRows + j;
      for (uint32_t c = 0; c < kColumns; ++c) {
        float expected = index < 0 ? 0.0f : rows[index * kColumns + c];
        RC_ASSERT(b.values[j * kColumns + c] == expected);
      }
    }
    own.insert(own.end(), b.row(0), b.row(0) + b.rows() * kColumns);
    labels.insert(labels.end(), b.labels.begin(), b.labels.end());
    next += b.rows();
  }
  RC_ASSERT(own == rows);
  RC_ASSERT(labels.size() == n);
  for (size_t r = 0; r < n; ++r) RC_ASSERT(labels[r] == float(r));
}

TEST(WindowChunker, refusesFeaturesWithPendingColumns) {
  WindowChunker w(4, 2, 1);
  StreamHeader h = featureHeader();
  h.pendingColumns = {1};
  EXPECT_THROW(w.describe(h), StageError);
  StreamHeader ok = w.describe(featureHeader());
  EXPECT_EQ(ok.payload, PayloadKind::kWindows);
  EXPECT_EQ(ok.window, 4u);
  EXPECT_EQ(ok.chunk, 2u);
}

// Picking columns commutes with windowing: the chunker's own rows with a
// selection (any order, repeats, log2 columns) are the selection applied to
// each input row, and every context row is the picked preceding row.
RC_GTEST_PROP(WindowChunker, selectedColumnsAreThePickedInputRows, ()) {
  const std::vector<std::string> have = {"a", "b", "c"};
  const auto picks = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::pair<int, bool>>>(
      rc::gen::pair(rc::gen::inRange(0, 3), rc::gen::arbitrary<bool>())));
  std::vector<std::string> wanted;
  for (auto [c, log] : picks) wanted.push_back(log ? features::logColumn(have[c]) : have[c]);
  const uint32_t window = *rc::gen::inRange<uint32_t>(1, 6);
  const size_t n = *rc::gen::inRange<size_t>(1, 40);
  std::vector<float> rows;
  for (size_t i = 0; i < n * kColumns; ++i) rows.push_back(*rc::gen::inRange(-5, 100000) * 0.5f);
  WindowChunker w(window, 3, 2);
  w.selectColumns(wanted);
  const auto out = run(w, rows, {});
  const size_t f = wanted.size();
  std::vector<float> own;
  for (const auto& b : out) {
    RC_ASSERT(b.columns == f);
    for (uint32_t j = 0; j < b.contextRows; ++j) {
      const int64_t index = int64_t(b.firstIndex) - b.contextRows + j;
      for (size_t c = 0; c < f; ++c) {
        const float raw = index < 0 ? 0.0f : rows[index * kColumns + picks[c].first];
        const float expected = index < 0 ? 0.0f : picks[c].second ? features::logFeature(raw) : raw;
        RC_ASSERT(b.values[j * f + c] == expected);
      }
    }
    own.insert(own.end(), b.row(0), b.row(0) + b.rows() * f);
  }
  RC_ASSERT(own.size() == n * f);
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < f; ++c) {
      const float raw = rows[r * kColumns + picks[c].first];
      RC_ASSERT(own[r * f + c] == (picks[c].second ? features::logFeature(raw) : raw));
    }
}

// A model's columns picked by name, a log2 column made from its source:
// each own row is (log2(1 + max(0, c)), a), and a column the stream lacks
// is refused by its source's name.
TEST(WindowChunker, PicksColumnsByNameAndMakesLogColumns) {
  WindowChunker w(2, 1, 4);
  w.selectColumns({"log2(c)", "a"});
  StreamHeader h = w.describe(featureHeader());
  EXPECT_EQ(h.featureColumns, (std::vector<std::string>{"log2(c)", "a"}));
  std::vector<FeatureBatch> out;
  FeatureBatch b;
  b.columns = kColumns;
  b.values = {1, 2, 0, 5, 6, 7, 9, 9, 1e8f, -3, 0, -1};
  b.labels = {0, 1, 2, 3};
  w.process(std::move(b), [&](FeatureBatch&& o) { out.push_back(std::move(o)); });
  w.finish([&](FeatureBatch&& o) { out.push_back(std::move(o)); });
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].columns, 2u);
  const std::vector<float> own(out[0].row(0), out[0].row(0) + 8);
  EXPECT_EQ(own, (std::vector<float>{0.0f, 1.0f, 3.0f, 5.0f, static_cast<float>(std::log2(1.0 + 1e8)), 9.0f,
                                     0.0f, -3.0f}));

  WindowChunker missing(2, 1, 4);
  missing.selectColumns({"a", "log2(load_reuse)"});
  try {
    missing.describe(featureHeader());
    FAIL() << "a missing source column was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("'load_reuse'"), std::string::npos) << e.what();
  }

  // A column of a group beyond the 51 names the stage that makes it; the
  // same text pv-train and pv-eval give (features::missingColumnError).
  WindowChunker locality(2, 1, 4);
  locality.selectColumns({"a", "log2(pc_stride_lines_log2)"});
  try {
    locality.describe(featureHeader());
    FAIL() << "a missing locality column was accepted";
  } catch (const StageError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("no feature column 'pc_stride_lines_log2' in this stream (it has 3 columns, 'a' to 'c')"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("pv-reuse-distance --locality"), std::string::npos) << text;
    EXPECT_EQ(text, StageError("", "", features::missingColumnError({"a", "b", "c"}, "pc_stride_lines_log2")).what());
  }
}

}  // namespace
}  // namespace pv
