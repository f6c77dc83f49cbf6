// Branch entropy features 16 and 17 (../../shared/reference/perfvec-facts.md):
// for each conditional branch PC, the outcomes (taken = 1) of its last
// executions, padded with 0.5 before the first one. At the t-th execution:
//
//   pre = H(mean of outcomes t-8 .. t-1)
//   now = H(mean of outcomes t-7 .. t)
//
// where H(p) = -p ln p - (1-p) ln(1-p) is the binary entropy in nats, as the
// original PerfVec feature extractor computes it (std::log); H(0) = H(1) = 0.
// With 8 values of 0, 0.5 or 1 the mean is k/16, so H comes from a table.
//
// Memory: one small entry per distinct conditional-branch PC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace pv {

class BranchEntropyTracker {
 public:
  static constexpr int kHistoryLength = 8;

  struct Entropy {
    float pre = 0;
    float now = 0;
  };

  // Records outcome `taken` of the conditional branch at `pc` and returns
  // the entropies around it.
  Entropy record(uint64_t pc, bool taken);

  // Binary entropy (nats) of a mean of k/16, k in 0..16.
  static float entropyOfSixteenths(int k);

  // Distinct branch PCs seen.
  size_t size() const { return histories_.size(); }

 private:
  struct History {
    uint8_t outcomes = 0;  // bit i: outcome i executions ago (0: latest)
    uint8_t known = 0;     // real outcomes held, 0..8
  };
  std::unordered_map<uint64_t, History> histories_;
};

}  // namespace pv
