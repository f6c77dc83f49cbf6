// FeatureExtractor: committed instructions -> the 51 PerfVec input features
// (../../shared/reference/perfvec-facts.md, "The 51 input features").
//
// Fills every column except the reuse distances 18, 20, 21 and 22, which it
// leaves NaN and lists in the header's pendingColumns for pv-reuse-distance;
// for that stage it also fills the side columns pc, dataAddr and access
// (header.hasAddresses = true). Labels, and the header's label fields, pass
// through unchanged. State carried between batches: the per-PC branch
// histories for the entropy columns (memory proportional to distinct
// conditional-branch PCs, within a budget), so the concatenated output does
// not depend on how the input is split.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "stages/core/feature_batch.h"
#include "stages/core/instruction.h"
#include "stages/core/transform.h"
#include "stages/feature/branch_entropy.h"

namespace pv {

// The branch histories' budget (0: unbounded) and where the one warning
// goes when it is outgrown (see BranchEntropyTracker).
struct FeatureExtractorOptions {
  size_t historyBytes = 0;
  std::function<void(const std::string&)> warn;
};

// pv-feature's --history-mb default: about 2.8 M conditional-branch PCs.
inline constexpr size_t kDefaultBranchHistoryMb = 256;

class FeatureExtractor : public Transform<InstructionBatch, FeatureBatch> {
 public:
  FeatureExtractor() = default;
  explicit FeatureExtractor(FeatureExtractorOptions options);

  // Throws StageError unless `in` is an instruction stream.
  StreamHeader describe(const StreamHeader& in) override;
  // Emits one feature batch per instruction batch (same firstIndex). Throws
  // StageError when the labels do not match the header's label width.
  void process(InstructionBatch&& batch, const Emit<FeatureBatch>& emit) override;

  // The work of process() without emitting: fills `out` from `in` (all of
  // out's vectors are replaced; labels are copied).
  void extract(const InstructionBatch& in, FeatureBatch& out);

  // Distinct conditional-branch PCs remembered.
  size_t branchHistories() const { return branches_.size(); }

 private:
  void fillRows(const InstructionBatch& in, FeatureBatch& out);  // all but labels
  void fillRow(const Instruction& inst, float* row);

  void warnIfForgotten(uint64_t index);

  BranchEntropyTracker branches_;
  FeatureExtractorOptions options_;
  bool warned_ = false;
  size_t labelWidth_ = 0;
};

// A pull source of instruction batches: fills `batch` and returns true, or
// returns false at the end of its input. The seam for inputs that are not
// perfvec streams (a gem5 text reader, for example).
using InstructionSource = std::function<bool(InstructionBatch& batch)>;

// Runs `extractor` (or a transform that starts with it) over every batch of
// `source`, then finishes it.
void extractAll(Transform<InstructionBatch, FeatureBatch>& extractor, const InstructionSource& source,
                const Emit<FeatureBatch>& emit);

}  // namespace pv
