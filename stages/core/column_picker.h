// Picking a model's feature columns out of a stream's, by name: the one
// place where pv-train, pv-window / pv-encode and pv-eval / pv-tune turn a
// stream's rows into the rows a model reads.
//
// A name is a column of the stream, or "log2(COLUMN)": log2(1 + max(0, x))
// of that column. Why the log: PerfVec's reuse distances run from 1 to
// 1e8 (a first use), so (x - mean) / std of the raw value leaves every
// distance that decides between an L1 hit, an L2 hit and memory (1 to about
// 1e5 lines) within 0.01 standard deviations of each other; the log spreads
// them.
// The stream's columns stay PerfVec's, bit for bit; the transform belongs
// to the model (its column names say it, and its statistics are of the
// transformed values).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace pv::features {

// "X" for a name "log2(X)"; the name itself otherwise.
inline std::string sourceColumn(const std::string& name) {
  if (name.size() > 6 && name.compare(0, 5, "log2(") == 0 && name.back() == ')')
    return name.substr(5, name.size() - 6);
  return name;
}

inline bool isLogColumn(const std::string& name) { return sourceColumn(name) != name; }

inline std::string logColumn(const std::string& name) { return "log2(" + name + ")"; }

// log2(1 + max(0, x)), in double: the same float everywhere.
inline float logFeature(float x) { return static_cast<float>(std::log2(1.0 + std::max(0.0, double{x}))); }

class ColumnPicker {
 public:
  ColumnPicker() = default;
  // Every column of a stream of `columns` columns, unchanged.
  explicit ColumnPicker(size_t columns) : inColumns_(columns) {
    for (size_t i = 0; i < columns; ++i) source_.push_back(static_cast<uint32_t>(i));
    log_.assign(columns, 0);
  }
  // `wanted` out of `have` (empty: every column, unchanged). Call
  // firstMissing() first: a name it reports is skipped here.
  ColumnPicker(const std::vector<std::string>& have, const std::vector<std::string>& wanted)
      : ColumnPicker(have.size()) {
    if (wanted.empty()) return;
    source_.clear();
    log_.clear();
    for (const auto& name : wanted) {
      const int at = indexOf(have, sourceColumn(name));
      if (at < 0) continue;
      source_.push_back(static_cast<uint32_t>(at));
      log_.push_back(isLogColumn(name) ? 1 : 0);
    }
  }

  // The first name of `wanted` whose stream column `have` lacks (its source
  // column for a log2 name is what is looked up); "" when none is missing.
  static std::string firstMissing(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
    for (const auto& name : wanted)
      if (indexOf(have, sourceColumn(name)) < 0) return name;
    return "";
  }

  size_t inColumns() const { return inColumns_; }
  size_t columns() const { return source_.size(); }
  // Every column, in order, unchanged: rows can be copied whole.
  bool identity() const {
    if (source_.size() != inColumns_) return false;
    for (size_t i = 0; i < source_.size(); ++i)
      if (source_[i] != i || log_[i]) return false;
    return true;
  }
  // Writes the picked columns of one row of inColumns() floats to `out`
  // (columns() floats).
  void pick(const float* row, float* out) const {
    for (size_t c = 0; c < source_.size(); ++c) out[c] = log_[c] ? logFeature(row[source_[c]]) : row[source_[c]];
  }

 private:
  static int indexOf(const std::vector<std::string>& have, const std::string& name) {
    for (size_t i = 0; i < have.size(); ++i)
      if (have[i] == name) return static_cast<int>(i);
    return -1;
  }

  size_t inColumns_ = 0;
  std::vector<uint32_t> source_;
  std::vector<uint8_t> log_;
};

}  // namespace pv::features
