// In-memory form of a batch of feature rows: row-major float32, plus the
// address side columns that pv-reuse-distance needs (float32 cannot hold a
// 64-bit address exactly) and optional labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pv {

// Kind of data access of a row, for the reuse-distance histories.
enum class AccessKind : uint8_t {
  kNone = 0,   // no data address
  kLoad = 1,   // updates the load-line history (gem5: op class MemRead)
  kStore = 2,  // updates the store-line history (gem5: any other access)
  kOther = 3,  // looked up in both histories, recorded in neither (for
               // sources that can tell e.g. a prefetch from a store)
};

struct FeatureBatch {
  uint64_t firstIndex = 0;  // stream position of row 0
  uint32_t columns = 0;
  std::vector<float> values;  // rows() x columns

  // Side columns, one entry per row; present iff the header says
  // hasAddresses.
  std::vector<uint64_t> pc;
  std::vector<uint64_t> dataAddr;
  std::vector<AccessKind> access;

  // Labelled streams only: rows() x labelWidth floats.
  std::vector<float> labels;

  // Window streams only (pv-window): values starts with this many rows of
  // context (the rows before row 0; zeros at stream start). They are not
  // records of this batch.
  uint32_t contextRows = 0;

  // Own rows (records), excluding context rows.
  size_t rows() const { return columns == 0 ? 0 : values.size() / columns - contextRows; }
  // Own row r (context rows come before row 0).
  float* row(size_t r) { return values.data() + (contextRows + r) * columns; }
  const float* row(size_t r) const { return values.data() + (contextRows + r) * columns; }
  bool operator==(const FeatureBatch&) const = default;
};

}  // namespace pv
