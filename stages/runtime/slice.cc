// Cutting a stream at a record (--start-at).

#include "stages/runtime/slice.h"

#include <algorithm>

#include "stages/core/stage_error.h"

namespace pv::runtime {

std::string slicedSource(const std::string& source, uint64_t start) {
  return source + " [from record " + std::to_string(start) + "]";
}

StreamHeader StreamSlice::describe(const StreamHeader& in) {
  labelWidth_ = in.labelWidth();
  if (!active()) return in;
  if (in.payload == PayloadKind::kWindows)
    throw StageError(input_, "",
                     "--start-at cannot cut a window stream (its first batch's context rows "
                     "would become padding); cut the feature stream instead (pv-window "
                     "--start-at)");
  if (in.payload == PayloadKind::kProgram)
    throw StageError(input_, "", "--start-at cannot cut a program representation");
  StreamHeader out = in;
  out.source = slicedSource(in.source, start_);
  return out;
}

namespace {

// Keeps elements [from, end) of a per-record vector of `width` values each.
template <class V>
void keepFrom(V& v, size_t from, size_t width) {
  if (width == 0 || v.empty()) return;
  v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(v.size(), from * width)));
}

}  // namespace

bool StreamSlice::apply(InstructionBatch& batch) const {
  if (!active()) return true;
  const uint64_t end = batch.firstIndex + batch.rows.size();
  if (end <= start_) return false;
  if (batch.firstIndex < start_) {
    const size_t cut = static_cast<size_t>(start_ - batch.firstIndex);
    keepFrom(batch.rows, cut, 1);
    keepFrom(batch.labels, cut, labelWidth_);
    batch.firstIndex = start_;
  }
  batch.firstIndex -= start_;
  return true;
}

bool StreamSlice::apply(FeatureBatch& batch) const {
  if (!active()) return true;
  const uint64_t end = batch.firstIndex + batch.rows();
  if (end <= start_) return false;
  if (batch.firstIndex < start_) {
    const size_t cut = static_cast<size_t>(start_ - batch.firstIndex);
    keepFrom(batch.values, cut, batch.columns);
    keepFrom(batch.pc, cut, 1);
    keepFrom(batch.dataAddr, cut, 1);
    keepFrom(batch.access, cut, 1);
    keepFrom(batch.labels, cut, labelWidth_);
    batch.firstIndex = start_;
  }
  batch.firstIndex -= start_;
  return true;
}

bool StreamSlice::apply(RepresentationBatch& batch) const {
  if (!active()) return true;
  uint64_t at = batch.firstIndex;
  size_t row = 0;
  while (row < batch.rows() && at < start_) at += batch.instructions[row++];
  if (at > start_ && row > 0)
    throw StageError(input_, "instruction " + std::to_string(at - batch.instructions[row - 1]),
                     "--start-at " + std::to_string(start_) +
                         " falls inside a row of summed representations (the row covers " +
                         std::to_string(batch.instructions[row - 1]) + " instructions)");
  if (at < start_ || (row > 0 && row == batch.rows())) return false;  // nothing after the cut
  keepFrom(batch.values, row, batch.dim);
  keepFrom(batch.instructions, row, 1);
  batch.firstIndex = at - start_;
  return true;
}

bool StreamSlice::apply(ProgramRepresentation&) const {
  if (active()) throw StageError(input_, "", "--start-at cannot cut a program representation");
  return true;
}

void StreamSlice::finish(uint64_t inputRecords) const {
  if (inputRecords < start_)
    throw StageError(input_, "",
                     "--start-at " + std::to_string(start_) + " lies beyond the end of the stream (" +
                         std::to_string(inputRecords) + " records)");
}

}  // namespace pv::runtime
