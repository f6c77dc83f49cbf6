// DependencyStage: appends register-dataflow columns to a feature stream,
// from its source and destination register columns (23-50). They say how
// much instruction- and memory-level parallelism an out-of-order core can
// find, which the 51 PerfVec features leave to the model to infer from
// register numbers:
//
//   dep_distance_log2  log2(1 + the distance in instructions to the nearest
//                      producer of a source register), the distance capped
//                      at 1024 (also: no source, or no producer seen)
//   dep_depth          the instruction's depth in the dataflow graph of its
//                      aligned block of 64 instructions (1: no producer in
//                      the block)
//   dep_on_load        1 when a source's producer (within 1024) is a load
//   load_chain_depth   loads on the longest dataflow path to this
//                      instruction within its block (pointer chasing: each
//                      load waits for the one before)
//
// Rows are counted from the first this stage sees, so the result does not
// depend on batch boundaries. Labels and side columns pass through. The
// column names and their count: features::dependencyColumnNames() and
// features::kDependencyCount (feature_layout.h).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "stages/core/feature_batch.h"
#include "stages/core/transform.h"

namespace pv {

inline constexpr int kDependencyBlock = 64;
inline constexpr uint64_t kDependencyCap = 1024;

class DependencyStage : public Transform<FeatureBatch, FeatureBatch> {
 public:
  StreamHeader describe(const StreamHeader& in) override;
  void process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) override;
  // The work of process() without emitting: widens the batch.
  void fill(FeatureBatch& batch);

 private:
  struct Producer {
    uint64_t row = 0;
    uint16_t depth = 0, loadDepth = 0;
    bool load = false;
  };
  std::unordered_map<uint32_t, Producer> registers_;
  uint32_t inputColumns_ = 0;
  uint64_t rowsSeen_ = 0;
};

}  // namespace pv
