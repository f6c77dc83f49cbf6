// In-memory forms of learned representations: batches of instruction
// representations from pv-encode, and a program's representation R_p from
// pv-aggregate.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

namespace pv {

// Per-chunk partial sums of R_i (or every R_i, one instruction per row).
struct RepresentationBatch {
  uint64_t firstIndex = 0;             // first instruction covered
  uint32_t dim = 0;                    // width of R
  std::vector<float> values;           // rows() x dim
  std::vector<uint32_t> instructions;  // instructions summed into each row

  size_t rows() const { return instructions.size(); }
  uint64_t instructionCount() const {
    uint64_t n = 0;
    for (uint32_t c : instructions) n += c;
    return n;
  }
  bool operator==(const RepresentationBatch&) const = default;
};

// A sum of R_i over a stretch of instructions, in double precision.
struct IntervalRepresentation {
  uint64_t firstIndex = 0;
  uint64_t instructions = 0;
  std::vector<double> sum;
  bool operator==(const IntervalRepresentation&) const = default;
};

// R_p: the whole program's sum, plus optional interval sums (held here
// when a reader collects them; on the wire each is its own message).
struct ProgramRepresentation {
  uint64_t instructions = 0;
  std::vector<double> sum;  // dim values
  std::vector<IntervalRepresentation> intervals;
  bool operator==(const ProgramRepresentation&) const = default;
};

// One message of a program stream, in stream order: the interval sums as
// they close, then the whole program's (whose `intervals` is then empty).
// Streaming them keeps memory flat however many intervals a program has.
using ProgramPart = std::variant<IntervalRepresentation, ProgramRepresentation>;

}  // namespace pv
