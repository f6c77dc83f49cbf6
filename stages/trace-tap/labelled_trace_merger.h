// LabelledTraceMerger: one labelled instruction stream from traces of the
// same program run on several microarchitectures.
//
// Instruction fields come from the first trace; labels are float32,
// row-major [instruction][uarch][target] with the targets of labels.h
// (StreamHeader::uarchNames / targetNames). The traces are read in lockstep
// and must describe the same execution: pc and branching outcome are checked
// instruction by instruction, and the first disagreement, or one trace
// ending before another, throws pv::StageError naming both inputs and lines.
// With a single trace this is just the labelling of that trace.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/core/stream_header.h"
#include "stages/trace-readers/gem5_trace_reader.h"
#include "stages/trace-tap/labels.h"

namespace pv::gem5 {

struct LabelledTrace {
  std::string uarch;  // label block name
  std::unique_ptr<Gem5TraceReader> reader;
};

class LabelledTraceMerger {
 public:
  // At least one trace.
  explicit LabelledTraceMerger(std::vector<LabelledTrace> traces);

  // Sets payload, targetNames and uarchNames of `header`.
  void describe(StreamHeader& header) const;

  // Replaces `out` by the next up to `maxRows` labelled instructions; false
  // at the end of all traces.
  bool next(InstructionBatch& out, size_t maxRows);

  size_t uarchs() const { return traces_.size(); }

 private:
  struct Input {
    LabelledTrace trace;
    LabelBuilder labels;
    InstructionBatch batch;
    std::vector<StartMark> starts;
  };
  [[noreturn]] void failLength(size_t longer, size_t shorter) const;
  std::vector<Input> traces_;
  bool ended_ = false;
};

}  // namespace pv::gem5
