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
// Memory: one small entry per distinct conditional-branch PC, within a
// budget of branches: past it, the least recently executed quarter is
// forgotten, and a forgotten branch starts again as one never seen (its
// history padded with 0.5), as a PC the original's table never held.
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

  // Upper bound of the bytes a remembered branch costs (hash node with its
  // key, history and use stamp, bucket, allocator overhead).
  static constexpr size_t kBytesPerBranch = 96;
  // The branches a budget of `bytes` holds (at least 16).
  static size_t branchesFor(size_t bytes) { return bytes / kBytesPerBranch < 16 ? 16 : bytes / kBytesPerBranch; }

  // `maxBranches`: the budget (0: unbounded).
  explicit BranchEntropyTracker(size_t maxBranches = 0) : max_(maxBranches) {}

  // Records outcome `taken` of the conditional branch at `pc` and returns
  // the entropies around it.
  Entropy record(uint64_t pc, bool taken);

  // Branches forgotten to stay within the budget.
  uint64_t forgotten() const { return forgotten_; }

  // Binary entropy (nats) of a mean of k/16, k in 0..16.
  static float entropyOfSixteenths(int k);

  // Distinct branch PCs seen.
  size_t size() const { return histories_.size(); }

 private:
  struct History {
    uint8_t outcomes = 0;  // bit i: outcome i executions ago (0: latest)
    uint8_t known = 0;     // real outcomes held, 0..8
    uint64_t lastUse = 0;  // clock_ at its last execution
  };
  void forgetOldest();

  std::unordered_map<uint64_t, History> histories_;
  size_t max_;
  uint64_t clock_ = 0;
  uint64_t forgotten_ = 0;
};

}  // namespace pv
