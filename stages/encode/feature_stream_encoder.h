// FeatureStreamEncoder: the pv-encode transform for any stream from the
// feature path, so that the design card's `pv-feature | pv-encode -m M`
// works:
//
//   window stream (pv-window)                 -> WindowStreamEncoder
//   complete feature stream (pv-reuse-distance) -> WindowChunker -> ...
//   feature stream with the reuse-distance columns pending (pv-feature)
//                          -> ReuseDistanceStage -> WindowChunker -> ...
//
// The steps are the feature library's transforms that pv-reuse-distance and
// pv-window run, with W and K from the model (K = 1024 for an exact model,
// where K only sets the batching), so R_i are bit for bit those of the
// separate stages (the encoder's results do not depend on how its input is
// batched). The header's stage list names pv-reuse-distance and pv-window
// where their transforms ran here, so the output is byte for byte that of
// the separate stages.
#pragma once

#include <memory>
#include <string>

#include "stages/core/feature_batch.h"
#include "stages/core/representation.h"
#include "stages/core/transform.h"
#include "stages/encode/window_stream_encoder.h"
#include "stages/feature-lib/reuse_distance.h"
#include "stages/feature-lib/window_chunker.h"

namespace pv::encode {

class FeatureStreamEncoder : public Transform<FeatureBatch, RepresentationBatch> {
 public:
  // As WindowStreamEncoder's; `model` and `encoder` must outlive it.
  // `reuse`: the reuse-distance step's options when it runs (the budget,
  // where warnings go).
  FeatureStreamEncoder(const Model& model, const InstructionEncoder& encoder, std::string modelName,
                       WindowStreamOptions options, ReuseDistanceOptions reuse = {});

  // Throws StageError for a stream that is neither features nor windows, or
  // features whose pending columns it cannot fill (no address columns).
  StreamHeader describe(const StreamHeader& in) override;
  void process(FeatureBatch&& batch, const Emit<RepresentationBatch>& emit) override;
  void finish(const Emit<RepresentationBatch>& emit) override;

  // The steps before the encoder that describe() chose ("" when none):
  // "reuse-distance, window", "window".
  std::string steps() const;

 private:
  void toEncoder(FeatureBatch&& windows, const Emit<RepresentationBatch>& emit);
  void toChunker(FeatureBatch&& features, const Emit<RepresentationBatch>& emit);

  const Model& model_;
  ReuseDistanceOptions reuseOptions_;
  WindowStreamEncoder encoder_;
  std::unique_ptr<ReuseDistanceStage> reuse_;  // features with the columns pending
  std::unique_ptr<WindowChunker> chunker_;     // any feature stream
};

}  // namespace pv::encode
