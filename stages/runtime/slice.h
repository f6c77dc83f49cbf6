// Cutting a stream at a record: every stage with a stream input takes
// `--start-at N`, which makes it see the slice of its input from record N
// on, renumbered from 0, as if the stream had started there. Resumed
// reductions use it (pv-launch --resume gives it to pv-window): the stages
// before the cut still run from record 0, so state that depends on the
// whole history (reuse distances, branch entropy) is exact at the cut.
//
// The slice's header says so: its source becomes "SOURCE [from record N]",
// so a representation reduced from a slice can never pass for the whole
// program's. Records before N are read and verified (count and checksum of
// the whole input) but not handed to the transform.
//
// Instruction, feature and representation streams can be cut (the latter
// only at a row boundary); window streams cannot (a window batch's context
// rows would be taken as the stream start's padding: cut the feature stream
// before pv-window instead), and program representations cover a whole
// stream. All failures are StageError naming the input.
#pragma once

#include <cstdint>
#include <string>

#include "stages/core/feature_batch.h"
#include "stages/core/instruction.h"
#include "stages/core/representation.h"
#include "stages/core/stream_header.h"

namespace pv::runtime {

// "SOURCE [from record N]".
std::string slicedSource(const std::string& source, uint64_t start);

class StreamSlice {
 public:
  // `start` 0 cuts nothing; `input` names the input in errors.
  StreamSlice(uint64_t start, std::string input) : start_(start), input_(std::move(input)) {}

  bool active() const { return start_ > 0; }
  uint64_t start() const { return start_; }

  // The slice's header (source marked). Throws for payloads that cannot be cut.
  StreamHeader describe(const StreamHeader& in);

  // Cuts a batch in place and renumbers it; false when the whole batch lies
  // before the cut (drop it).
  bool apply(InstructionBatch& batch) const;
  bool apply(FeatureBatch& batch) const;
  bool apply(RepresentationBatch& batch) const;
  bool apply(ProgramRepresentation& program) const;

  // At the end of the input: throws when it held fewer than `start` records.
  void finish(uint64_t inputRecords) const;

 private:
  uint64_t start_;
  std::string input_;
  size_t labelWidth_ = 0;  // floats of labels per record, set by describe()
};

}  // namespace pv::runtime
