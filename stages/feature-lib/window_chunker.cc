// WindowChunker: feature rows -> batches of chunks with shared context.

#include "stages/feature-lib/window_chunker.h"

#include <algorithm>
#include <string>

#include "stages/core/column_picker.h"
#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {

WindowChunker::WindowChunker(uint32_t window, uint32_t chunk, uint32_t chunksPerBatch)
    : window_(window), chunk_(chunk), chunksPerBatch_(chunksPerBatch) {
  if (window == 0 || chunk == 0 || chunksPerBatch == 0)
    throw StageError("", "", "window, chunk and chunks per batch must be at least 1");
}

StreamHeader WindowChunker::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kFeatures)
    throw StageError("", "", "expected a feature stream");
  if (!in.pendingColumns.empty())
    throw StageError("", "", "feature columns still pending (run pv-reuse-distance first)");
  StreamHeader out = in;
  out.payload = PayloadKind::kWindows;
  out.hasAddresses = false;
  out.window = window_;
  out.chunk = chunk_;
  inColumns_ = static_cast<uint32_t>(in.featureColumns.size());
  picker_ = features::ColumnPicker(in.featureColumns.size());
  if (!wanted_.empty() && wanted_ != in.featureColumns) {
    const std::string missing = features::ColumnPicker::firstMissing(in.featureColumns, wanted_);
    if (!missing.empty()) throw StageError("", "", features::missingColumnError(in.featureColumns, missing));
    picker_ = features::ColumnPicker(in.featureColumns, wanted_);
    out.featureColumns = wanted_;
  }
  columns_ = static_cast<uint32_t>(out.featureColumns.size());
  labelWidth_ = in.labelWidth();
  context_.assign(size_t{window_ - 1} * columns_, 0.0f);  // padding at stream start
  return out;
}

void WindowChunker::process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) {
  if (batch.columns != inColumns_ || batch.contextRows != 0)
    throw StageError("", "", "batch of " + std::to_string(batch.columns) + " columns, expected " +
                                 std::to_string(inColumns_));
  if (picker_.identity()) {
    pending_.insert(pending_.end(), batch.values.begin(), batch.values.end());
  } else {
    const size_t rows = batch.rows(), at = pending_.size();
    pending_.resize(at + rows * columns_);
    for (size_t r = 0; r < rows; ++r) picker_.pick(batch.row(r), pending_.data() + at + r * columns_);
  }
  labels_.insert(labels_.end(), batch.labels.begin(), batch.labels.end());
  const size_t perBatch = size_t{chunk_} * chunksPerBatch_;
  while (pending_.size() / columns_ >= perBatch) emitBatch(perBatch, emit);
}

void WindowChunker::finish(const Emit<FeatureBatch>& emit) {
  if (!pending_.empty()) emitBatch(pending_.size() / columns_, emit);
}

void WindowChunker::emitBatch(size_t rows, const Emit<FeatureBatch>& emit) {
  FeatureBatch out;
  out.firstIndex = nextIndex_;
  out.columns = columns_;
  out.contextRows = window_ - 1;
  const size_t ownFloats = rows * columns_;
  out.values.reserve(context_.size() + ownFloats);
  out.values.insert(out.values.end(), context_.begin(), context_.end());
  out.values.insert(out.values.end(), pending_.begin(), pending_.begin() + ownFloats);
  out.labels.assign(labels_.begin(), labels_.begin() + rows * labelWidth_);
  // The last W-1 rows seen become the next batch's context.
  const size_t contextFloats = context_.size();
  std::copy(out.values.end() - contextFloats, out.values.end(), context_.begin());
  pending_.erase(pending_.begin(), pending_.begin() + ownFloats);
  labels_.erase(labels_.begin(), labels_.begin() + rows * labelWidth_);
  nextIndex_ += rows;
  emit(std::move(out));
}

}  // namespace pv
