// pv-encode's transform, stage-level laws: raw feature rows through
// WindowChunker -> WindowStreamEncoder -> RepresentationAggregator.
//  - R_p in exact mode does not depend on K, on how pv-window batches, on how
//    the feature stream is split, or on how many instructions an encoder
//    call gathers;
//  - chunked mode with K = 1 equals exact mode;
//  - chunked R_p for a fixed K does not depend on the batching either;
//  - every R_i equals a direct window loop over normalised rows with zero
//    padding (the model's statistics are applied, padding is zero after);
//  - broken streams and mismatched models are refused;
//  - pv-encode on a feature stream (FeatureStreamEncoder: the reuse
//    distances and windows computed in it) gives the R_p of the separate
//    stages bit for bit, whatever the batching.

#include "stages/encode/window_stream_encoder.h"
#include "stages/encode/feature_stream_encoder.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <random>

#include "stages/aggregate/representation_aggregator.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/reference_rnn.h"
#include "stages/feature-lib/reuse_distance.h"
#include "stages/feature-lib/window_chunker.h"
#include "stages/feature/feature_extractor.h"

namespace pv::encode {
namespace {

constexpr int kColumns = 3;

// A model with a random encoder over `columns` with the given statistics,
// one target and one microarchitecture (M_u all ones).
Model randomModel(std::vector<std::string> columns, std::vector<float> mean, std::vector<float> std, Arch arch,
                  int hidden, int layers, int window, uint32_t chunk, uint64_t seed) {
  Model m;
  m.featureColumns = std::move(columns);
  m.featureMean = std::move(mean);
  m.featureStd = std::move(std);
  m.targetNames = {"commit"};
  InstructionEncoder e(EncoderConfig{arch, static_cast<int>(m.featureColumns.size()), hidden, layers, window});
  e.initRandom(seed);
  storeEncoder(e, chunk, m);
  m.uarchs = {{"u", {}, 1.0, std::vector<float>(static_cast<size_t>(hidden), 1.0f), ""}};
  m.encoderHash = computeEncoderHash(m);
  m.contentHash = computeContentHash(m);
  return m;
}

// Over three columns "a", "b", "c" (a deviation of 0 is used as 1).
Model smallModel(Arch arch, int hidden, int layers, int window, uint32_t chunk, uint64_t seed) {
  return randomModel({"a", "b", "c"}, {1.0f, -2.0f, 0.5f}, {2.0f, 0.0f, 4.0f}, arch, hidden, layers, window,
                     chunk, seed);
}

std::vector<float> randomRows(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> d(-3.0f, 3.0f);
  std::vector<float> rows(n * kColumns);
  for (float& v : rows) v = d(rng);
  return rows;
}

StreamHeader featureHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a", "b", "c"};
  return h;
}

struct EncodedStream {
  std::vector<RepresentationBatch> batches;
  ProgramRepresentation program;
  StreamHeader header;
};

// Features -> windows (W, K, M) -> encoder -> aggregate; the feature stream
// is cut at `cuts`.
EncodedStream encodeStream(const Model& model, const std::vector<float>& rows, uint32_t chunk, uint32_t perBatch,
                 const std::vector<size_t>& cuts, WindowStreamOptions o) {
  InstructionEncoder enc = loadEncoder(model, "model");
  WindowChunker chunker(model.architecture.window, chunk, perBatch);
  WindowStreamEncoder encoder(model, enc, "model", o);
  RepresentationAggregator aggregator;
  EncodedStream run;
  StreamHeader windows = chunker.describe(featureHeader());
  run.header = encoder.describe(windows);
  aggregator.describe(run.header);
  Emit<RepresentationBatch> toAggregate = [&](RepresentationBatch&& b) {
    aggregator.add(b);
    run.batches.push_back(std::move(b));
  };
  Emit<FeatureBatch> toEncoder = [&](FeatureBatch&& b) { encoder.process(std::move(b), toAggregate); };
  const size_t n = rows.size() / kColumns;
  size_t at = 0;
  auto feed = [&](size_t count) {
    FeatureBatch b;
    b.firstIndex = at;
    b.columns = kColumns;
    b.values.assign(rows.begin() + static_cast<ptrdiff_t>(at * kColumns),
                    rows.begin() + static_cast<ptrdiff_t>((at + count) * kColumns));
    chunker.process(std::move(b), toEncoder);
    at += count;
  };
  for (size_t cut : cuts) feed(std::min(cut, n - at));
  feed(n - at);
  chunker.finish(toEncoder);
  encoder.finish(toAggregate);
  run.program = aggregator.total();
  return run;
}

// Direct window loop: normalise, pad with zero rows, run every window.
std::vector<double> directExact(const Model& model, const std::vector<float>& raw) {
  InstructionEncoder enc = loadEncoder(model, "model");
  const int64_t n = static_cast<int64_t>(raw.size()) / kColumns, ctx = model.architecture.window - 1;
  std::vector<float> rows(static_cast<size_t>(ctx * kColumns), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < kColumns; ++c) {
      const float sd = model.featureStd[c] == 0 ? 1.0f : model.featureStd[c];
      rows.push_back((raw[i * kColumns + c] - model.featureMean[c]) / sd);
    }
  return ReferenceRnn(enc).exact(rows.data(), n);
}

bool close(const std::vector<double>& a, const std::vector<double>& b, double rel) {
  if (a.size() != b.size()) return false;
  double scale = 1e-6;
  for (double v : b) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > rel * scale) return false;
  return true;
}

WindowStreamOptions options(EncodeMode mode, int64_t perCall, bool each = false) {
  WindowStreamOptions o;
  o.mode = mode;
  o.instructionsPerCall = perCall;
  o.perInstruction = each;
  o.anyChunk = true;
  return o;
}

rc::Gen<std::vector<size_t>> genCuts() {
  return rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, 40));
}

TEST(WindowStreamEncoder, EveryRiIsTheDirectWindowResultOnNormalisedPaddedRows) {
  for (Arch arch : {Arch::kLstm, Arch::kGru}) {
    const Model m = smallModel(arch, 8, 2, 6, 0, 5);
    const auto rows = randomRows(29, 17);
    EncodedStream r = encodeStream(m, rows, 4, 2, {3, 11}, options(EncodeMode::kExact, 0, true));
    std::vector<double> got;
    for (const auto& b : r.batches) {
      for (uint32_t c : b.instructions) EXPECT_EQ(c, 1u);
      got.insert(got.end(), b.values.begin(), b.values.end());
    }
    EXPECT_TRUE(close(got, directExact(m, rows), 1e-5)) << archName(arch);
    EXPECT_EQ(r.program.instructions, 29u);
  }
}

RC_GTEST_PROP(WindowStreamEncoder, ExactRpDoesNotDependOnChunkingOrBatching, ()) {
  const int window = *rc::gen::inRange(1, 10);
  const Model m = smallModel(*rc::gen::element(Arch::kLstm, Arch::kGru), *rc::gen::inRange(1, 9),
                             *rc::gen::inRange(1, 3), window, 0, *rc::gen::arbitrary<uint32_t>());
  const size_t n = *rc::gen::inRange<size_t>(0, 120);
  const auto rows = randomRows(n, *rc::gen::arbitrary<uint32_t>());
  const EncodedStream a = encodeStream(m, rows, *rc::gen::inRange(1u, 30u), *rc::gen::inRange(1u, 4u), *genCuts(),
                             options(EncodeMode::kExact, *rc::gen::inRange(0, 70)));
  const EncodedStream b = encodeStream(m, rows, *rc::gen::inRange(1u, 30u), *rc::gen::inRange(1u, 4u), *genCuts(),
                             options(EncodeMode::kExact, *rc::gen::inRange(0, 70), *rc::gen::arbitrary<bool>()));
  RC_ASSERT(a.program.instructions == n);
  RC_ASSERT(b.program.instructions == n);
  RC_ASSERT(close(a.program.sum, b.program.sum, 1e-5));
}

RC_GTEST_PROP(WindowStreamEncoder, ChunkedWithChunksOfOneIsExact, ()) {
  const Model m = smallModel(*rc::gen::element(Arch::kLstm, Arch::kGru), *rc::gen::inRange(1, 9),
                             *rc::gen::inRange(1, 3), *rc::gen::inRange(1, 10), 1,
                             *rc::gen::arbitrary<uint32_t>());
  const size_t n = *rc::gen::inRange<size_t>(1, 80);
  const auto rows = randomRows(n, *rc::gen::arbitrary<uint32_t>());
  const EncodedStream exact = encodeStream(m, rows, *rc::gen::inRange(1u, 20u), 2, *genCuts(),
                                 options(EncodeMode::kExact, 0, true));
  const EncodedStream chunked = encodeStream(m, rows, 1, *rc::gen::inRange(1u, 30u), *genCuts(),
                                   options(EncodeMode::kChunked, *rc::gen::inRange(0, 40), true));
  std::vector<double> e, c;
  for (const auto& b : exact.batches) e.insert(e.end(), b.values.begin(), b.values.end());
  for (const auto& b : chunked.batches) c.insert(c.end(), b.values.begin(), b.values.end());
  RC_ASSERT(close(c, e, 1e-5));
  RC_ASSERT(close(chunked.program.sum, exact.program.sum, 1e-5));
}

RC_GTEST_PROP(WindowStreamEncoder, ChunkedRpDoesNotDependOnBatching, ()) {
  const uint32_t k = *rc::gen::inRange(1u, 25u);
  const Model m = smallModel(Arch::kLstm, *rc::gen::inRange(1, 9), *rc::gen::inRange(1, 3),
                             *rc::gen::inRange(1, 10), k, *rc::gen::arbitrary<uint32_t>());
  const size_t n = *rc::gen::inRange<size_t>(0, 150);
  const auto rows = randomRows(n, *rc::gen::arbitrary<uint32_t>());
  const EncodedStream a = encodeStream(m, rows, k, *rc::gen::inRange(1u, 5u), *genCuts(),
                             options(EncodeMode::kChunked, *rc::gen::inRange(0, 100)));
  const EncodedStream b = encodeStream(m, rows, k, *rc::gen::inRange(1u, 5u), *genCuts(),
                             options(EncodeMode::kChunked, *rc::gen::inRange(0, 100)));
  RC_ASSERT(a.program.instructions == n);
  RC_ASSERT(close(a.program.sum, b.program.sum, 1e-5));
  // Per-chunk rows: K instructions each but the last.
  for (const auto& batch : a.batches)
    for (size_t i = 0; i < batch.instructions.size(); ++i)
      if (&batch != &a.batches.back() || i + 1 != batch.instructions.size())
        RC_ASSERT(batch.instructions[i] == k);
}

// Random instructions with a few PCs and data lines, so that reuse
// distances, branch entropy and exact-address distances all take values.
std::vector<Instruction> randomInstructions(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Instruction> out(n);
  for (auto& inst : out) {
    inst.pc = 0x400000 + 4 * (rng() % 24);
    inst.fetchDepth = static_cast<int8_t>(rng() % 3);
    switch (rng() % 4) {
      case 0:
        inst.opClass = kOpMemRead;
        break;
      case 1:
        inst.opClass = kOpMemWrite;
        inst.sqIndex = static_cast<int32_t>(rng() % 32);
        break;
      case 2:
        inst.opClass = 1;
        inst.flags = kFlagCondCtrl;
        inst.branching = rng() % 2;
        break;
      default:
        inst.opClass = 1;
    }
    if (inst.opClass == kOpMemRead || inst.opClass == kOpMemWrite) {
      inst.effAddrValid = true;
      inst.dataAddr = 0x10000 + 8 * (rng() % 40) + 64 * (rng() % 6);
      inst.accessSize = 8;
      inst.dataDepth = static_cast<int8_t>(rng() % 3);
    }
    inst.srcCount = 1;
    inst.src[0] = RegId{0, static_cast<uint16_t>(rng() % 30)};
  }
  return out;
}

// A model over the 51 features (random weights and statistics).
Model featureModel(const std::vector<std::string>& columns, int window, uint32_t chunk, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> mean, std;
  for (size_t c = 0; c < columns.size(); ++c) {
    mean.push_back(static_cast<float>(rng() % 100) / 10.0f);
    std.push_back(static_cast<float>(1 + rng() % 50));
  }
  return randomModel(columns, std::move(mean), std::move(std), Arch::kLstm, 6, 1, window, chunk, seed);
}

// The instructions through FeatureExtractor in batches cut at `cuts`.
std::vector<FeatureBatch> featureBatches(const std::vector<Instruction>& insts, const std::vector<size_t>& cuts,
                                         StreamHeader& header) {
  FeatureExtractor extractor;
  header = extractor.describe(StreamHeader{});
  std::vector<FeatureBatch> out;
  size_t at = 0;
  auto feed = [&](size_t count) {
    InstructionBatch b;
    b.firstIndex = at;
    b.rows.assign(insts.begin() + static_cast<ptrdiff_t>(at), insts.begin() + static_cast<ptrdiff_t>(at + count));
    extractor.process(std::move(b), [&](FeatureBatch&& f) { out.push_back(std::move(f)); });
    at += count;
  };
  for (size_t cut : cuts) feed(std::min(cut, insts.size() - at));
  feed(insts.size() - at);
  extractor.finish([&](FeatureBatch&& f) { out.push_back(std::move(f)); });
  return out;
}

struct Encoded {
  StreamHeader header;
  std::vector<float> perBatch;  // every representation row, in order
  ProgramRepresentation program;
};

// Any transform FeatureBatch -> RepresentationBatch, then the aggregator.
template <class T>
Encoded encodeWith(T& transform, const StreamHeader& in, std::vector<FeatureBatch> batches) {
  Encoded r;
  RepresentationAggregator aggregator;
  r.header = transform.describe(in);
  aggregator.describe(r.header);
  Emit<RepresentationBatch> sink = [&](RepresentationBatch&& b) {
    aggregator.add(b);
    r.perBatch.insert(r.perBatch.end(), b.values.begin(), b.values.end());
  };
  for (auto& b : batches) transform.process(std::move(b), sink);
  transform.finish(sink);
  r.program = aggregator.total();
  return r;
}

RC_GTEST_PROP(FeatureStreamEncoder, FeatureStreamsGiveTheSevenStageRpBitForBit, ()) {
  const uint32_t k = *rc::gen::element(0u, 1u, 3u, 16u);  // 0: an exact model
  const int window = *rc::gen::inRange(1, 12);
  const size_t n = *rc::gen::inRange<size_t>(0, 400);
  const auto insts = randomInstructions(n, *rc::gen::arbitrary<uint64_t>());
  StreamHeader featureHeader;
  const auto featuresA = featureBatches(insts, *genCuts(), featureHeader);
  const Model m = featureModel(featureHeader.featureColumns, window, k, *rc::gen::arbitrary<uint32_t>());
  const InstructionEncoder enc = loadEncoder(m, "model");
  WindowStreamOptions o;
  o.mode = k ? EncodeMode::kChunked : EncodeMode::kExact;
  o.perInstruction = *rc::gen::arbitrary<bool>();
  // The same instructions per encoder call on both sides (BLAS rounds a GEMM
  // of another size otherwise; pv-encode's default is the model's on both).
  o.instructionsPerCall = *rc::gen::inRange(0, 90);

  // The separate stages: reuse distances, windows (random batching), encoder.
  ReuseDistanceStage reuse;
  // pv-window -m M: the model's K, 1024 for an exact model.
  WindowChunker chunker(static_cast<uint32_t>(window), k ? k : 1024u, *rc::gen::inRange(1u, 6u));
  const StreamHeader complete = reuse.describe(featureHeader);
  const StreamHeader windows = chunker.describe(complete);
  std::vector<FeatureBatch> windowBatches, completeBatches;
  for (auto b : featuresA)
    reuse.process(std::move(b), [&](FeatureBatch&& f) {
      completeBatches.push_back(f);
      chunker.process(std::move(f), [&](FeatureBatch&& w) { windowBatches.push_back(std::move(w)); });
    });
  chunker.finish([&](FeatureBatch&& w) { windowBatches.push_back(std::move(w)); });
  WindowStreamEncoder windowEncoder(m, enc, "model", o);
  const Encoded seven = encodeWith(windowEncoder, windows, windowBatches);

  // pv-feature | pv-encode: the features cut elsewhere.
  StreamHeader again;
  FeatureStreamEncoder fromFeatures(m, enc, "model", o);
  const Encoded direct = encodeWith(fromFeatures, featureHeader, featureBatches(insts, *genCuts(), again));
  RC_ASSERT(fromFeatures.steps() == "reuse-distance, window");
  // pv-feature | pv-reuse-distance | pv-encode.
  FeatureStreamEncoder fromComplete(m, enc, "model", o);
  const Encoded mid = encodeWith(fromComplete, complete, completeBatches);
  RC_ASSERT(fromComplete.steps() == "window");

  RC_ASSERT(seven.program.instructions == n);
  // The header names the separate stages whose transforms ran inside.
  RC_ASSERT(direct.header.stages == (std::vector<std::string>{"pv-reuse-distance", "pv-window"}));
  RC_ASSERT(mid.header.stages == (std::vector<std::string>{"pv-window"}));
  for (const Encoded* e : {&direct, &mid}) {
    RC_ASSERT(e->program.instructions == n);
    RC_ASSERT(e->program.sum == seven.program.sum);  // bit for bit
    RC_ASSERT(e->perBatch == seven.perBatch);        // every chunk sum or R_i
    StreamHeader h = e->header;
    h.stages.clear();
    RC_ASSERT(h == seven.header);
  }
}

TEST(FeatureStreamEncoder, RefusesStreamsItCannotComplete) {
  const Model m = smallModel(Arch::kLstm, 4, 1, 3, 4, 1);
  const InstructionEncoder enc = loadEncoder(m, "model");
  FeatureStreamEncoder e(m, enc, "model", WindowStreamOptions{});
  StreamHeader pending = featureHeader();
  pending.pendingColumns = {1};
  try {
    e.describe(pending);
    FAIL() << "pending columns without addresses accepted";
  } catch (const StageError& err) {
    EXPECT_NE(err.message().find("no address columns"), std::string::npos) << err.message();
  }
  StreamHeader instructions;
  FeatureStreamEncoder e2(m, enc, "model", WindowStreamOptions{});
  try {
    e2.describe(instructions);
    FAIL() << "an instruction stream accepted";
  } catch (const StageError& err) {
    EXPECT_NE(err.message().find("expected a feature stream"), std::string::npos) << err.message();
  }
}

TEST(WindowStreamEncoder, HeaderCarriesTheEncoderHashAndWidth) {
  const Model m = smallModel(Arch::kLstm, 5, 1, 4, 8, 1);
  const EncodedStream r = encodeStream(m, randomRows(20, 1), 8, 1, {}, options(EncodeMode::kChunked, 0));
  EXPECT_EQ(r.header.payload, PayloadKind::kRepresentations);
  EXPECT_EQ(r.header.modelId, m.encoderHash);
  EXPECT_EQ(r.header.representationDim, 5u);
  EXPECT_FALSE(r.header.perInstruction);
  EXPECT_TRUE(r.header.featureColumns.empty());
  ASSERT_EQ(r.batches.size(), 1u);
  EXPECT_EQ(r.batches[0].instructions, (std::vector<uint32_t>{8, 8, 4}));
}

// The error message of `f`, or "" when it does not throw StageError.
template <class F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const StageError& e) {
    return e.what();
  }
  return "";
}

StreamHeader windowHeader(uint32_t w, uint32_t k) {
  StreamHeader h = featureHeader();
  h.payload = PayloadKind::kWindows;
  h.window = w;
  h.chunk = k;
  return h;
}

FeatureBatch windowBatch(uint64_t first, uint32_t ctx, size_t own, float fill = 0.5f) {
  FeatureBatch b;
  b.firstIndex = first;
  b.columns = kColumns;
  b.contextRows = ctx;
  b.values.assign((ctx + own) * kColumns, fill);
  return b;
}

TEST(WindowStreamEncoder, RefusesStreamsAndModelsThatDoNotFit) {
  const Model m = smallModel(Arch::kLstm, 4, 1, 4, 2, 1);
  InstructionEncoder enc = loadEncoder(m, "m.pvm");
  Emit<RepresentationBatch> drop = [](RepresentationBatch&&) {};
  {
    WindowStreamEncoder e(m, enc, "m.pvm", {});
    EXPECT_NE(errorOf([&] { e.describe(featureHeader()); }).find("expected a window stream"), std::string::npos);
    EXPECT_NE(errorOf([&] { e.describe(windowHeader(8, 2)); }).find("windows of 8 instructions, the model (m.pvm) needs 4"),
              std::string::npos);
    EXPECT_NE(errorOf([&] { e.describe(windowHeader(4, 3)); }).find("trained on chunks of 2"), std::string::npos);
    StreamHeader other = windowHeader(4, 2);
    other.featureColumns[1] = "x";
    EXPECT_NE(errorOf([&] { e.describe(other); }).find("column 1 is 'x' in the stream and 'b' in the model"),
              std::string::npos);
  }
  {
    // A stream without the model's columns beyond the 51 names the stage
    // that makes them.
    const Model dep = randomModel({"a", "b", "c", "dep_distance_log2"}, {0, 0, 0, 0}, {1, 1, 1, 1}, Arch::kLstm, 4, 1,
                                  4, 2, 1);
    InstructionEncoder depEnc = loadEncoder(dep, "dep.pvm");
    WindowStreamEncoder e(dep, depEnc, "dep.pvm", {});
    const std::string text = errorOf([&] { e.describe(windowHeader(4, 2)); });
    EXPECT_NE(text.find("column 3 is '(none)' in the stream and 'dep_distance_log2' in the model (made by pv-dependency)"),
              std::string::npos)
        << text;
  }
  {
    WindowStreamEncoder e(m, enc, "m.pvm", {});
    e.describe(windowHeader(4, 2));
    e.process(windowBatch(0, 3, 4), drop);
    EXPECT_NE(errorOf([&] { e.process(windowBatch(6, 3, 2), drop); }).find("expected 4"), std::string::npos);
  }
  {
    WindowStreamEncoder e(m, enc, "m.pvm", {});
    e.describe(windowHeader(4, 2));
    e.process(windowBatch(0, 3, 4), drop);
    // Context rows that are not the rows before: another stream's batch.
    EXPECT_NE(errorOf([&] { e.process(windowBatch(4, 3, 2, 9.0f), drop); }).find("context rows differ"),
              std::string::npos);
  }
  {
    WindowStreamEncoder e(m, enc, "m.pvm", {});
    e.describe(windowHeader(4, 2));
    e.process(windowBatch(0, 3, 3), drop);  // ends inside a chunk
    EXPECT_NE(errorOf([&] { e.process(windowBatch(3, 3, 2), drop); }).find("shorter than 2"), std::string::npos);
  }
  {
    WindowStreamEncoder e(m, enc, "m.pvm", {});
    e.describe(windowHeader(4, 2));
    EXPECT_NE(errorOf([&] { e.process(windowBatch(0, 1, 2), drop); }).find("1 context rows"), std::string::npos);
  }
}

TEST(ModelEncoder, MissingMisshapenOrForeignWeightsAreErrors) {
  const Model good = smallModel(Arch::kLstm, 4, 2, 4, 0, 1);
  Model missing = good;
  missing.tensors.erase(missing.tensors.begin() + 1);
  EXPECT_NE(errorOf([&] { loadEncoder(missing, "m.pvm"); }).find("m.pvm: no weight 'weight_hh_l0'"), std::string::npos);
  Model shape = good;
  shape.tensors[0].shape = {4, 16};
  EXPECT_NE(errorOf([&] { loadEncoder(shape, "m.pvm"); }).find("has shape [4, 16], the encoder needs [16, 3]"),
            std::string::npos);
  Model extra = good;
  extra.tensors.push_back({"head.weight", {1}, {0.0f}});
  EXPECT_NE(errorOf([&] { loadEncoder(extra, "m.pvm"); }).find("'head.weight' is not a parameter"), std::string::npos);
  Model kind = good;
  kind.architecture.kind = "transformer";
  EXPECT_NE(errorOf([&] { loadEncoder(kind, "m.pvm"); }).find("unknown encoder architecture 'transformer'"),
            std::string::npos);
  // The weights survive a store/load round trip.
  InstructionEncoder a = loadEncoder(good, "m.pvm");
  Model again = good;
  storeEncoder(a, 0, again);
  EXPECT_EQ(again.tensors, good.tensors);
}

}  // namespace
}  // namespace pv::encode
