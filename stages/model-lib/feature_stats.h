// Per-feature normalisation statistics as CSV, the form PerfVec's stats come
// in (../shared/data/gem5-example/stats.csv):
//   feature_index,mean,std
//   0,3.27e-06,0.0018
//   ...
// One row per feature, indices 0..n-1 in order.
#pragma once

#include <string>
#include <vector>

namespace pv {

struct FeatureStats {
  std::vector<float> mean;
  std::vector<float> stddev;
};

// Parses `text` (named `where` in errors); throws StageError with the line
// for a bad header, a missing or out-of-order index, a value that is not a
// finite number, a negative deviation, or a count other than `features`.
FeatureStats parseFeatureStatsCsv(const std::string& text, const std::string& where, size_t features);
// Reads and parses a file.
FeatureStats readFeatureStatsCsv(const std::string& path, size_t features);
// The CSV form of `stats` (round-trips through parseFeatureStatsCsv).
std::string formatFeatureStatsCsv(const FeatureStats& stats);

}  // namespace pv
