// Tests of InstructionEncoder: exact mode against a direct window loop
// (ReferenceRnn, no LibTorch), chunked mode with K = 1 against exact mode,
// per-chunk sums against per-instruction outputs, independence from forward
// batching and from how a stream is split into calls, the GRU variant, the
// parameter arrays, devices, threads and the normaliser. Small sizes only.
#include "stages/model-lib/instruction_encoder.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "stages/model-lib/reference_rnn.h"

namespace pv::encode {
namespace {

EncoderConfig smallConfig(Arch arch = Arch::kLstm, int features = 51, int hidden = 16,
                          int layers = 2, int window = 8) {
  return EncoderConfig{arch, features, hidden, layers, window};
}

// context() + n rows of normal-ish values (what normalised features look
// like), with the first `zeroRows` rows zero like a stream start.
std::vector<float> randomRows(const EncoderConfig& c, int64_t n, uint64_t seed,
                              int64_t zeroRows = 0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> rows((c.context() + n) * c.features);
  for (float& x : rows) x = normal(rng);
  std::fill_n(rows.begin(), std::min<int64_t>(zeroRows * c.features, rows.size()), 0.0f);
  return rows;
}

// Every value within `rel` of the expected one, relative to max(|e|, floor).
// The floor: R_i come from float computations on values of order 1, so a
// value near 0 carries an absolute rounding error of ~1e-7 whatever its size
// (different GEMM batch shapes round differently); below 0.1 the tolerance
// is absolute, rel * 0.1.
template <typename A, typename B>
::testing::AssertionResult allClose(const std::vector<A>& got, const std::vector<B>& want,
                                    double rel, double floor = 0.1) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = want[i];
    if (!(std::abs(g - w) <= rel * std::max(std::abs(w), floor)))
      return ::testing::AssertionFailure() << "at " << i << ": " << g << " vs " << w;
  }
  return ::testing::AssertionSuccess();
}

// RC_ASSERT for allClose, with its message on failure.
#define RC_ASSERT_CLOSE(...)                            \
  do {                                                  \
    const ::testing::AssertionResult r_ = allClose(__VA_ARGS__); \
    if (!r_) RC_FAIL(r_.message());                     \
  } while (false)

std::vector<float> encodeEach(const InstructionEncoder& enc, const std::vector<float>& rows,
                              int64_t n, EncodeOptions o) {
  std::vector<float> out(n * enc.config().hidden);
  enc.encodeEach(rows.data(), n, o, out);
  return out;
}

std::vector<double> encodeSums(const InstructionEncoder& enc, const std::vector<float>& rows,
                               int64_t n, EncodeOptions o) {
  std::vector<double> out(InstructionEncoder::chunkCount(n, o.chunk) * enc.config().hidden);
  enc.encodeSums(rows.data(), n, o, out);
  return out;
}

EncodeOptions exactOptions(int64_t chunk = 4, int64_t perForward = 0) {
  return EncodeOptions{EncodeMode::kExact, chunk, perForward};
}

EncodeOptions chunkedOptions(int64_t chunk, int64_t perForward = 0) {
  return EncodeOptions{EncodeMode::kChunked, chunk, perForward};
}

// A small random config for properties.
EncoderConfig genConfig() {
  EncoderConfig c;
  c.arch = *rc::gen::element(Arch::kLstm, Arch::kGru);
  c.features = *rc::gen::inRange(1, 13);
  c.hidden = *rc::gen::inRange(1, 33);
  c.layers = *rc::gen::inRange(1, 4);
  c.window = *rc::gen::inRange(1, 17);
  return c;
}

// ------------------------------------------------------------ parameters

TEST(EncoderParameters, LayoutFollowsNnLstmNamesAndShapes) {
  const auto layout = parameterLayout(smallConfig(Arch::kLstm, 51, 16, 2, 8));
  ASSERT_EQ(layout.size(), 8u);
  EXPECT_EQ(layout[0].name, "weight_ih_l0");
  EXPECT_EQ(layout[0].shape, (std::vector<int64_t>{64, 51}));
  EXPECT_EQ(layout[1].name, "weight_hh_l0");
  EXPECT_EQ(layout[1].shape, (std::vector<int64_t>{64, 16}));
  EXPECT_EQ(layout[2].name, "bias_ih_l0");
  EXPECT_EQ(layout[2].shape, (std::vector<int64_t>{64}));
  EXPECT_EQ(layout[3].name, "bias_hh_l0");
  EXPECT_EQ(layout[4].name, "weight_ih_l1");
  EXPECT_EQ(layout[4].shape, (std::vector<int64_t>{64, 16}));
  EXPECT_EQ(layout[7].name, "bias_hh_l1");
}

TEST(EncoderParameters, GruHasThreeGateBlocks) {
  const auto layout = parameterLayout(smallConfig(Arch::kGru, 51, 16, 1, 8));
  ASSERT_EQ(layout.size(), 4u);
  EXPECT_EQ(layout[0].shape, (std::vector<int64_t>{48, 51}));
  EXPECT_EQ(layout[1].shape, (std::vector<int64_t>{48, 16}));
  EXPECT_EQ(layout[3].shape, (std::vector<int64_t>{48}));
}

TEST(EncoderParameters, DefaultConfigIsPerfVecLstm2x256OverWindow256) {
  const EncoderConfig c;
  EXPECT_EQ(c.arch, Arch::kLstm);
  EXPECT_EQ(c.features, 51);
  EXPECT_EQ(c.hidden, 256);
  EXPECT_EQ(c.layers, 2);
  EXPECT_EQ(c.window, 256);
  EXPECT_EQ(c.context(), 255);
}

RC_GTEST_PROP(EncoderParameters, EveryParameterRoundTripsThroughItsFlatArray, ()) {
  const EncoderConfig c = genConfig();
  InstructionEncoder enc(c);
  std::vector<std::vector<float>> written;
  for (const auto& info : enc.parameters()) {
    auto v = *rc::gen::container<std::vector<float>>(
        static_cast<size_t>(info.numel()), rc::gen::map(rc::gen::inRange(-1000000, 1000001),
                                                        [](int x) { return x * 1e-6f; }));
    enc.setParameter(info.name, v);
    written.push_back(std::move(v));
  }
  const auto infos = enc.parameters();
  for (size_t i = 0; i < infos.size(); ++i) RC_ASSERT(enc.parameter(infos[i].name) == written[i]);
}

TEST(EncoderParameters, UnknownNamesAndWrongSizesAreRefused) {
  InstructionEncoder enc(smallConfig());
  EXPECT_THROW(enc.parameter("weight_ih_l2"), std::invalid_argument);
  EXPECT_THROW(enc.setParameter("lstm.weight_ih_l0", std::vector<float>(64 * 51)),
               std::invalid_argument);
  EXPECT_THROW(enc.setParameter("weight_ih_l0", std::vector<float>(64 * 51 - 1)),
               std::invalid_argument);
  EXPECT_THROW(InstructionEncoder(smallConfig(Arch::kLstm, 51, 0)), std::invalid_argument);
}

TEST(EncoderParameters, RandomInitIsDeterministicPerSeedAndBounded) {
  InstructionEncoder a(smallConfig()), b(smallConfig());
  a.initRandom(7);
  b.initRandom(7);
  const double bound = 1.0 / std::sqrt(16.0);
  for (const auto& info : a.parameters()) {
    const auto va = a.parameter(info.name);
    EXPECT_EQ(va, b.parameter(info.name)) << info.name;
    for (float x : va) ASSERT_TRUE(x >= -bound && x < bound) << info.name << " " << x;
  }
  b.initRandom(8);
  EXPECT_NE(a.parameter("weight_hh_l1"), b.parameter("weight_hh_l1"));
  // A fresh encoder is initRandom(0).
  InstructionEncoder fresh(smallConfig());
  a.initRandom(0);
  EXPECT_EQ(fresh.parameter("bias_ih_l0"), a.parameter("bias_ih_l0"));
}

// ------------------------------------------------------------ exact mode

struct Shape {
  Arch arch;
  int features, hidden, layers, window;
};

class ExactAgainstWindowLoop : public ::testing::TestWithParam<Shape> {};

TEST_P(ExactAgainstWindowLoop, EveryInstructionGetsTheDirectWindowResult) {
  const Shape s = GetParam();
  const EncoderConfig c{s.arch, s.features, s.hidden, s.layers, s.window};
  InstructionEncoder enc(c);
  enc.initRandom(11);
  const int64_t n = 23;
  const auto rows = randomRows(c, n, 5, /*zeroRows=*/c.context());
  const ReferenceRnn ref(enc);
  const auto want = ref.exact(rows.data(), n);
  // Windows batched 5 per forward call (not a divisor of n) and all at once.
  EXPECT_TRUE(allClose(encodeEach(enc, rows, n, exactOptions(4, 5)), want, 1e-5));
  EXPECT_TRUE(allClose(encodeEach(enc, rows, n, exactOptions(4, 0)), want, 1e-5));
  // Some R_i are not all zero (the ReLU does not hide everything).
  EXPECT_GT(*std::max_element(want.begin(), want.end()), 0.01);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ExactAgainstWindowLoop,
                         ::testing::Values(Shape{Arch::kLstm, 51, 16, 2, 8},
                                           Shape{Arch::kLstm, 51, 32, 2, 16},
                                           Shape{Arch::kLstm, 7, 8, 1, 4},
                                           Shape{Arch::kLstm, 5, 8, 3, 1},
                                           Shape{Arch::kGru, 51, 16, 2, 8},
                                           Shape{Arch::kGru, 9, 32, 1, 12}));

// ------------------------------------------------------------ chunked mode

TEST(ChunkedMode, RunsTheRnnOnceOverEachChunkWithItsContext) {
  const EncoderConfig c = smallConfig(Arch::kLstm, 51, 16, 2, 6);
  InstructionEncoder enc(c);
  enc.initRandom(3);
  const int64_t n = 17, k = 5;  // chunks of 5, 5, 5, 2
  const auto rows = randomRows(c, n, 9);
  const ReferenceRnn ref(enc);
  std::vector<double> want;
  for (int64_t j = 0; j * k < n; ++j) {
    const int64_t len = std::min(k, n - j * k);
    const auto r = ref.run(rows.data() + j * k * c.features, c.context() + len);
    want.insert(want.end(), r.end() - len * c.hidden, r.end());
  }
  EXPECT_TRUE(allClose(encodeEach(enc, rows, n, chunkedOptions(k, 2)), want, 1e-5));
  EXPECT_TRUE(allClose(encodeEach(enc, rows, n, chunkedOptions(k, 0)), want, 1e-5));
}

RC_GTEST_PROP(ChunkedMode, WithChunksOfOneItIsExactMode, ()) {
  const EncoderConfig c = genConfig();
  const int64_t n = *rc::gen::inRange(1, 40);
  const int64_t perForward = *rc::gen::inRange(0, 9);
  InstructionEncoder enc(c);
  enc.initRandom(*rc::gen::arbitrary<uint32_t>());
  const auto rows = randomRows(c, n, *rc::gen::arbitrary<uint32_t>());
  const auto exact = encodeEach(enc, rows, n, exactOptions(1, perForward));
  const auto chunked = encodeEach(enc, rows, n, chunkedOptions(1, perForward));
  RC_ASSERT_CLOSE(chunked, exact, 1e-5);
}

TEST(ChunkedMode, HistoryBeyondTheWindowChangesTheResult) {
  // Chunked with K > 1 is not exact mode: later instructions of a chunk see
  // more than W rows.
  const EncoderConfig c = smallConfig(Arch::kLstm, 51, 16, 2, 2);
  InstructionEncoder enc(c);
  const auto rows = randomRows(c, 8, 1);
  const auto exact = encodeEach(enc, rows, 8, exactOptions(8));
  const auto chunked = encodeEach(enc, rows, 8, chunkedOptions(8));
  const int64_t h = c.hidden;
  EXPECT_TRUE(allClose(std::vector<float>(chunked.begin(), chunked.begin() + h),
                       std::vector<float>(exact.begin(), exact.begin() + h), 1e-5));
  EXPECT_FALSE(allClose(chunked, exact, 1e-3));
}

RC_GTEST_PROP(EncoderKernels, PerfvecsCpuKernelMatchesLibTorchsRnn, ()) {
  // The second oracle: at::lstm / at::gru (the CUDA path) on the CPU.
  const EncoderConfig c = genConfig();
  const auto mode = *rc::gen::element(EncodeMode::kExact, EncodeMode::kChunked);
  const int64_t n = *rc::gen::inRange(1, 40), k = *rc::gen::inRange(1, 50);
  InstructionEncoder enc(c);
  enc.initRandom(*rc::gen::arbitrary<uint32_t>());
  const auto rows = randomRows(c, n, *rc::gen::arbitrary<uint32_t>());
  EncodeOptions o{mode, k, *rc::gen::inRange(0, 5)};
  const auto kernel = encodeEach(enc, rows, n, o);
  o.atenRnn = true;
  RC_ASSERT_CLOSE(kernel, encodeEach(enc, rows, n, o), 1e-5);
  RC_ASSERT_CLOSE(encodeSums(enc, rows, n, o),
                     encodeSums(enc, rows, n, EncodeOptions{mode, k, 0}), 1e-5);
}

TEST(EncoderKernels, LongChunksCrossManyTimeBlocks) {
  // Chunks longer than the kernel's time block (32 steps), layers 1-3.
  for (int layers = 1; layers <= 3; ++layers) {
    for (Arch arch : {Arch::kLstm, Arch::kGru}) {
      const EncoderConfig c = smallConfig(arch, 51, 16, layers, 5);
      InstructionEncoder enc(c);
      enc.initRandom(layers);
      const int64_t n = 150, k = 70;  // 74-step sequences, 2 full chunks + 10
      const auto rows = randomRows(c, n, 3);
      const ReferenceRnn ref(enc);
      std::vector<double> want;
      for (int64_t j = 0; j * k < n; ++j) {
        const int64_t len = std::min(k, n - j * k);
        const auto r = ref.run(rows.data() + j * k * c.features, c.context() + len);
        want.insert(want.end(), r.end() - len * c.hidden, r.end());
      }
      EXPECT_TRUE(allClose(encodeEach(enc, rows, n, chunkedOptions(k)), want, 1e-5))
          << archName(arch) << " layers " << layers;
    }
  }
}

// ------------------------------------------------------------ sums, batching

RC_GTEST_PROP(EncoderOutputs, ChunkSumsAreSumsOfThePerInstructionOutputs, ()) {
  const EncoderConfig c = genConfig();
  const auto mode = *rc::gen::element(EncodeMode::kExact, EncodeMode::kChunked);
  const int64_t n = *rc::gen::inRange(1, 40), k = *rc::gen::inRange(1, 12);
  const EncodeOptions o{mode, k, *rc::gen::inRange(0, 6)};
  InstructionEncoder enc(c);
  enc.initRandom(*rc::gen::arbitrary<uint32_t>());
  const auto rows = randomRows(c, n, *rc::gen::arbitrary<uint32_t>());
  const auto each = encodeEach(enc, rows, n, o);
  const int64_t h = c.hidden;
  std::vector<double> want(InstructionEncoder::chunkCount(n, k) * h, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t x = 0; x < h; ++x) want[(i / k) * h + x] += each[i * h + x];
  RC_ASSERT_CLOSE(encodeSums(enc, rows, n, o), want, 1e-12, 1e-9);
  std::vector<float> floatSums(want.size());
  enc.encodeSums(rows.data(), n, o, floatSums);
  RC_ASSERT_CLOSE(floatSums, want, 1e-6, 1e-6);
}

RC_GTEST_PROP(EncoderOutputs, ResultsDoNotDependOnHowManyChunksAForwardBatches, ()) {
  const EncoderConfig c = genConfig();
  const auto mode = *rc::gen::element(EncodeMode::kExact, EncodeMode::kChunked);
  const int64_t n = *rc::gen::inRange(1, 60), k = *rc::gen::inRange(1, 9);
  InstructionEncoder enc(c);
  enc.initRandom(*rc::gen::arbitrary<uint32_t>());
  const auto rows = randomRows(c, n, *rc::gen::arbitrary<uint32_t>());
  const auto one = encodeEach(enc, rows, n, EncodeOptions{mode, k, 1});
  const auto some = encodeEach(enc, rows, n, EncodeOptions{mode, k, *rc::gen::inRange(2, 9)});
  const auto all = encodeEach(enc, rows, n, EncodeOptions{mode, k, 0});
  RC_ASSERT_CLOSE(some, one, 1e-5);
  RC_ASSERT_CLOSE(all, one, 1e-5);
  RC_ASSERT_CLOSE(encodeSums(enc, rows, n, EncodeOptions{mode, k, 1}),
                     encodeSums(enc, rows, n, EncodeOptions{mode, k, 0}), 1e-5);
}

TEST(EncoderOutputs, ForwardCallsFollowPerForward) {
  const EncoderConfig c = smallConfig();
  InstructionEncoder enc(c);
  const auto rows = randomRows(c, 20, 2);
  encodeEach(enc, rows, 20, chunkedOptions(3, 2));  // 6 full chunks / 2 + the rest
  EXPECT_EQ(enc.forwardCalls(), 4);
  encodeEach(enc, rows, 20, exactOptions(3, 7));  // 20 windows / 7
  EXPECT_EQ(enc.forwardCalls(), 7);
  encodeEach(enc, rows, 20, chunkedOptions(3, 0));  // all full chunks fit
  EXPECT_EQ(enc.forwardCalls(), 9);
  EXPECT_EQ(enc.forwardBatch(chunkedOptions(3, 2)), 2);
  EncodeOptions budget = chunkedOptions(3, 0);
  const int64_t perChunk = enc.forwardBatch(budget);
  budget.memoryBudgetBytes /= 2;
  EXPECT_GE(perChunk, 2 * enc.forwardBatch(budget) - 1);
  EXPECT_GT(enc.forwardBatch(exactOptions(3, 0)), enc.forwardBatch(chunkedOptions(100, 0)));
}

RC_GTEST_PROP(EncoderOutputs, AStreamSplitIntoCallsAtChunkBoundariesGivesTheSameResult, ()) {
  // The caller passes the last C rows of one call as the next call's context.
  const EncoderConfig c = genConfig();
  const auto mode = *rc::gen::element(EncodeMode::kExact, EncodeMode::kChunked);
  const int64_t k = *rc::gen::inRange(1, 6);
  const int64_t firstChunks = *rc::gen::inRange(0, 5), n = *rc::gen::inRange(1, 30);
  const int64_t first = std::min(n, firstChunks * k);
  InstructionEncoder enc(c);
  const auto rows = randomRows(c, n, *rc::gen::arbitrary<uint32_t>(), c.context());
  const EncodeOptions o{mode, k, 0};
  const auto whole = encodeEach(enc, rows, n, o);
  const int64_t f = c.features, h = c.hidden;
  const std::vector<float> rowsA(rows.begin(), rows.begin() + (c.context() + first) * f);
  const std::vector<float> rowsB(rows.begin() + first * f, rows.end());
  auto parts = encodeEach(enc, rowsA, first, o);
  const auto b = encodeEach(enc, rowsB, n - first, o);
  parts.insert(parts.end(), b.begin(), b.end());
  RC_ASSERT_CLOSE(parts, whole, 1e-5);
  RC_ASSERT(static_cast<int64_t>(parts.size()) == n * h);
}

TEST(EncoderOutputs, OutputsAreNonNegativeAndZeroInstructionsAreFine) {
  const EncoderConfig c = smallConfig();
  InstructionEncoder enc(c);
  const auto rows = randomRows(c, 9, 4);
  for (float x : encodeEach(enc, rows, 9, chunkedOptions(4))) ASSERT_GE(x, 0.0f);
  std::vector<float> none;
  enc.encodeEach(rows.data(), 0, chunkedOptions(4), none);
  std::vector<double> noSums;
  enc.encodeSums(rows.data(), 0, exactOptions(4), std::span<double>(noSums));
  EXPECT_EQ(InstructionEncoder::chunkCount(0, 4), 0);
  EXPECT_EQ(InstructionEncoder::chunkCount(9, 4), 3);
}

TEST(EncoderOutputs, BadCallsAreRefused) {
  const EncoderConfig c = smallConfig();
  InstructionEncoder enc(c);
  const auto rows = randomRows(c, 9, 4);
  std::vector<float> out(9 * c.hidden);
  EXPECT_THROW(enc.encodeEach(rows.data(), 9, chunkedOptions(0), out), std::invalid_argument);
  EXPECT_THROW(enc.encodeEach(rows.data(), 9, chunkedOptions(4, -1), out),
               std::invalid_argument);
  EXPECT_THROW(enc.encodeEach(rows.data(), 8, chunkedOptions(4), out), std::invalid_argument);
  EXPECT_THROW(enc.encodeEach(nullptr, 9, chunkedOptions(4), out), std::invalid_argument);
  std::vector<double> sums(2 * c.hidden);  // 9 instructions make 3 chunks of 4
  EXPECT_THROW(enc.encodeSums(rows.data(), 9, chunkedOptions(4), std::span<double>(sums)),
               std::invalid_argument);
}

// ------------------------------------------------------------ GRU

TEST(GruVariant, HasTheShapeOfTheLstmAndItsOwnResults) {
  const EncoderConfig lc = smallConfig(Arch::kLstm), gc = smallConfig(Arch::kGru);
  InstructionEncoder lstm(lc), gru(gc);
  EXPECT_EQ(gru.config().arch, Arch::kGru);
  const auto rows = randomRows(gc, 10, 6);
  const auto g = encodeEach(gru, rows, 10, chunkedOptions(4));
  const auto l = encodeEach(lstm, rows, 10, chunkedOptions(4));
  ASSERT_EQ(g.size(), l.size());
  EXPECT_FALSE(allClose(g, l, 1e-3));
  for (float x : g) ASSERT_GE(x, 0.0f);
  // Chunks of one are exact mode; sums add up.
  EXPECT_TRUE(allClose(encodeEach(gru, rows, 10, chunkedOptions(1)),
                       encodeEach(gru, rows, 10, exactOptions(1)), 1e-5));
  const auto sums = encodeSums(gru, rows, 10, chunkedOptions(4));
  double total = 0, want = 0;
  for (double s : sums) total += s;
  for (float x : g) want += x;
  EXPECT_NEAR(total, want, 1e-9 * std::max(1.0, want));
}

TEST(GruVariant, ArchNamesParse) {
  EXPECT_EQ(parseArch("gru"), Arch::kGru);
  EXPECT_EQ(parseArch("lstm"), Arch::kLstm);
  EXPECT_EQ(parseArch("GRU"), std::nullopt);
  EXPECT_EQ(archName(Arch::kGru), "gru");
  EXPECT_EQ(parseEncodeMode("exact"), EncodeMode::kExact);
  EXPECT_EQ(parseEncodeMode("chunked"), EncodeMode::kChunked);
  EXPECT_EQ(parseEncodeMode("fast"), std::nullopt);
  EXPECT_EQ(encodeModeName(EncodeMode::kChunked), "chunked");
}

// ------------------------------------------------------------ device, threads

TEST(EncoderDevice, CpuByDefaultAndCudaOnlyWhenLibTorchHasIt) {
  InstructionEncoder enc(smallConfig());
  EXPECT_EQ(enc.device(), "cpu");
  enc.setDevice("cpu");
  EXPECT_THROW(enc.setDevice("gpu"), std::invalid_argument);
  if (cudaAvailable()) {
    const auto rows = randomRows(enc.config(), 6, 1);
    const auto onCpu = encodeEach(enc, rows, 6, chunkedOptions(4));
    enc.setDevice("cuda:0");
    EXPECT_EQ(enc.device(), "cuda:0");
    EXPECT_TRUE(allClose(encodeEach(enc, rows, 6, chunkedOptions(4)), onCpu, 1e-4));
  } else {
    EXPECT_THROW(enc.setDevice("cuda"), std::runtime_error);
    EXPECT_THROW(enc.setDevice("cuda:1"), std::runtime_error);
    EXPECT_EQ(enc.device(), "cpu");
  }
}

TEST(EncoderThreads, TwoThreadsGiveTheResultsOfOne) {
  const EncoderConfig c = smallConfig(Arch::kLstm, 51, 32, 2, 16);
  InstructionEncoder enc(c);
  const auto rows = randomRows(c, 64, 8);
  const int before = cpuThreads();
  setCpuThreads(1);
  EXPECT_EQ(cpuThreads(), 1);
  const auto one = encodeEach(enc, rows, 64, chunkedOptions(16));
  setCpuThreads(2);
  EXPECT_EQ(cpuThreads(), 2);
  EXPECT_TRUE(allClose(encodeEach(enc, rows, 64, chunkedOptions(16)), one, 1e-5));
  setCpuThreads(before);
  EXPECT_THROW(setCpuThreads(0), std::invalid_argument);
  const CpuBackend backend = cpuBackend();
  EXPECT_EQ(backend.threads, cpuThreads());
  EXPECT_NE(backend.describe().find("sgemm from /"), std::string::npos) << backend.describe();
  EXPECT_FALSE(backend.mallocLibrary.empty());
  EXPECT_GE(availableCpus(), 1);
}

// ------------------------------------------------------------ normaliser

TEST(FeatureNormaliser, SubtractsTheMeanAndDividesByTheDeviationOrOne) {
  FeatureNormaliser norm({1.0, 2.0, -3.0}, {2.0, 0.0, 0.5});
  std::vector<float> rows = {3, 2, -3, 1, 5, -2};
  norm.apply(rows.data(), 2);
  EXPECT_EQ(rows, (std::vector<float>{1, 0, 0, 0, 3, 2}));
  EXPECT_EQ(norm.features(), 3);
  EXPECT_THROW(FeatureNormaliser({1.0}, {1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(FeatureNormaliser({1.0}, {-1.0}), std::invalid_argument);
  EXPECT_THROW(FeatureNormaliser({NAN}, {1.0}), std::invalid_argument);
}

}  // namespace
}  // namespace pv::encode
