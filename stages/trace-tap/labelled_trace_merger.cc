// LabelledTraceMerger: lockstep reading, agreement checks, label layout.
#include "stages/trace-tap/labelled_trace_merger.h"

#include <stdexcept>
#include <utility>

#include "stages/core/stage_error.h"

namespace pv::gem5 {
namespace {

std::string lineName(uint64_t line) { return "line " + std::to_string(line); }

}  // namespace

LabelledTraceMerger::LabelledTraceMerger(std::vector<LabelledTrace> traces) {
  if (traces.empty()) throw std::invalid_argument("LabelledTraceMerger: no trace");
  traces_.reserve(traces.size());
  for (auto& t : traces) {
    Input input;
    input.labels = LabelBuilder(t.uarch);
    input.trace = std::move(t);
    traces_.push_back(std::move(input));
  }
}

void LabelledTraceMerger::describe(StreamHeader& header) const {
  header.payload = PayloadKind::kInstructions;
  header.targetNames = targetNames();
  header.uarchNames.clear();
  for (const auto& t : traces_) header.uarchNames.push_back(t.trace.uarch);
}

void LabelledTraceMerger::failLength(size_t longer, size_t shorter) const {
  const Input& l = traces_[longer];
  const Input& s = traces_[shorter];
  const size_t extra = s.batch.rows.size();  // first row the shorter lacks
  throw StageError(
      l.trace.reader->traceName(), lineName(l.trace.reader->lineNumbers()[extra]),
      "trace is longer than " + s.trace.reader->traceName() + ", which ends after " +
          std::to_string(s.batch.firstIndex + extra) + " instructions (" +
          lineName(s.trace.reader->traceLines()) + ")");
}

bool LabelledTraceMerger::next(InstructionBatch& out, size_t maxRows) {
  out.rows.clear();
  out.labels.clear();
  if (ended_) {
    out.firstIndex = traces_[0].trace.reader->instructions();
    return false;
  }
  for (auto& t : traces_) {
    t.starts.clear();
    t.trace.reader->next(t.batch, maxRows, &t.starts);
  }
  const size_t rows = traces_[0].batch.rows.size();
  for (size_t u = 1; u < traces_.size(); ++u) {
    const size_t n = traces_[u].batch.rows.size();
    if (n > rows) failLength(u, 0);
    if (n < rows) failLength(0, u);
  }
  // Same execution: pc and branching agree row by row.
  const Input& first = traces_[0];
  for (size_t u = 1; u < traces_.size(); ++u) {
    const Input& other = traces_[u];
    for (size_t r = 0; r < rows; ++r) {
      const Instruction& a = first.batch.rows[r];
      const Instruction& b = other.batch.rows[r];
      if (a.pc == b.pc && a.branching == b.branching) [[likely]]
        continue;
      const bool pc = a.pc != b.pc;
      const auto value = [&](const Instruction& i) {
        return pc ? std::to_string(i.pc) : std::to_string(int{i.branching});
      };
      throw StageError(
          other.trace.reader->traceName(),
          lineName(other.trace.reader->lineNumbers()[r]),
          std::string("traces disagree at instruction ") +
              std::to_string(first.batch.firstIndex + r) + " on " +
              (pc ? "pc" : "branching") + ": " + value(b) + " here, " +
              value(a) + " in " + first.trace.reader->traceName() + ":" +
              lineName(first.trace.reader->lineNumbers()[r]));
    }
  }
  const size_t stride = traces_.size() * kTargetCount;
  out.labels.resize(rows * stride);
  for (size_t u = 0; u < traces_.size(); ++u) {
    Input& t = traces_[u];
    t.labels.addBatch(t.batch, t.starts, out.labels.data() + u * kTargetCount,
                      stride);
  }
  out.firstIndex = traces_[0].batch.firstIndex;
  out.rows.swap(traces_[0].batch.rows);
  if (rows < maxRows) ended_ = true;
  return rows > 0;
}

}  // namespace pv::gem5
