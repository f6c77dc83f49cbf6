// RepresentationAggregator: sums instruction representations into the
// program's representation R_p = sum R_i, in double precision, counting
// instructions; optionally also one sum per interval of about N
// instructions (phase behaviour).
//
// Rows are added in stream order, so the result does not depend on how the
// stream is split into batches. An interval closes at the first row
// boundary at or after each multiple of N instructions: exact for
// per-instruction streams, chunk-aligned for per-chunk sums. Closed
// intervals are emitted as they close (after the batch that closed them),
// so memory does not grow with their number; R_p comes last.
//
// merge(): the R_p of consecutive slices of one program (e.g. reduced in
// parallel) add up to the R_p of the whole; the caller passes the slices'
// intervals on, shifted to the slice's position (total().instructions).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "stages/core/representation.h"
#include "stages/core/stream_header.h"
#include "stages/core/transform.h"

namespace pv {

class RepresentationAggregator : public Transform<RepresentationBatch, ProgramPart> {
 public:
  // intervalInstructions: 0 for no intervals.
  explicit RepresentationAggregator(uint64_t intervalInstructions = 0)
      : interval_(intervalInstructions) {}

  // Output header: payload program, same width, model and source. Throws
  // StageError unless the input is a representation stream.
  StreamHeader describe(const StreamHeader& in) override;
  // Transform contract: add() each batch and emit the intervals it closed;
  // finish() emits the open interval, then R_p (without intervals).
  void process(RepresentationBatch&& batch, const Emit<ProgramPart>& emit) override;
  void finish(const Emit<ProgramPart>& emit) override;

  // Adds a batch; the intervals it closes wait for takeClosed().
  void add(const RepresentationBatch& batch);
  std::vector<IntervalRepresentation> takeClosed();
  // Adds a later slice's R_p (same width; its intervals are the caller's).
  void merge(const ProgramRepresentation& slice);

  // Checkpoints: the running state (the sum so far, without intervals, and
  // the open interval) and how to continue from it. After restore(), the
  // next row must start at total.instructions.
  const ProgramRepresentation& total() const { return total_; }
  const std::optional<IntervalRepresentation>& openInterval() const { return open_; }
  void restore(ProgramRepresentation total, std::optional<IntervalRepresentation> open);
  // Record 0 of the input stream is instruction `offset` of the program (the
  // stream is a slice, see stages/runtime/slice.h).
  void setStreamOffset(uint64_t offset) { offset_ = offset; }

 private:
  void ensureWidth(size_t dim);

  uint64_t interval_;
  uint64_t offset_ = 0;
  ProgramRepresentation total_;
  std::optional<IntervalRepresentation> open_;
  std::vector<IntervalRepresentation> closed_;  // since the last takeClosed()
};

}  // namespace pv
