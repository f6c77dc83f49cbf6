#include "stages/encode/window_stream_encoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/model_encoder.h"

namespace pv::encode {

WindowStreamEncoder::WindowStreamEncoder(const Model& model, const InstructionEncoder& encoder,
                                         std::string modelName, WindowStreamOptions options)
    : model_(model),
      encoder_(encoder),
      modelName_(std::move(modelName)),
      options_(options),
      normaliser_(normaliserOf(model)) {}

StreamHeader WindowStreamEncoder::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kWindows)
    throw StageError("", "", "expected a window stream (from pv-window)");
  const auto& cols = model_.featureColumns;
  if (in.featureColumns != cols) {
    size_t i = 0;
    while (i < in.featureColumns.size() && i < cols.size() && in.featureColumns[i] == cols[i]) ++i;
    // A model trained on columns beyond the 51 needs them made the same way.
    const std::string maker =
        i == in.featureColumns.size() && i < cols.size() ? features::stageThatMakes(features::sourceColumn(cols[i])) : "";
    throw StageError("", "",
                     fmt::format("feature columns differ from the model's ({}): column {} is '{}' in "
                                 "the stream and '{}' in the model{}",
                                 modelName_, i, i < in.featureColumns.size() ? in.featureColumns[i] : "(none)",
                                 i < cols.size() ? cols[i] : "(none)",
                                 maker.empty() ? "" : " (made by " + maker + ")"));
  }
  const auto& arch = model_.architecture;
  if (in.window != arch.window)
    throw StageError("", "", fmt::format("windows of {} instructions, the model ({}) needs {} (pv-window -w {})",
                                         in.window, modelName_, arch.window, arch.window));
  if (in.chunk == 0) throw StageError("", "", "window stream without a chunk size");
  if (options_.mode == EncodeMode::kChunked && arch.chunk != 0 && in.chunk != arch.chunk &&
      !options_.anyChunk)
    throw StageError("", "",
                     fmt::format("chunks of {} instructions, the model ({}) was trained on chunks of {} "
                                 "(pv-window -k {}, or pv-encode --any-chunk)",
                                 in.chunk, modelName_, arch.chunk, arch.chunk));
  columns_ = static_cast<int64_t>(cols.size());
  context_ = arch.window - 1;
  chunk_ = in.chunk;
  hidden_ = arch.hidden;
  options_.encode.mode = options_.mode;
  options_.encode.chunk = chunk_;
  int64_t per = options_.instructionsPerCall;
  if (per <= 0) {
    per = encoder_.forwardBatch(options_.encode);  // chunks, or windows in exact mode
    if (options_.mode == EncodeMode::kChunked) per *= chunk_;
  }
  perCall_ = std::max<int64_t>(1, (per + chunk_ - 1) / chunk_) * chunk_;

  StreamHeader out = in;
  out.payload = PayloadKind::kRepresentations;
  out.featureColumns.clear();
  out.pendingColumns.clear();
  out.hasAddresses = false;
  out.targetNames.clear();
  out.uarchNames.clear();
  out.modelId = model_.encoderHash;
  out.representationDim = arch.hidden;
  out.perInstruction = options_.perInstruction;
  return out;
}

void WindowStreamEncoder::process(FeatureBatch&& batch, const Emit<RepresentationBatch>& emit) {
  const std::string at = fmt::format("instruction {}", batch.firstIndex);
  if (batch.columns != columns_)
    throw StageError("", at, fmt::format("batch of {} columns, expected {}", batch.columns, columns_));
  if (batch.contextRows != context_)
    throw StageError("", at, fmt::format("batch with {} context rows, windows of {} need {}",
                                         batch.contextRows, context_ + 1, context_));
  if (batch.values.size() % static_cast<size_t>(columns_) != 0 ||
      batch.values.size() < static_cast<size_t>(context_ * columns_))
    throw StageError("", at, "batch values do not match its row count");
  if (batch.firstIndex != nextIndex_)
    throw StageError("", at, fmt::format("batch starts at instruction {}, expected {} (a gap or "
                                         "reordered batches)", batch.firstIndex, nextIndex_));
  if (batch.rows() == 0) return;
  if (shortChunkSeen_)
    throw StageError("", at, fmt::format("a chunk shorter than {} instructions ended the previous "
                                         "batch, but the stream goes on", chunk_));

  float* data = batch.values.data();
  const size_t ctxFloats = static_cast<size_t>(context_ * columns_);
  normaliser_.apply(data, static_cast<int64_t>(batch.contextRows + batch.rows()));
  // Context rows before instruction 0 are padding: zero in normalised space.
  const uint64_t pad = batch.firstIndex >= static_cast<uint64_t>(context_)
                           ? 0
                           : static_cast<uint64_t>(context_) - batch.firstIndex;
  std::fill(data, data + pad * static_cast<uint64_t>(columns_), 0.0f);
  if (!started_) {
    rows_.assign(data, data + ctxFloats);
    bufferFirst_ = batch.firstIndex;
    started_ = true;
  } else if (std::memcmp(data, rows_.data() + rows_.size() - ctxFloats, ctxFloats * sizeof(float)) != 0) {
    // The batch's own context must be the rows that came before it.
    throw StageError("", at, "the batch's context rows differ from the instructions before it "
                             "(batches of another stream, or a damaged window stream)");
  }
  rows_.insert(rows_.end(), data + ctxFloats, data + batch.values.size());
  nextIndex_ = batch.firstIndex + batch.rows();
  if (batch.rows() % static_cast<size_t>(chunk_) != 0) shortChunkSeen_ = true;

  // Calls of exactly perCall_ instructions (the rest waits for more): BLAS
  // rounds GEMMs of other sizes differently, so R_i do not depend on how
  // the window stream was batched, bit for bit.
  while (static_cast<int64_t>(rows_.size()) / columns_ - context_ >= perCall_) encodeBuffered(emit, perCall_);
}

void WindowStreamEncoder::finish(const Emit<RepresentationBatch>& emit) {
  encodeBuffered(emit, static_cast<int64_t>(rows_.size()) / columns_ - context_);
}

void WindowStreamEncoder::encodeBuffered(const Emit<RepresentationBatch>& emit, int64_t n) {
  if (n <= 0) return;
  RepresentationBatch out;
  out.firstIndex = bufferFirst_;
  out.dim = static_cast<uint32_t>(hidden_);
  try {
    if (options_.perInstruction) {
      out.values.resize(static_cast<size_t>(n * hidden_));
      encoder_.encodeEach(rows_.data(), n, options_.encode, out.values);
      out.instructions.assign(static_cast<size_t>(n), 1);
    } else {
      const int64_t chunks = InstructionEncoder::chunkCount(n, chunk_);
      out.values.resize(static_cast<size_t>(chunks * hidden_));
      encoder_.encodeSums(rows_.data(), n, options_.encode, std::span<float>(out.values));
      out.instructions.assign(static_cast<size_t>(chunks), static_cast<uint32_t>(chunk_));
      out.instructions.back() = static_cast<uint32_t>(n - (chunks - 1) * chunk_);
    }
  } catch (const std::exception& e) {
    throw StageError("", fmt::format("instruction {}", bufferFirst_), std::string("encoder: ") + e.what());
  }
  // The W-1 rows before what is left become its context.
  rows_.erase(rows_.begin(), rows_.begin() + static_cast<ptrdiff_t>(n * columns_));
  bufferFirst_ += static_cast<uint64_t>(n);
  emit(std::move(out));
}

}  // namespace pv::encode
