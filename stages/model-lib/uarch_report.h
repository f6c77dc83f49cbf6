// The reader of pv-uarch's whole-run report in JSON (pv-uarch --report
// FILE.json): the ground truth that pv-dot-predict --truth compares with and
// pv-dse's refinement fits to.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace pv {

// Ground truth by microarchitecture name: the execution time in ns.
using TruthTimes = std::map<std::string, double>;

// A pv-uarch report in JSON (a JSON array of objects with at least "uarch",
// a string, and "time_ns", a finite number >= 0). Throws StageError naming
// `name` and where: "LINE:COLUMN" for text that is not JSON, "entry N"
// (1-based) for an entry without those keys, a negative or non-finite
// time, or a microarchitecture named twice.
TruthTimes parseTruth(std::string_view text, const std::string& name);
// The same for a file (a StageError naming it when it cannot be read).
TruthTimes readTruth(const std::string& path);

}  // namespace pv
