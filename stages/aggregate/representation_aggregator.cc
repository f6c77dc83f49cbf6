// RepresentationAggregator: double-precision sums of representations.

#include "stages/aggregate/representation_aggregator.h"

#include <string>

#include "stages/core/stage_error.h"

namespace pv {

StreamHeader RepresentationAggregator::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kRepresentations)
    throw StageError("", "", "expected a representation stream (from pv-encode)");
  StreamHeader out = in;
  out.payload = PayloadKind::kProgram;
  out.perInstruction = false;
  ensureWidth(in.representationDim);
  return out;
}

void RepresentationAggregator::ensureWidth(size_t dim) {
  if (total_.sum.empty()) total_.sum.assign(dim, 0.0);
  if (total_.sum.size() != dim)
    throw StageError("", "", "representation width " + std::to_string(dim) + " after width " +
                                 std::to_string(total_.sum.size()));
}

void RepresentationAggregator::process(RepresentationBatch&& batch, const Emit<ProgramPart>& emit) {
  add(batch);
  for (auto& interval : takeClosed()) emit(std::move(interval));
}

void RepresentationAggregator::finish(const Emit<ProgramPart>& emit) {
  for (auto& interval : takeClosed()) emit(std::move(interval));
  if (open_) {
    emit(std::move(*open_));
    open_.reset();
  }
  emit(ProgramRepresentation(total_));
}

std::vector<IntervalRepresentation> RepresentationAggregator::takeClosed() {
  std::vector<IntervalRepresentation> out;
  out.swap(closed_);
  return out;
}

void RepresentationAggregator::add(const RepresentationBatch& batch) {
  const size_t dim = batch.dim;
  ensureWidth(dim);
  if (batch.firstIndex + offset_ != total_.instructions)
    throw StageError("", "", "representations start at instruction " +
                                 std::to_string(batch.firstIndex + offset_) + ", expected " +
                                 std::to_string(total_.instructions));
  for (size_t r = 0; r < batch.rows(); ++r) {
    const float* v = batch.values.data() + r * dim;
    for (size_t d = 0; d < dim; ++d) total_.sum[d] += v[d];
    if (interval_ > 0) {
      if (!open_) open_ = IntervalRepresentation{total_.instructions, 0, std::vector<double>(dim, 0.0)};
      for (size_t d = 0; d < dim; ++d) open_->sum[d] += v[d];
      open_->instructions += batch.instructions[r];
    }
    total_.instructions += batch.instructions[r];
    if (open_ && (open_->firstIndex + open_->instructions) / interval_ > open_->firstIndex / interval_) {
      closed_.push_back(std::move(*open_));
      open_.reset();
    }
  }
}

void RepresentationAggregator::merge(const ProgramRepresentation& slice) {
  ensureWidth(slice.sum.size());
  for (size_t d = 0; d < slice.sum.size(); ++d) total_.sum[d] += slice.sum[d];
  total_.instructions += slice.instructions;
}

void RepresentationAggregator::restore(ProgramRepresentation total,
                                       std::optional<IntervalRepresentation> open) {
  total_ = std::move(total);
  total_.intervals.clear();
  open_ = std::move(open);
}

}  // namespace pv
