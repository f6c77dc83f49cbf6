// Parsing of single lines of the PerfVec gem5 trace format
// (../shared/reference/perfvec-facts.md, "The gem5 trace format").
//
// trace.txt holds one line per committed instruction, fields separated by
// one or more blanks:
//
//   normal line       fields 1-50 then n_src + n_dst register pairs:
//                     50 + 2 * (n_src + n_dst) fields
//   store-queue head  sq_index != -1: fields 1-9 only; the rest of the record
//                     is the next unread line of trace.sq.txt
//   faulting store    sq_index != -1 and is_fault 1: a normal line, no
//                     trace.sq.txt line; store_latency and sq_out_latency 0
//   start line        sq_index == -99: field 3 is a start tick; no
//                     instruction (any field count >= 3, all numeric)
//
// trace.sq.txt lines repeat fields 1-9, then store_latency, sq_out_latency,
// then fields 10..end: 52 + 2 * (n_src + n_dst) fields.
//
// The parser is stateless, allocates nothing on the success path and never
// touches I/O. Every failure throws pv::StageError{input, "line N", reason}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "stages/core/instruction.h"
#include "stages/core/stage_error.h"

namespace pv::gem5 {

// sq_index of a start line.
inline constexpr int32_t kStartLineSqIndex = -99;
// Fields of a store-queue head line in trace.txt.
inline constexpr int kHeadFields = 9;
// Fields of a normal line without registers.
inline constexpr int kBaseFields = 50;
// Extra fields of a trace.sq.txt line (store_latency, sq_out_latency).
inline constexpr int kSqExtraFields = 2;
// Largest field count a valid line can have.
inline constexpr int kMaxFields =
    kBaseFields + kSqExtraFields + 2 * (kMaxSrcRegs + kMaxDstRegs);
// Register limits of the original feature layout: class <= 6 and index < 50
// unless the class is 6 (miscellaneous registers).
inline constexpr int kMaxRegClass = 6;
inline constexpr int kMiscRegClass = 6;
inline constexpr int kMaxRegIndex = 50;
// Largest accepted gem5 OpClass number (gem5 defines fewer than 100).
inline constexpr int kMaxOpClass = 255;

// Where a line comes from, for error messages.
struct LineRef {
  const std::string& input;
  uint64_t line;  // 1-based
};

// A start line met while reading: it comes before the instruction at stream
// position `index` (== the number of instructions before it).
struct StartMark {
  uint64_t index = 0;
  uint64_t tick = 0;
  bool operator==(const StartMark&) const = default;
};

enum class LineKind {
  kInstruction,  // a complete instruction
  kStoreQueue,   // fields 1-9 only; complete it with parseSqLine()
  kStart,        // a start line; see startTick
};

struct TraceLine {
  LineKind kind = LineKind::kInstruction;
  uint64_t startTick = 0;  // kStart only
};

class Gem5LineParser {
 public:
  // Parses one trace.txt line (without its newline) into `out`. For
  // kInstruction every field is set; for kStoreQueue only isFault, sqIndex
  // and the timing of fields 3-9; for kStart `out` is left unspecified.
  // `out.hasTiming` is set: trace records always carry timing.
  static TraceLine parseTraceLine(std::string_view line, LineRef where,
                                  Instruction& out);

  // Parses one trace.sq.txt line into a complete record (`out.timing`
  // includes the store timing).
  static void parseSqRecord(std::string_view line, LineRef where,
                            Instruction& out);

  // Throws when fields 1-9 of a kStoreQueue trace line and of its
  // trace.sq.txt record disagree, naming both inputs and lines.
  static void checkSqRecord(const Instruction& trace, LineRef traceWhere,
                            const Instruction& sq, LineRef sqWhere);

  // Both of the above: completes a kStoreQueue record from its trace.sq.txt
  // line.
  static void parseSqLine(std::string_view line, LineRef where,
                          LineRef traceWhere, Instruction& inout);
};

}  // namespace pv::gem5
