// The 51 PerfVec input features: column indices and names
// (../shared/reference/perfvec-facts.md, "The 51 input features").
// pv-feature fills every column except the reuse distances, which
// pv-reuse-distance fills; the header's pendingColumns says which are open.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "stages/core/column_picker.h"

namespace pv::features {

inline constexpr int kFault = 0;
inline constexpr int kOpClass = 1;          // op class + 1
inline constexpr int kStoreQueueStore = 2;
inline constexpr int kLoad = 3;
inline constexpr int kFirstFlag = 4;        // 4-14: microop .. non speculative
inline constexpr int kScAtomic = 11;        // store_conditional + 2 * atomic
inline constexpr int kBranching = 15;
inline constexpr int kEntropyPre = 16;
inline constexpr int kEntropyNow = 17;
inline constexpr int kFetchReuse = 18;
inline constexpr int kHasDataAddr = 19;
inline constexpr int kLoadReuse = 20;
inline constexpr int kStoreReuse = 21;
inline constexpr int kAddrDistance = 22;
inline constexpr int kFirstSrc = 23;        // 8 x (class + 1, index + 1)
inline constexpr int kFirstDst = 39;        // 6 x (class + 1, index + 1)
inline constexpr int kCount = 51;

// Reuse distance of a line never seen before (also the cap).
inline constexpr float kReuseNever = 1e8f;
// Exact-address distance cap (also "never seen").
inline constexpr float kAddrDistanceCap = 1000.0f;

// The columns pv-reuse-distance computes.
inline constexpr int kReuseColumns[] = {kFetchReuse, kLoadReuse, kStoreReuse,
                                        kAddrDistance};

// Spatial-locality columns (pv-reuse-distance --locality), appended after
// the 51, which stay bit for bit PerfVec's. For a row with a data address
// (0 in all four otherwise), with a' the previous data address of the same
// pc and lines of 64 bytes:
//   51 pc_stride_lines_log2      log2(1 + |line(a) - line(a')|); 40 when the
//                                pc has no earlier access (farther than any)
//   52 pc_stride_repeats         1 when a - a' equals the pc's previous byte
//                                stride (a prefetchable stream), else 0
//   53 pc_stride_direction       +1 / -1 when line(a) is above / below
//                                line(a'), 0 when equal or first
//   54 neighbour_line_reuse_log2 log2(1 + the smaller reuse distance of
//                                line(a) - 1 and line(a) + 1 among the data
//                                lines (load and store histories), looked up
//                                before this access); log2(1 + 1e8) if never
inline constexpr int kLocalityCount = 4;
inline constexpr int kPcStrideLines = 51;
inline constexpr int kPcStrideRepeats = 52;
inline constexpr int kPcStrideDirection = 53;
inline constexpr int kNeighbourLineReuse = 54;
inline constexpr float kStrideFirst = 40.0f;

inline std::vector<std::string> localityColumnNames() {
  return {"pc_stride_lines_log2", "pc_stride_repeats", "pc_stride_direction", "neighbour_line_reuse_log2"};
}

// Whether `name` is one of `group`'s columns.
inline bool isColumnOf(const std::vector<std::string>& group, const std::string& name) {
  return std::find(group.begin(), group.end(), name) != group.end();
}

// Whether `name` is one of the locality columns (a model that has one needs
// pv-reuse-distance --locality).
inline bool isLocalityColumn(const std::string& name) { return isColumnOf(localityColumnNames(), name); }

// Register-dataflow columns (pv-dependency), appended after the columns a
// stream has (the 51, or the 55 with locality); stages/feature-lib/dependency.h
// defines them.
inline constexpr int kDependencyCount = 4;

inline std::vector<std::string> dependencyColumnNames() {
  return {"dep_distance_log2", "dep_depth", "dep_on_load", "load_chain_depth"};
}

// Whether `name` is one of the dependency columns (a model that has one
// needs pv-dependency in its pipeline).
inline bool isDependencyColumn(const std::string& name) { return isColumnOf(dependencyColumnNames(), name); }

// The stage that makes `column` when it belongs to a group beyond the 51
// (for error messages); "" otherwise.
inline std::string stageThatMakes(const std::string& column) {
  if (isLocalityColumn(column)) return "pv-reuse-distance --locality; pv-dataset --locality";
  if (isDependencyColumn(column)) return "pv-dependency";
  return "";
}

// The one error text for a stream (of the columns `have`) that lacks the
// model's or --features' column `name` (for "log2(X)", its column X).
inline std::string missingColumnError(const std::vector<std::string>& have, const std::string& name) {
  const std::string column = sourceColumn(name);
  const std::string maker = stageThatMakes(column);
  return "no feature column '" + column + "' in this stream (it has " + std::to_string(have.size()) + " columns" +
         (have.empty() ? "" : ", '" + have.front() + "' to '" + have.back() + "'") + ")" +
         (maker.empty() ? "" : ": it is made by " + maker);
}

inline std::vector<std::string> columnNames() {
  std::vector<std::string> names = {
      "fault",           "op_class",         "sq_store",
      "load",            "microop",          "cond_ctrl",
      "uncond_ctrl",     "direct_ctrl",      "squash_after",
      "serialize_after", "serialize_before", "sc_atomic",
      "read_barrier",    "write_barrier",    "non_speculative",
      "branching",       "entropy_pre",      "entropy_now",
      "fetch_reuse",     "has_data_addr",    "load_reuse",
      "store_reuse",     "addr_distance"};
  for (int i = 0; i < 8; ++i) {
    names.push_back("src" + std::to_string(i) + "_class");
    names.push_back("src" + std::to_string(i) + "_index");
  }
  for (int i = 0; i < 6; ++i) {
    names.push_back("dst" + std::to_string(i) + "_class");
    names.push_back("dst" + std::to_string(i) + "_index");
  }
  return names;
}

// The 51 with the four reuse columns (fetch, load and store line reuse
// distances, the exact-address distance) as "log2(NAME)": what a model
// trained with pv-train --features perfvec-log reads (column_picker.h says
// why). The stream keeps the 51.
inline std::vector<std::string> logReuseColumnNames() {
  std::vector<std::string> names = columnNames();
  for (int c : kReuseColumns) names[c] = logColumn(names[c]);
  return names;
}

}  // namespace pv::features
