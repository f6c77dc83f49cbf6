// WindowStreamEncoder: the pv-encode transform. Window batches (pv-window:
// W-1 context rows + own rows, raw features) in, representation batches out:
// per-chunk sums of R_i (default) or every R_i.
//
// It normalises rows with the model's statistics (padding rows before the
// stream's first instruction become zeros after normalisation, as PerfVec
// pads), and gathers consecutive window batches into one buffer of many
// chunks before calling the encoder: the GEMMs are only efficient with many
// sequences per call, while pv-window's batches are small. Consecutive
// batches must continue each other (index and context rows are checked), so
// a reordered, duplicated or foreign batch is an error, not a wrong R_p.
// Output rows follow the stream's chunks, and every encoder call takes
// exactly instructionsPerCall() instructions (the last one the rest):
// results do not depend on how the window stream is batched, bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/core/feature_batch.h"
#include "stages/core/representation.h"
#include "stages/core/transform.h"
#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_file.h"

namespace pv::encode {

struct WindowStreamOptions {
  EncodeMode mode = EncodeMode::kChunked;
  bool perInstruction = false;  // every R_i instead of per-chunk sums
  // Instructions gathered per encoder call (rounded up to whole chunks);
  // 0: what one forward call of the encoder takes under `encode`.
  int64_t instructionsPerCall = 0;
  // A chunked model trained with K != the stream's K is refused unless set.
  bool anyChunk = false;
  EncodeOptions encode;  // mode and chunk are set from the above and the stream
};

class WindowStreamEncoder : public Transform<FeatureBatch, RepresentationBatch> {
 public:
  // `model` and `encoder` (built from it, see model_encoder.h) must outlive
  // the transform. `modelName` names the model file in errors.
  WindowStreamEncoder(const Model& model, const InstructionEncoder& encoder,
                      std::string modelName, WindowStreamOptions options);

  StreamHeader describe(const StreamHeader& in) override;
  void process(FeatureBatch&& batch, const Emit<RepresentationBatch>& emit) override;
  void finish(const Emit<RepresentationBatch>& emit) override;

  // Instructions per encoder call (after describe).
  int64_t instructionsPerCall() const { return perCall_; }

 private:
  // Encodes the first `n` buffered instructions and emits their rows.
  void encodeBuffered(const Emit<RepresentationBatch>& emit, int64_t n);

  const Model& model_;
  const InstructionEncoder& encoder_;
  std::string modelName_;
  WindowStreamOptions options_;
  FeatureNormaliser normaliser_;
  int64_t columns_ = 0, context_ = 0, chunk_ = 0, hidden_ = 0, perCall_ = 0;
  bool started_ = false;
  bool shortChunkSeen_ = false;  // a batch ended inside a chunk: must be the last
  uint64_t nextIndex_ = 0;       // stream index of the next own row expected
  uint64_t bufferFirst_ = 0;     // stream index of the buffer's first own row
  // context_ rows before bufferFirst_, then the own rows not yet encoded;
  // all normalised.
  std::vector<float> rows_;
};

}  // namespace pv::encode
