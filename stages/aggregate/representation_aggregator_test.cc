// R_p laws: the sum does not depend on how the stream is batched, on how
// instructions were grouped into chunk sums (exact here: the values are
// dyadic, so every float sum is exact), and slices merge to the whole.

#include "stages/aggregate/representation_aggregator.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "stages/core/stage_error.h"

#include <variant>

namespace pv {
namespace {

constexpr uint32_t kDim = 5;

StreamHeader representationHeader() {
  StreamHeader h;
  h.payload = PayloadKind::kRepresentations;
  h.representationDim = kDim;
  h.modelId = "xxh3-128:test";
  return h;
}

// Per-instruction representations with small dyadic values.
std::vector<std::vector<float>> genInstructionRs() {
  size_t n = *rc::gen::inRange<size_t>(0, 400);
  std::vector<std::vector<float>> rs(n);
  for (auto& r : rs)
    for (uint32_t d = 0; d < kDim; ++d) r.push_back(*rc::gen::inRange(-64, 64) / 16.0f);
  return rs;
}

// Groups consecutive instructions into rows of random sizes (chunk sums)
// and the rows into batches of random sizes.
std::vector<RepresentationBatch> group(const std::vector<std::vector<float>>& rs, size_t maxChunk,
                                       size_t maxRowsPerBatch) {
  std::vector<RepresentationBatch> batches;
  size_t i = 0;
  RepresentationBatch b;
  b.dim = kDim;
  while (i < rs.size()) {
    size_t k = std::min(rs.size() - i, *rc::gen::inRange<size_t>(1, maxChunk + 1));
    std::vector<float> sum(kDim, 0.0f);
    for (size_t j = i; j < i + k; ++j)
      for (uint32_t d = 0; d < kDim; ++d) sum[d] += rs[j][d];
    b.values.insert(b.values.end(), sum.begin(), sum.end());
    b.instructions.push_back(static_cast<uint32_t>(k));
    i += k;
    if (b.rows() >= *rc::gen::inRange<size_t>(1, maxRowsPerBatch + 1)) {
      batches.push_back(b);
      b = RepresentationBatch{};
      b.dim = kDim;
      b.firstIndex = i;
    }
  }
  if (b.rows() > 0) batches.push_back(b);
  return batches;
}

// What the aggregator emits, collected: the intervals (each emitted after
// the batch that closed it, before the program) into program.intervals.
struct Collected {
  ProgramRepresentation program;
  size_t programs = 0;
  Emit<ProgramPart> emit() {
    return [this](ProgramPart&& part) {
      if (auto* i = std::get_if<IntervalRepresentation>(&part)) {
        RC_ASSERT(programs == 0);
        program.intervals.push_back(std::move(*i));
        return;
      }
      ++programs;
      auto intervals = std::move(program.intervals);
      program = std::move(std::get<ProgramRepresentation>(part));
      RC_ASSERT(program.intervals.empty());
      program.intervals = std::move(intervals);
    };
  }
};

ProgramRepresentation aggregate(const std::vector<RepresentationBatch>& batches, uint64_t interval = 0) {
  RepresentationAggregator a(interval);
  a.describe(representationHeader());
  Collected out;
  for (auto b : batches) a.process(std::move(b), out.emit());
  a.finish(out.emit());
  RC_ASSERT(out.programs == 1u);
  return out.program;
}

RC_GTEST_PROP(RepresentationAggregator, rPIsTheSameForAnyChunkingAndBatching, ()) {
  auto rs = genInstructionRs();
  ProgramRepresentation perInstruction = aggregate(group(rs, 1, 1000));
  ProgramRepresentation chunked = aggregate(group(rs, *rc::gen::inRange<size_t>(1, 64), 8));
  RC_ASSERT(perInstruction.instructions == rs.size());
  RC_ASSERT(chunked == perInstruction);
}

RC_GTEST_PROP(RepresentationAggregator, slicesMergeToTheWhole, ()) {
  auto rs = genInstructionRs();
  size_t cut = *rc::gen::inRange<size_t>(0, rs.size() + 1);
  std::vector<std::vector<float>> first(rs.begin(), rs.begin() + cut), second(rs.begin() + cut, rs.end());
  RepresentationAggregator merged;
  merged.describe(representationHeader());
  merged.merge(aggregate(group(first, 16, 4)));
  merged.merge(aggregate(group(second, 16, 4)));
  RC_ASSERT(merged.total() == aggregate(group(rs, 16, 4)));
}

// Intervals leave as they close: after each batch at most the open one is
// held, so memory does not grow with their number.
RC_GTEST_PROP(RepresentationAggregator, closedIntervalsAreEmittedByTheBatchThatClosesThem, ()) {
  auto rs = genInstructionRs();
  const uint64_t interval = *rc::gen::inRange<uint64_t>(1, 20);
  RepresentationAggregator a(interval);
  a.describe(representationHeader());
  uint64_t emittedEnd = 0;
  for (auto b : group(rs, 4, 6)) {
    a.process(std::move(b), [&](ProgramPart&& part) {
      const auto& i = std::get<IntervalRepresentation>(part);
      RC_ASSERT(i.firstIndex == emittedEnd);
      emittedEnd += i.instructions;
    });
    const uint64_t held = a.openInterval() ? a.openInterval()->instructions : 0;
    RC_ASSERT(emittedEnd + held == a.total().instructions);
    RC_ASSERT(held < interval + 4);  // less than N plus one chunk
    RC_ASSERT(a.takeClosed().empty());
  }
}

RC_GTEST_PROP(RepresentationAggregator, intervalsPartitionTheProgram, ()) {
  auto rs = genInstructionRs();
  uint64_t interval = *rc::gen::inRange<uint64_t>(1, 100);
  ProgramRepresentation p = aggregate(group(rs, 1, 50), interval);
  uint64_t next = 0;
  std::vector<double> total(kDim, 0.0);
  for (const auto& i : p.intervals) {
    RC_ASSERT(i.firstIndex == next);
    RC_ASSERT(i.instructions == interval || &i == &p.intervals.back());
    next += i.instructions;
    for (uint32_t d = 0; d < kDim; ++d) total[d] += i.sum[d];
  }
  RC_ASSERT(next == rs.size());
  RC_ASSERT(total == p.sum);
}

TEST(RepresentationAggregator, aGapInTheStreamIsAnError) {
  RepresentationAggregator a;
  a.describe(representationHeader());
  RepresentationBatch b{5, kDim, std::vector<float>(kDim, 1.0f), {1}};
  EXPECT_THROW(a.add(b), StageError);
}

TEST(RepresentationAggregator, onlyRepresentationStreamsAreAccepted) {
  RepresentationAggregator a;
  StreamHeader h = representationHeader();
  h.payload = PayloadKind::kFeatures;
  EXPECT_THROW(a.describe(h), StageError);
  StreamHeader ok = a.describe(representationHeader());
  EXPECT_EQ(ok.payload, PayloadKind::kProgram);
  EXPECT_EQ(ok.modelId, "xxh3-128:test");
}

}  // namespace
}  // namespace pv
