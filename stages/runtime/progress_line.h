// The progress line every stage prints on stderr and pv-launch reads back
// (it turns the stages' lines into its own line and watches them for hangs):
// one definition of the format for both sides.
//
//   NAME: N records, R M/s, S s
//
// A stage rewrites it in place ('\r' before, three spaces after, no
// newline) until its last one, which ends with a newline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pv::runtime {

// The line for `records` done in `seconds`; `final` ends it with a newline.
std::string formatProgressLine(const std::string& stage, uint64_t records, double seconds,
                               bool final);

// A progress line's record count and whatever text followed it on the same
// line (a message printed after a progress line that had no newline yet).
struct ProgressLine {
  uint64_t records = 0;
  std::string_view rest;
};
std::optional<ProgressLine> parseProgressLine(std::string_view segment);

}  // namespace pv::runtime
