#include "stages/encode/feature_stream_encoder.h"

#include <algorithm>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv::encode {

namespace {
// pv-window's K when the model gives none (an exact model: K only batches).
constexpr uint32_t kExactModelChunk = 1024;
// pv-window's batches: about 4096 instructions.
constexpr uint32_t kInstructionsPerWindowBatch = 4096;
}  // namespace

FeatureStreamEncoder::FeatureStreamEncoder(const Model& model, const InstructionEncoder& encoder,
                                           std::string modelName, WindowStreamOptions options,
                                           ReuseDistanceOptions reuse)
    : model_(model), reuseOptions_(std::move(reuse)), encoder_(model, encoder, std::move(modelName), options) {}

StreamHeader FeatureStreamEncoder::describe(const StreamHeader& in) {
  if (in.payload == PayloadKind::kWindows) return encoder_.describe(in);
  if (in.payload != PayloadKind::kFeatures)
    throw StageError("", "", "expected a feature stream (pv-feature, pv-reuse-distance) or a window stream (pv-window)");
  // The header records the transforms as the separate stages would (the
  // same code ran): the output is byte for byte the 7-stage chain's.
  StreamHeader h = in;
  if (in.hasAddresses) {
    ReuseDistanceOptions o = reuseOptions_;
    o.keepAddresses = false;
    // A model trained on the locality columns gets them made here too.
    o.locality = o.locality || std::any_of(model_.featureColumns.begin(), model_.featureColumns.end(),
                                           features::isLocalityColumn);
    reuse_ = std::make_unique<ReuseDistanceStage>(std::move(o));
    h = reuse_->describe(h);
    h.stages.push_back("pv-reuse-distance");
  } else if (!in.pendingColumns.empty()) {
    throw StageError("", "",
                     "feature columns are pending but the stream has no address columns to fill them from");
  }
  const uint32_t window = model_.architecture.window;
  const uint32_t chunk = model_.architecture.chunk ? model_.architecture.chunk : kExactModelChunk;
  chunker_ = std::make_unique<WindowChunker>(window, chunk, std::max(1u, kInstructionsPerWindowBatch / chunk));
  chunker_->selectColumns(model_.featureColumns);
  h = chunker_->describe(h);
  h.stages.push_back("pv-window");
  return encoder_.describe(h);
}

void FeatureStreamEncoder::toEncoder(FeatureBatch&& windows, const Emit<RepresentationBatch>& emit) {
  encoder_.process(std::move(windows), emit);
}

void FeatureStreamEncoder::toChunker(FeatureBatch&& features, const Emit<RepresentationBatch>& emit) {
  chunker_->process(std::move(features), [&](FeatureBatch&& w) { toEncoder(std::move(w), emit); });
}

void FeatureStreamEncoder::process(FeatureBatch&& batch, const Emit<RepresentationBatch>& emit) {
  if (!chunker_) return toEncoder(std::move(batch), emit);
  if (!reuse_) return toChunker(std::move(batch), emit);
  reuse_->process(std::move(batch), [&](FeatureBatch&& f) { toChunker(std::move(f), emit); });
}

void FeatureStreamEncoder::finish(const Emit<RepresentationBatch>& emit) {
  if (reuse_) reuse_->finish([&](FeatureBatch&& f) { toChunker(std::move(f), emit); });
  if (chunker_) chunker_->finish([&](FeatureBatch&& w) { toEncoder(std::move(w), emit); });
  encoder_.finish(emit);
}

std::string FeatureStreamEncoder::steps() const {
  if (reuse_) return "reuse-distance, window";
  return chunker_ ? "window" : "";
}

}  // namespace pv::encode
