// RepresentationAggregator: sums instruction representations into the
// program's representation R_p = sum R_i, in double precision, counting
// instructions; optionally also one sum per interval of about N
// instructions (phase behaviour).
//
// Rows are added in stream order, so the result does not depend on how the
// stream is split into batches. An interval closes at the first row
// boundary at or after each multiple of N instructions: exact for
// per-instruction streams, chunk-aligned for per-chunk sums.
//
// merge(): the R_p of consecutive slices of one program (e.g. reduced in
// parallel) add up to the R_p of the whole; intervals are shifted to the
// slice's position.
#pragma once

#include <cstdint>
#include <optional>

#include "stages/core/representation.h"
#include "stages/core/stream_header.h"
#include "stages/core/transform.h"

namespace pv {

class RepresentationAggregator : public Transform<RepresentationBatch, ProgramRepresentation> {
 public:
  // intervalInstructions: 0 for no intervals.
  explicit RepresentationAggregator(uint64_t intervalInstructions = 0)
      : interval_(intervalInstructions) {}

  // Output header: payload program, same width, model and source. Throws
  // StageError unless the input is a representation stream.
  StreamHeader describe(const StreamHeader& in) override;
  // Transform contract: add() each batch; finish() emits R_p once.
  void process(RepresentationBatch&& batch, const Emit<ProgramRepresentation>&) override { add(batch); }
  void finish(const Emit<ProgramRepresentation>& emit) override { emit(result()); }

  void add(const RepresentationBatch& batch);
  // Appends a later slice's program representation (same width).
  void merge(const ProgramRepresentation& slice);

  // The result so far (intervals include the open one).
  ProgramRepresentation result() const;

 private:
  void ensureWidth(size_t dim);
  void closeInterval();

  uint64_t interval_;
  ProgramRepresentation total_;
  std::optional<IntervalRepresentation> open_;
};

}  // namespace pv
