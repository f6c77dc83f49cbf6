// The first pass of Gem5LineParser: a gem5 trace line split into its
// numbers (internal to the gem5 reader; the header exists for its tests).
//
// Two implementations give the same fields:
//   splitReference  the original: blanks are spaces, tabs and carriage
//                   returns; every bad token throws StageError naming the
//                   line and field (not a number, out of 64-bit range).
//   splitFast       the common case with fewer instructions and branches:
//                   fields separated by spaces only, each an optional '-'
//                   and 1 to 15 digits, at most kMaxFields of them. It reads
//                   numbers as whole words in place (only the last 16 bytes
//                   are copied, behind a '\n' sentinel, so that no loop
//                   tests for the end) and declines (returns false) any
//                   other line: tabs, carriage returns, bad tokens, longer
//                   numbers (which may overflow or carry leading zeros), too
//                   many fields. split() then runs the reference, which
//                   gives the same numbers or the exact error it always
//                   gave.
// The reference was about half of pv-trace-tap's time (perf, 2026-12-05).
#pragma once

#include <cstdint>
#include <string_view>

#include "stages/trace-readers/gem5_record.h"

namespace pv::gem5::detail {

// Numbers of one line. Negative values are stored in two's complement and
// flagged in `neg`. Only the first min(count, kMaxFields) are stored.
struct Fields {
  uint64_t raw[kMaxFields];
  bool neg[kMaxFields];
  int count = 0;
};

// Splits `line` into numbers, counting fields past kMaxFields without
// storing them. Throws StageError for a token that is not a number or out
// of 64-bit range (the first such token).
void splitReference(std::string_view line, LineRef where, Fields& f);

// The same fields as splitReference when it returns true (and then
// splitReference would not throw); false, with `f` unspecified, when the
// line is not one it takes.
bool splitFast(std::string_view line, Fields& f);

inline void split(std::string_view line, LineRef where, Fields& f) {
  if (!splitFast(line, f)) [[unlikely]]
    splitReference(line, where, f);
}

}  // namespace pv::gem5::detail
