// Schema round trips: any batch encoded and decoded is the same batch, and
// inconsistent batches are rejected with a clear error.

#include "stages/runtime/codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/support/arbitrary.h"

namespace pv::runtime {
namespace {

const Where kWhere{"test", "message 1"};

template <class Batch, class Builder>
Batch roundTrip(const Batch& in, const StreamHeader& header, Builder init) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<wire::Message>();
  encodeBatch(in, init(root));
  auto words = capnp::messageToFlatArray(message);
  capnp::FlatArrayMessageReader reader(words);
  Batch out;
  auto r = reader.getRoot<wire::Message>();
  if constexpr (std::is_same_v<Batch, InstructionBatch>)
    decodeBatch(r.getInstructions(), header, kWhere, out);
  else if constexpr (std::is_same_v<Batch, FeatureBatch>)
    decodeBatch(r.getFeatures(), header, kWhere, out);
  else if constexpr (std::is_same_v<Batch, RepresentationBatch>)
    decodeBatch(r.getRepresentations(), header, kWhere, out);
  else if constexpr (std::is_same_v<Batch, IntervalRepresentation>)
    decodeBatch(r.getInterval(), header, kWhere, out);
  else
    decodeBatch(r.getProgram(), header, kWhere, out);
  return out;
}

RC_GTEST_PROP(Codec, headersSurviveARoundTrip, ()) {
  auto payload = *rc::gen::element(PayloadKind::kInstructions, PayloadKind::kFeatures);
  StreamHeader h = testing::genHeader(payload, *rc::gen::arbitrary<bool>(),
                                      *rc::gen::arbitrary<bool>());
  h.pendingColumns = {0};
  if (payload == PayloadKind::kInstructions) h.pendingColumns.clear();
  h.modelId = *rc::gen::arbitrary<std::string>();
  capnp::MallocMessageBuilder message;
  encodeHeader(h, message.initRoot<wire::StreamHeader>());
  RC_ASSERT(decodeHeader(message.getRoot<wire::StreamHeader>().asReader(), kWhere) == h);
}

RC_GTEST_PROP(Codec, instructionBatchesSurviveARoundTrip, ()) {
  StreamHeader h = testing::genHeader(PayloadKind::kInstructions, *rc::gen::arbitrary<bool>(), false);
  InstructionBatch in = testing::genInstructionBatch(h, *rc::gen::inRange<uint64_t>(0, 1 << 30));
  RC_ASSERT(roundTrip(in, h, [](auto root) { return root.initInstructions(); }) == in);
}

RC_GTEST_PROP(Codec, featureBatchesSurviveARoundTrip, ()) {
  StreamHeader h = testing::genHeader(PayloadKind::kFeatures, *rc::gen::arbitrary<bool>(),
                                      *rc::gen::arbitrary<bool>());
  FeatureBatch in = testing::genFeatureBatch(h, *rc::gen::inRange<uint64_t>(0, 1 << 30));
  RC_ASSERT(roundTrip(in, h, [](auto root) { return root.initFeatures(); }) == in);
}

RC_GTEST_PROP(Codec, windowBatchesKeepTheirContextRows, ()) {
  StreamHeader h = testing::genHeader(PayloadKind::kFeatures, *rc::gen::arbitrary<bool>(), false);
  h.payload = PayloadKind::kWindows;
  h.window = *rc::gen::inRange<uint32_t>(1, 9);
  h.chunk = *rc::gen::inRange<uint32_t>(1, 9);
  FeatureBatch in = testing::genFeatureBatch(h, *rc::gen::inRange<uint64_t>(0, 1 << 30));
  in.contextRows = h.window - 1;
  auto context = testing::genFloats(in.contextRows * in.columns);
  in.values.insert(in.values.begin(), context.begin(), context.end());
  FeatureBatch out = roundTrip(in, h, [](auto root) { return root.initFeatures(); });
  RC_ASSERT(out == in);
  RC_ASSERT(out.rows() == (in.values.size() / in.columns) - in.contextRows);
}

RC_GTEST_PROP(Codec, representationBatchesSurviveARoundTrip, ()) {
  StreamHeader h;
  h.payload = PayloadKind::kRepresentations;
  h.representationDim = *rc::gen::inRange<uint32_t>(1, 64);
  h.perInstruction = *rc::gen::arbitrary<bool>();
  auto in = testing::genRepresentationBatch(h.representationDim, 17, h.perInstruction);
  RC_ASSERT(roundTrip(in, h, [](auto root) { return root.initRepresentations(); }) == in);
}

RC_GTEST_PROP(Codec, programRepresentationsSurviveARoundTrip, ()) {
  StreamHeader h;
  h.payload = PayloadKind::kProgram;
  h.representationDim = *rc::gen::inRange<uint32_t>(1, 64);
  auto in = testing::genProgram(h.representationDim);
  // The program message alone: its intervals are messages of their own.
  auto intervals = std::move(in.intervals);
  in.intervals.clear();
  RC_ASSERT(roundTrip(in, h, [](auto root) { return root.initProgram(); }) == in);
  for (const auto& interval : intervals)
    RC_ASSERT(roundTrip(interval, h, [](auto root) { return root.initInterval(); }) == interval);
}

// Writers before 0.14 put the intervals inside the program message: still
// read, and still checked to cover the program in order.
TEST(Codec, legacyIntervalsInsideTheProgramAreReadAndMustCoverIt) {
  StreamHeader h;
  h.payload = PayloadKind::kProgram;
  h.representationDim = 2;
  auto legacy = [&](std::vector<IntervalRepresentation> intervals, uint64_t instructions) {
    ProgramRepresentation p;
    p.instructions = instructions;
    p.sum = {1, 2};
    capnp::MallocMessageBuilder message;
    auto program = message.initRoot<wire::Message>().initProgram();
    encodeBatch(p, program);
    auto list = program.initIntervals(static_cast<unsigned>(intervals.size()));
    for (size_t i = 0; i < intervals.size(); ++i) encodeBatch(intervals[i], list[i]);
    auto words = capnp::messageToFlatArray(message);
    capnp::FlatArrayMessageReader reader(words);
    ProgramRepresentation out;
    decodeBatch(reader.getRoot<wire::Message>().getProgram(), h, kWhere, out);
    return out;
  };
  const std::vector<IntervalRepresentation> halves = {{0, 4, {1, 1}}, {4, 6, {0, 1}}};
  EXPECT_EQ(legacy(halves, 10).intervals, halves);
  EXPECT_THROW(legacy(halves, 12), StageError);                       // do not cover it
  EXPECT_THROW(legacy({{0, 4, {1, 1}}, {5, 5, {0, 1}}}, 10), StageError);  // a gap
}

TEST(Codec, aBatchWhoseColumnCountDisagreesWithTheHeaderIsRejected) {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a", "b", "c"};
  FeatureBatch b;
  b.columns = 2;
  b.values = {1, 2, 3, 4};
  try {
    roundTrip(b, h, [](auto root) { return root.initFeatures(); });
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), "test");
    EXPECT_EQ(e.position(), "message 1");
    EXPECT_NE(e.message().find("2 columns, header names 3"), std::string::npos) << e.what();
  }
}

TEST(Codec, labelsOfTheWrongSizeAreRejected) {
  StreamHeader h;
  h.payload = PayloadKind::kInstructions;
  h.uarchNames = {"u0"};
  h.targetNames = {"t0", "t1"};
  InstructionBatch b;
  b.rows.resize(3);
  b.labels = {1, 2, 3};  // needs 6
  EXPECT_THROW(roundTrip(b, h, [](auto root) { return root.initInstructions(); }), StageError);
}

TEST(Codec, anUnknownSchemaVersionIsRejected) {
  capnp::MallocMessageBuilder message;
  auto h = message.initRoot<wire::StreamHeader>();
  encodeHeader(StreamHeader{}, h);
  h.setSchemaVersion(99);
  EXPECT_THROW(decodeHeader(h.asReader(), kWhere), StageError);
}

}  // namespace
}  // namespace pv::runtime
