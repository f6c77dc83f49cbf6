// Training data, streamed: chunks cut as rows arrive, the shuffle buffer's
// batches, statistics, the batch layout, reading real labelled streams, and
// the work records to the workers.

#include "stages/train/training_data.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/stream.h"
#include "stages/train/dealer.h"
#include "stages/train/toy_streams.h"
#include "stages/train/work_channel.h"
#include "tests/composition/process.h"

namespace pv::train {
namespace {

using pv::testing::ScratchDir;
using testing::ramp;
using testing::ToyProgram;
using testing::writeToyStream;

// Writes ramps of the given sizes; returns the inputs.
std::vector<StreamInput> rampStreams(const ScratchDir& dir, const std::vector<int64_t>& sizes, int64_t perMessage = 7) {
  std::vector<StreamInput> inputs;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string path = dir.path() + "/p" + std::to_string(i) + ".pvs";
    writeToyStream(path, ramp(sizes[i], 1000.0f * static_cast<float>(i)), perMessage);
    inputs.push_back({path, ""});
  }
  return inputs;
}

// The law of the cutter: however the rows arrive, chunk j holds rows
// [jK, jK + K) and the W-1 rows before them, and nothing else.
RC_GTEST_PROP(ChunkCutter, CutsTheSameChunksHoweverTheRowsArrive, ()) {
  const int64_t rows = *rc::gen::inRange<int64_t>(1, 400);
  const int64_t window = *rc::gen::inRange<int64_t>(1, 40);
  const int64_t chunk = *rc::gen::inRange<int64_t>(1, 50);
  const ToyProgram p = ramp(rows);
  std::deque<Chunk> chunks;
  ChunkCutter cutter(3, window, chunk, 2, 2);
  for (int64_t first = 0; first < rows;) {
    const int64_t n = std::min(rows - first, *rc::gen::inRange<int64_t>(1, 120));
    cutter.add(p.features.data() + first * 2, p.labels.data() + first * 2, n, chunks);
    first += n;
  }
  cutter.finish(chunks);
  RC_ASSERT(cutter.rows() == rows);
  RC_ASSERT(static_cast<int64_t>(chunks.size()) == (rows + chunk - 1) / chunk);
  for (size_t j = 0; j < chunks.size(); ++j) {
    const Chunk& c = chunks[j];
    const int64_t first = static_cast<int64_t>(j) * chunk;
    RC_ASSERT(c.program == 3);
    RC_ASSERT(c.index == static_cast<int64_t>(j));
    RC_ASSERT(c.rows == std::min(chunk, rows - first));
    RC_ASSERT(c.contextRows == std::min(window - 1, first));
    for (int64_t r = 0; r < c.contextRows + c.rows; ++r)
      RC_ASSERT(c.features[r * 2] == static_cast<float>(first - c.contextRows + r));
    for (int64_t r = 0; r < c.rows; ++r) RC_ASSERT(c.labels[r * 2] == static_cast<float>(2 * (first + r)));
  }
}

// Every training chunk is drawn once per pass, validation chunks never; the
// buffer never holds more than its capacity; the same seed draws the same
// batches.
RC_GTEST_PROP(BatchStream, DrawsEveryTrainingChunkOncePerPass, ()) {
  const auto sizes = *rc::gen::container<std::vector<int64_t>>(*rc::gen::inRange<size_t>(1, 4),
                                                               rc::gen::inRange<int64_t>(1, 200));
  const int64_t k = *rc::gen::inRange<int64_t>(1, 32);
  BatchStreamOptions o;
  o.batch = *rc::gen::inRange<int64_t>(1, 9);
  o.shuffleChunks = *rc::gen::inRange<size_t>(1, 20);
  o.validationFraction = *rc::gen::element(0.0, 0.2);
  o.validationChunks = 1000;
  o.passes = *rc::gen::inRange<int64_t>(1, 3);
  o.seed = 5;
  ScratchDir dir;
  const auto inputs = rampStreams(dir, sizes);
  auto draw = [&] {
    ChunkSource source(inputs, {}, 4, k, 0, *rc::gen::inRange(1, 3));
    BatchStream stream(source, o);
    std::vector<std::pair<int, int64_t>> order;
    std::vector<Chunk> batch;
    while (stream.next(batch)) {
      RC_ASSERT(static_cast<int64_t>(batch.size()) <= o.batch);
      RC_ASSERT(stream.buffered().size() <= o.shuffleChunks);
      for (const auto& c : batch) {
        RC_ASSERT(!isValidationChunk(o.seed, c.program, c.index, o.validationFraction));
        order.emplace_back(c.program, c.index);
      }
    }
    std::set<std::pair<int, int64_t>> validation;
    for (const auto& c : stream.validation()) validation.insert({c.program, c.index});
    return std::make_pair(order, validation);
  };
  const auto [order, validation] = draw();
  std::map<std::pair<int, int64_t>, int64_t> times;
  for (const auto& c : order) ++times[c];
  int64_t expected = 0;
  for (size_t p = 0; p < sizes.size(); ++p) {
    const int64_t chunks = (sizes[p] + k - 1) / k;
    for (int64_t j = 0; j < chunks; ++j) {
      const bool held = isValidationChunk(o.seed, static_cast<int32_t>(p), j, o.validationFraction);
      const std::pair<int, int64_t> key{static_cast<int>(p), j};
      RC_ASSERT(held == (validation.count(key) > 0));
      if (!held) RC_ASSERT(times[key] == o.passes);
    }
    expected += trainingChunks(o.seed, static_cast<int32_t>(p), sizes[p], k, o.validationFraction);
  }
  RC_ASSERT(static_cast<int64_t>(order.size()) == expected * o.passes);
  // Determinism (the interleaving may differ: it changes what is read when,
  // not the draws of a given interleaving; so compare with the same one).
  ChunkSource a(inputs, {}, 4, k, 0, 2), b(inputs, {}, 4, k, 0, 2);
  BatchStream sa(a, o), sb(b, o);
  std::vector<Chunk> x, y;
  while (sa.next(x)) {
    RC_ASSERT(sb.next(y));
    RC_ASSERT(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) RC_ASSERT(x[i].program == y[i].program && x[i].index == y[i].index);
  }
  RC_ASSERT(!sb.next(y));
}

TEST(BatchStream, ShufflesAcrossTheBuffer) {
  ScratchDir dir;
  const auto inputs = rampStreams(dir, {4000});
  ChunkSource source(inputs, {}, 4, 4, 0, 1);
  BatchStreamOptions o;
  o.batch = 10;
  o.shuffleChunks = 500;
  o.validationFraction = 0;
  BatchStream stream(source, o);
  std::vector<Chunk> batch;
  ASSERT_TRUE(stream.next(batch));
  int64_t inOrder = 0, spread = 0;
  for (size_t i = 1; i < batch.size(); ++i) {
    inOrder += batch[i].index == batch[i - 1].index + 1;
    spread = std::max(spread, std::abs(batch[i].index - batch[0].index));
  }
  EXPECT_LT(inOrder, 3);
  EXPECT_GT(spread, 50);  // drawn from the whole buffer, not its head
}

TEST(Statistics, ExactOverEveryRowOfEveryInput) {
  ScratchDir dir;
  const auto inputs = rampStreams(dir, {4, 2});
  DataLayout layout;
  const DataSurvey s = surveyInputs(inputs, {}, layout);
  EXPECT_EQ(s.programRows, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(s.statistics.rows, 6);
  // x: 0 1 2 3 1000 1001
  const double mean = (0 + 1 + 2 + 3 + 1000 + 1001) / 6.0;
  EXPECT_NEAR(s.statistics.mean[0], mean, 1e-9);
  double var = 0;
  for (double x : {0.0, 1.0, 2.0, 3.0, 1000.0, 1001.0}) var += (x - mean) * (x - mean) / 6;
  EXPECT_NEAR(s.statistics.stddev[0], std::sqrt(var), 1e-9);
  EXPECT_DOUBLE_EQ(s.statistics.stddev[1], 0.0);
  // commit labels 0 2 4 6 0 2: rms sqrt(60 / 6)
  EXPECT_NEAR(s.statistics.targetScales[0], std::sqrt(10.0), 1e-12);
  EXPECT_EQ(layout.targets, (std::vector<std::string>{"commit", "l1"}));
  // The same from the chunks' own rows (what a live stream's first fill uses).
  ChunkSource source(inputs, {}, 3, 3);
  StatisticsAccumulator acc(2, 2, 1);
  Chunk c;
  while (source.next(c)) acc.add(c);
  const DataStatistics t = acc.result();
  EXPECT_EQ(t.rows, 6);
  EXPECT_NEAR(t.mean[0], mean, 1e-9);
  EXPECT_NEAR(t.targetScales[0], std::sqrt(10.0), 1e-12);
}

TEST(BatchAssembler, ContextPaddingNormalisationAndMask) {
  const ToyProgram p = ramp(10);
  std::deque<Chunk> chunks;
  ChunkCutter cutter(0, /*window=*/3, /*chunk=*/4, 2, 2);
  cutter.add(p.features.data(), p.labels.data(), 10, chunks);
  cutter.finish(chunks);
  ASSERT_EQ(chunks.size(), 3u);
  DataStatistics st;
  // mean 0 / std 1 for x, mean 1 / std 0 (-> 1) for the constant column.
  st.mean = {0.0, 1.0};
  st.stddev = {1.0, 0.0};
  st.targetScales = {2.0, 1.0};
  BatchAssembler a(3, 4, 2, 2, 1, st);
  const Chunk two[] = {chunks[0], chunks[2]};
  const Batch b = a.assemble(two, 2);
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
}

// --relative-loss's weights: each program's mean time, raised to -power and
// scaled to a mean of 1 over the rows, from a pass over the files and from
// the chunks alike; bounded for a program of no time; 1 without rows.
TEST(RelativeLoss, ProgramsWeighByTheirMeanTime) {
  ScratchDir dir;
  const auto inputs = rampStreams(dir, {4, 2});
  DataLayout layout;
  EXPECT_EQ(surveyInputs(inputs, {}, layout).programMeans.programs(), 0u);  // only when asked for
  const DataSurvey s = surveyInputs(inputs, {}, layout, 0, /*programMeans=*/true);
  ASSERT_EQ(s.programMeans.programs(), 2u);
  EXPECT_DOUBLE_EQ(s.programMeans.mean(0, 0), 3.0);  // commit 0 2 4 6
  EXPECT_DOUBLE_EQ(s.programMeans.mean(1, 0), 1.0);  // commit 0 2
  ProgramLabelMeans fromChunks(2, 2);
  ChunkSource source(inputs, {}, 3, 3);
  Chunk c;
  while (source.next(c)) fromChunks.add(c);
  for (size_t p = 0; p < 2; ++p)
    for (int64_t col = 0; col < 2; ++col) EXPECT_DOUBLE_EQ(fromChunks.mean(p, col), s.programMeans.mean(p, col));

  for (double power : {0.0, 1.0, 2.0}) {
    const std::vector<float> w = relativeLossWeights(s.programMeans, 1, 2, 0, power);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_NEAR(w[1] / w[0], std::pow(3.0, power), 1e-5) << power;  // (1 / 3)^-power
    EXPECT_NEAR(4 * w[0] + 2 * w[1], 6.0, 1e-5) << power;           // a mean of 1 over the 6 rows
  }

  // Program 1 has no time: 1/1000 of program 0's mean (2) stands for it.
  // Program 2 has no rows: weight 1.
  ProgramLabelMeans m(3, 1);
  const float two[] = {2.0f, 2.0f}, zero[] = {0.0f};
  m.add(0, two, 2);
  m.add(1, zero, 1);
  const std::vector<float> w = relativeLossWeights(m, 1, 1, 0, 1.0);
  EXPECT_NEAR(w[1] / w[0], 1000.0, 1e-2);
  EXPECT_NEAR(2 * w[0] + w[1], 3.0, 1e-4);
  EXPECT_EQ(w[2], 1.0f);
  EXPECT_THROW(m.add(3, two, 1), std::invalid_argument);
  EXPECT_THROW(relativeLossWeights(s.programMeans, 1, 2, 2, 2.0), std::invalid_argument);   // no such target
  EXPECT_THROW(relativeLossWeights(s.programMeans, 2, 2, 0, 2.0), std::invalid_argument);   // another width
  EXPECT_THROW(relativeLossWeights(s.programMeans, 1, 2, 0, -1.0), std::invalid_argument);  // a negative power
}

// A batch carries each chunk's program's weights, unless it is assembled
// unweighted (validation); a chunk of a program without weights is refused.
TEST(BatchAssembler, CarriesEachChunksProgramWeights) {
  const ToyProgram p = ramp(8);
  std::deque<Chunk> chunks;
  for (int32_t program : {0, 1, 2}) {
    ChunkCutter cutter(program, 2, 4, 2, 4);  // 2 uarchs x 2 targets
    std::vector<float> labels(8 * 4, 1.0f);
    cutter.add(p.features.data(), labels.data(), 8, chunks);
  }
  DataStatistics st;
  st.mean = {0.0, 0.0};
  st.stddev = {1.0, 1.0};
  st.targetScales = {1.0, 1.0};
  BatchAssembler a(2, 4, 2, 2, 2, st);
  const Chunk some[] = {chunks[2], chunks[0]};  // program 1, program 0
  EXPECT_TRUE(a.assemble(some, 2).weights.empty());
  a.setProgramWeights({0.5f, 1.5f, 2.0f, 3.0f});  // program 0: 0.5 and 1.5 on the two uarchs; program 1: 2, 3
  EXPECT_EQ(a.assemble(some, 2).weights, (std::vector<float>{2.0f, 3.0f, 0.5f, 1.5f}));
  EXPECT_TRUE(a.assemble(some, 2, /*weighted=*/false).weights.empty());
  EXPECT_THROW(a.assemble(&chunks[4], 1), std::invalid_argument);  // program 2
  EXPECT_THROW(a.setProgramWeights({1.0f, 2.0f, 3.0f}), std::invalid_argument);
}

// A real labelled feature stream through the runtime (a file), selection of
// targets and microarchitectures, and the errors for wrong inputs.
TEST(LabelledStream, ReadsAndSelects) {
  ScratchDir dir;
  const std::string path = dir.path() + "/pv_train_data_test.pvs.zst";
  ToyProgram p;
  p.featureColumns = {"a", "b"};
  p.targets = {"fetch", "commit"};
  p.uarchs = {"x", "y", "z"};
  p.rows = 5;
  for (int r = 0; r < 5; ++r) {
    p.features.push_back(static_cast<float>(r));
    p.features.push_back(static_cast<float>(-r));
    for (int u = 0; u < 3; ++u)
      for (int t = 0; t < 2; ++t) p.labels.push_back(static_cast<float>(100 * r + 10 * u + t));
  }
  writeToyStream(path, p);
  DataLayout layout;
  LabelSelection pick;
  pick.targets = {"commit"};
  pick.uarchs = {"z", "x"};
  LabelledStream s({path, ""}, pick, layout);
  EXPECT_EQ(s.name(), "pv_train_data_test");
  EXPECT_EQ(layout.uarchs, (std::vector<std::string>{"z", "x"}));
  std::vector<float> f, l;
  int64_t rows = 0;
  ASSERT_TRUE(s.next(f, l, rows));
  ASSERT_EQ(rows, 5);
  ASSERT_EQ(l.size(), 10u);
  EXPECT_EQ(l[2 * 3 + 0], 100 * 3 + 10 * 2 + 1);  // row 3, z, commit
  EXPECT_EQ(l[2 * 3 + 1], 100 * 3 + 0 + 1);       // row 3, x, commit
  EXPECT_FALSE(s.next(f, l, rows));

  DataLayout prefixLayout;
  LabelledStream prefix({path, "cut"}, {}, prefixLayout, 3);
  ASSERT_TRUE(prefix.next(f, l, rows));
  EXPECT_EQ(rows, 3);
  EXPECT_FALSE(prefix.next(f, l, rows));
  EXPECT_EQ(prefixLayout.labelWidth(), 6);

  // Held out by name, then the last one of the rest.
  DataLayout held;
  LabelSelection sel;
  sel.excludeUarchs = {"y"};
  sel.holdoutLast = 1;
  LabelledStream h({path, ""}, sel, held);
  EXPECT_EQ(held.uarchs, (std::vector<std::string>{"x"}));
  EXPECT_EQ(held.heldOutUarchs, (std::vector<std::string>{"y", "z"}));

  DataLayout bad;
  try {
    LabelSelection retire;
    retire.targets = {"retire"};
    LabelledStream b({path, ""}, retire, bad);
    FAIL() << "an unknown target was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("retire"), std::string::npos) << e.what();
  }
}

// --features with log2 columns: the layout keeps the model's names, the rows
// are the picked columns with log2(1 + max(0, x)) made from the source, and
// a second stream is read through the same names; "perfvec-log" is the 51
// with the four reuse columns as log2.
TEST(LabelledStream, MakesLogColumns) {
  ScratchDir dir;
  const std::string path = dir.path() + "/log.pvs.zst";
  ToyProgram p;
  p.featureColumns = {"a", "b"};
  p.targets = {"commit"};
  p.uarchs = {"x"};
  p.rows = 3;
  p.features = {1, 0, 2, 3, 3, 1e8f};
  p.labels = {1, 2, 3};
  writeToyStream(path, p);
  DataLayout layout;
  LabelSelection sel;
  sel.features = {"log2(b)", "a"};
  LabelledStream s({path, ""}, sel, layout);
  EXPECT_EQ(layout.featureColumns, (std::vector<std::string>{"log2(b)", "a"}));
  std::vector<float> f, l;
  int64_t rows = 0;
  ASSERT_TRUE(s.next(f, l, rows));
  EXPECT_EQ(f, (std::vector<float>{0.0f, 1.0f, 2.0f, 2.0f, static_cast<float>(std::log2(1.0 + 1e8)), 3.0f}));
  LabelledStream again({path, "again"}, sel, layout);
  std::vector<float> f2;
  ASSERT_TRUE(again.next(f2, l, rows));
  EXPECT_EQ(f2, f);

  const auto names = expandFeatureGroups({"perfvec-log"});
  ASSERT_EQ(names.size(), 51u);
  int logs = 0;
  for (const auto& n : names) logs += features::isLogColumn(n);
  EXPECT_EQ(logs, 4);
  EXPECT_EQ(names[features::kLoadReuse], "log2(load_reuse)");
  EXPECT_EQ(names[features::kOpClass], "op_class");

  DataLayout bad;
  LabelSelection missing;
  missing.features = {"log2(c)"};
  try {
    LabelledStream b({path, ""}, missing, bad);
    FAIL() << "a missing source column was accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos) << e.what();
  }
}

TEST(LabelledStream, RefusesUnlabelledAndTruncatedStreams) {
  ScratchDir dir;
  const std::string path = dir.path() + "/pv_train_unlabelled.pvs";
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a"};
  {
    auto w = runtime::StreamWriter::open(path);
    w->writeHeader(h);
    w->writeEnd(0);
    w->close();
  }
  DataLayout layout;
  EXPECT_THROW(LabelledStream({path, ""}, {}, layout), StageError);
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
  LabelledStream s({path, ""}, {}, layout);
  std::vector<float> f, l;
  int64_t rows = 0;
  EXPECT_THROW(
      {
        while (s.next(f, l, rows)) {
        }
      },
      StageError);
}

TEST(ChunkSource, ASecondPassNeedsFiles) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string fifo = "/dev/fd/" + std::to_string(fds[0]);
  EXPECT_FALSE(isRereadable(fifo));
  EXPECT_FALSE(isRereadable("-"));
  ScratchDir dir;
  const auto inputs = rampStreams(dir, {3});
  EXPECT_TRUE(isRereadable(inputs[0].spec));
  ::close(fds[0]);
  ::close(fds[1]);
}

// What the reading process writes, a worker reads: the same chunks and text.
TEST(WorkChannel, RecordsRoundTrip) {
  const ToyProgram p = ramp(50);
  std::deque<Chunk> cut;
  ChunkCutter cutter(1, 5, 8, 2, 2);
  cutter.add(p.features.data(), p.labels.data(), 50, cut);
  cutter.finish(cut);
  const std::vector<Chunk> chunks(cut.begin(), cut.end());
  auto [readEnd, writeEnd] = workPipe();
  std::thread writer([&, w = writeEnd] {
    WorkHeader h;
    h.step = 7;
    h.learningRate = 0.5;
    h.globalRows = 50;
    h.chunks = static_cast<int64_t>(chunks.size());
    writeWork(w, h, chunks.data(), "");
    WorkHeader end;
    end.kind = WorkKind::kEnd;
    writeWork(w, end, nullptr, "instructions 50\nepochs 1\nprogram p\n");
    ::close(w);
  });
  WorkHeader h;
  std::vector<Chunk> got;
  std::string text;
  ASSERT_TRUE(readWork(readEnd, h, got, text));
  EXPECT_EQ(h.kind, WorkKind::kStep);
  EXPECT_EQ(h.step, 7u);
  EXPECT_EQ(h.globalRows, 50);
  ASSERT_EQ(got.size(), chunks.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].index, chunks[i].index);
    EXPECT_EQ(got[i].contextRows, chunks[i].contextRows);
    EXPECT_EQ(got[i].features, chunks[i].features);
    EXPECT_EQ(got[i].labels, chunks[i].labels);
  }
  ASSERT_TRUE(readWork(readEnd, h, got, text));
  EXPECT_EQ(h.kind, WorkKind::kEnd);
  const RunRecord r = RunRecord::parse(text);
  EXPECT_EQ(r.instructions, 50u);
  EXPECT_EQ(r.programs, std::vector<std::string>{"p"});
  EXPECT_FALSE(readWork(readEnd, h, got, text));  // the end of the pipe
  writer.join();
  ::close(readEnd);
}

// Shares: any number of workers get the global batch, in order, once.
RC_GTEST_PROP(Dealer, SharesCoverTheGlobalBatchInOrder, ()) {
  const int64_t count = *rc::gen::inRange<int64_t>(0, 300);
  const int world = *rc::gen::inRange(1, 17);
  int64_t next = 0;
  for (int r = 0; r < world; ++r) {
    const auto [a, b] = shareOf(count, r, world);
    RC_ASSERT(a == next);
    RC_ASSERT(b >= a);
    RC_ASSERT(b - a <= count / world + 1);
    next = b;
  }
  RC_ASSERT(next == count);
}

TEST(Schedule, WarmsUpDecaysAndStaysFlatWithoutAnEnd) {
  Schedule s;
  s.learningRate = 1.0;
  s.finalLearningRate = 0.1;
  s.warmupSteps = 4;
  EXPECT_DOUBLE_EQ(s.at(0, 100), 0.25 * (0.1 + 0.9 * 0.5 * (1 + 1)));
  EXPECT_NEAR(s.at(99, 100), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(s.at(0, 0), 0.25);
  EXPECT_DOUBLE_EQ(s.at(1000, 0), 1.0);
}

}  // namespace
}  // namespace pv::train
