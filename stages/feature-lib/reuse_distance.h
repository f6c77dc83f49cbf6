// ReuseDistanceStage: fills the reuse-distance feature columns that
// pv-feature leaves open (NaN), from the address side columns:
//
//   18  fetch line of pc among fetch lines (every row)
//   20  data line among LOAD lines   } looked up for every row with a data
//   21  data line among STORE lines  } address; a load updates only the
//                                      load history, a store only the store
//                                      history, AccessKind::kOther neither
//   22  instructions since the same exact address was last accessed
//       (any access kind), capped at 1000
//
// Rows without a data address get 0 in 20-22. Distances of lines never seen
// are 1e8 (also the cap). The row counter for column 22 counts every row this
// stage has seen, so the result does not depend on batch boundaries or on
// the stream's first index.
//
// The input header must say hasAddresses (StageError otherwise). The output
// drops the side columns and says hasAddresses = false, unless the stage was
// built with keepAddresses. Columns 18, 20, 21, 22 leave pendingColumns.
// With `locality`, the four spatial-locality columns (feature_layout.h,
// 51-54) are appended to every row.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "stages/core/feature_batch.h"
#include "stages/core/transform.h"
#include "stages/feature-lib/reuse_distance_tracker.h"
#include "stages/feature-lib/u64_map.h"

namespace pv {

// The histories' budget: `historyBytes` shared in thirds by the fetch, load
// and store line histories (0: unbounded). Exact while each kind's distinct
// lines fit; past that, its oldest lines are forgotten and read as never
// seen (1e8, PerfVec's cap), and `warn` is called once with what happened.
// The exact-address history needs no budget (it holds the last 1000
// instructions' addresses).
// pv-reuse-distance's and pv-encode's --history-mb default: about 5.6 M
// distinct lines (350 MiB of data) per kind exactly.
inline constexpr size_t kDefaultHistoryMb = 2048;

struct ReuseDistanceOptions {
  bool keepAddresses = false;
  size_t historyBytes = 0;
  std::function<void(const std::string&)> warn;
  // Append the spatial-locality columns 51-54 (feature_layout.h): every
  // batch widens from 51 to 55 columns and the header names them.
  bool locality = false;
};

class ReuseDistanceStage : public Transform<FeatureBatch, FeatureBatch> {
 public:
  explicit ReuseDistanceStage(bool keepAddresses = false)
      : ReuseDistanceStage(ReuseDistanceOptions{keepAddresses, 0, {}}) {}
  explicit ReuseDistanceStage(ReuseDistanceOptions options);

  // Throws StageError unless `in` is a feature stream with address columns.
  StreamHeader describe(const StreamHeader& in) override;
  // Fills the columns in place and emits the batch. Throws StageError when
  // the batch is not 51 columns wide or a side column has the wrong length.
  void process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) override;

  // The work of process() without emitting (for benchmarks and tests).
  void fill(FeatureBatch& batch);

  // Lines forgotten to stay within the budget, and the bytes the line
  // histories hold.
  uint64_t forgottenLines() const;
  size_t historyBytes() const;

 private:
  // The locality columns of one row with a data address (before its own
  // access updates the line histories).
  void fillLocality(float* out, uint64_t pc, uint64_t addr);

  bool keepAddresses_;
  bool locality_;
  struct PcHistory {
    uint64_t lastAddr = 0;
    int64_t lastStride = 0;
    bool hasAddr = false, hasStride = false;
  };
  reuse::U64Map<PcHistory> pcs_;
  std::function<void(const std::string&)> warn_;
  size_t budget_ = 0;
  bool warned_ = false;
  uint64_t rowsSeen_ = 0;
  reuse::ReuseDistanceTracker fetchLines_;
  reuse::ReuseDistanceTracker loadLines_;
  reuse::ReuseDistanceTracker storeLines_;
  reuse::AddressDistanceTracker addresses_;
};

}  // namespace pv
