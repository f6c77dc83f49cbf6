// Branch entropy features: see branch_entropy.h.
#include "stages/feature/branch_entropy.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <vector>

namespace pv {

namespace {

constexpr int kSteps = 2 * BranchEntropyTracker::kHistoryLength;  // 16

std::array<float, kSteps + 1> makeEntropyTable() {
  std::array<float, kSteps + 1> table{};
  for (int k = 0; k <= kSteps; ++k) {
    double p = static_cast<double>(k) / kSteps;
    table[k] = (k == 0 || k == kSteps)
                   ? 0.0f
                   : static_cast<float>(-p * std::log(p) - (1 - p) * std::log(1 - p));
  }
  return table;
}

const std::array<float, kSteps + 1> kEntropy = makeEntropyTable();

// Twice the sum of a window of 8 values: the known outcomes count 2 per
// taken one, the unknown (padding) ones 1 each.
int doubledSum(uint8_t outcomes, uint8_t known) {
  uint8_t mask = static_cast<uint8_t>((1u << known) - 1u);
  return 2 * std::popcount(static_cast<uint8_t>(outcomes & mask)) +
         (BranchEntropyTracker::kHistoryLength - known);
}

}  // namespace

float BranchEntropyTracker::entropyOfSixteenths(int k) { return kEntropy[k]; }

BranchEntropyTracker::Entropy BranchEntropyTracker::record(uint64_t pc, bool taken) {
  History& h = histories_[pc];
  Entropy e;
  e.pre = kEntropy[doubledSum(h.outcomes, h.known)];
  h.outcomes = static_cast<uint8_t>((h.outcomes << 1) | (taken ? 1u : 0u));
  if (h.known < kHistoryLength) ++h.known;
  e.now = kEntropy[doubledSum(h.outcomes, h.known)];
  h.lastUse = ++clock_;
  if (max_ != 0 && histories_.size() > max_) forgetOldest();  // `h` is not used after this
  return e;
}

// Keeps the three quarters (at least one) most recently executed: the
// cutoff stamp by nth_element, then one erase pass. Amortized O(1).
void BranchEntropyTracker::forgetOldest() {
  const size_t keep = std::max<size_t>(1, max_ - max_ / 4);
  std::vector<uint64_t> stamps;
  stamps.reserve(histories_.size());
  for (const auto& [pc, h] : histories_) stamps.push_back(h.lastUse);
  auto cut = stamps.end() - static_cast<ptrdiff_t>(keep);
  std::nth_element(stamps.begin(), cut, stamps.end());
  const uint64_t oldestKept = *cut;  // stamps are distinct
  forgotten_ += std::erase_if(histories_, [&](const auto& entry) { return entry.second.lastUse < oldestKept; });
}

}  // namespace pv
