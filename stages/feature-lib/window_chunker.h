// WindowChunker: groups feature rows into chunks for the encoder without
// copying a window per instruction. A chunk is K consecutive instructions;
// the encoder also needs the W-1 rows before the chunk's first one. Each
// output batch holds those W-1 context rows once, followed by M chunks of K
// own rows (the last batch of a stream may end in a shorter chunk): the
// encoder forms every window as a strided view into that one buffer.
// Copying cost: (W-1) rows per batch, i.e. (W-1)/(M K) of the data.
//
// Stream start: the context before instruction 0 is W-1 padding rows of
// zeros. They are padding, not features: an encoder treats rows whose stream
// index (firstIndex - contextRows + j) is negative as zero after
// normalisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/core/column_picker.h"
#include "stages/core/feature_batch.h"
#include "stages/core/transform.h"

namespace pv {

class WindowChunker : public Transform<FeatureBatch, FeatureBatch> {
 public:
  // window W >= 1, chunk K >= 1, chunksPerBatch M >= 1.
  WindowChunker(uint32_t window, uint32_t chunk, uint32_t chunksPerBatch);

  // Requires a complete feature stream (no pending columns, no address side
  // columns); emits payload windows with window/chunk in the header.
  StreamHeader describe(const StreamHeader& in) override;
  // Emit only these columns, in this order, picked by name from the input's
  // (a model's columns from a stream that may have more, e.g. the locality
  // columns for a PerfVec-style model; "log2(NAME)" is made from NAME:
  // stages/core/column_picker.h). describe() throws StageError naming a
  // column the stream lacks. Call before describe().
  void selectColumns(std::vector<std::string> names) { wanted_ = std::move(names); }
  void process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) override;
  void finish(const Emit<FeatureBatch>& emit) override;

 private:
  void emitBatch(size_t rows, const Emit<FeatureBatch>& emit);

  uint32_t window_, chunk_, chunksPerBatch_;
  uint32_t columns_ = 0;           // output columns
  uint32_t inColumns_ = 0;         // input columns
  std::vector<std::string> wanted_;
  features::ColumnPicker picker_;  // the output columns out of the input's
  size_t labelWidth_ = 0;
  uint64_t nextIndex_ = 0;        // stream index of pending_'s first row
  std::vector<float> context_;    // the W-1 rows before pending_
  std::vector<float> pending_;    // own rows not yet emitted
  std::vector<float> labels_;     // their labels
};

}  // namespace pv
