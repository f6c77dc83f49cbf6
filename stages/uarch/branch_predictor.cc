// Bimodal, gshare and TAGE-like direction predictors; a set-associative BTB.

#include "stages/uarch/branch_predictor.h"

#include <algorithm>
#include <cmath>

namespace pv::uarch {

namespace {

uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  return x;
}

bool counterTaken(uint8_t c) { return c >= 2; }
void train(uint8_t& c, bool taken) {
  if (taken && c < 3) ++c;
  if (!taken && c > 0) --c;
}

// Useful bits of all tagged entries are halved this often (TAGE's aging).
constexpr uint64_t kUsefulResetPeriod = 1u << 18;

}  // namespace

DirectionPredictor::DirectionPredictor(const BranchConfig& config)
    : kind_(config.predictor),
      base_(size_t(1) << config.tableBits, 1),  // weakly not taken
      baseMask_((uint64_t(1) << config.tableBits) - 1),
      gshareBits_(config.historyBits) {
  if (kind_ != PredictorKind::kTage) return;
  tableBits_ = config.tageTableBits;
  tagBits_ = config.tageTagBits;
  const uint32_t n = config.tageTables;
  tables_.assign(n, std::vector<TaggedEntry>(size_t(1) << tableBits_));
  // Geometric history lengths from min to max.
  for (uint32_t i = 0; i < n; ++i) {
    double ratio = n == 1 ? 1.0 : double(i) / (n - 1);
    double len = config.tageMinHistory *
                 std::pow(double(config.tageMaxHistory) / config.tageMinHistory, ratio);
    lengths_.push_back(std::max<uint32_t>(1, uint32_t(std::lround(len))));
  }
}

uint32_t DirectionPredictor::folded(uint32_t length, uint32_t bits) const {
  uint32_t out = 0;
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  for (uint32_t at = 0; at < length; at += bits) {
    const uint32_t take = std::min(bits, length - at);
    const uint32_t word = at / 64, shift = at % 64;
    uint64_t chunk = history_[word] >> shift;
    if (shift + take > 64 && word + 1 < history_.size()) chunk |= history_[word + 1] << (64 - shift);
    out ^= uint32_t(chunk & mask & ((uint64_t(1) << take) - 1));
  }
  return out;
}

void DirectionPredictor::pushHistory(bool taken) {
  history_[1] = (history_[1] << 1) | (history_[0] >> 63);
  history_[0] = (history_[0] << 1) | (taken ? 1 : 0);
}

bool DirectionPredictor::predictAndUpdate(uint64_t pc, bool taken) {
  bool prediction = false;
  switch (kind_) {
    case PredictorKind::kBimodal: {
      uint8_t& c = base_[(pc >> 2) & baseMask_];
      prediction = counterTaken(c);
      train(c, taken);
      break;
    }
    case PredictorKind::kGshare: {
      const uint64_t history = history_[0] & ((uint64_t(1) << gshareBits_) - 1);
      uint8_t& c = base_[((pc >> 2) ^ history) & baseMask_];
      prediction = counterTaken(c);
      train(c, taken);
      break;
    }
    case PredictorKind::kTage:
      prediction = tage(pc, taken);
      break;
  }
  pushHistory(taken);
  return prediction;
}

bool DirectionPredictor::tage(uint64_t pc, bool taken) {
  const size_t n = tables_.size();
  const uint64_t p = pc >> 2;
  // Look-up: index and tag per table.
  uint32_t index[16], tag[16];
  int provider = -1, alternate = -1;
  for (size_t i = 0; i < n; ++i) {
    index[i] = uint32_t((p ^ (p >> tableBits_) ^ folded(lengths_[i], tableBits_) ^ (i * 0x5bd1)) &
                        ((1u << tableBits_) - 1));
    tag[i] = uint32_t((mix(p + i) ^ folded(lengths_[i], tagBits_) ^
                       (folded(lengths_[i], tagBits_ - 1) << 1)) &
                      ((1u << tagBits_) - 1));
  }
  for (int i = int(n) - 1; i >= 0; --i) {
    if (tables_[i][index[i]].tag != tag[i]) continue;
    if (provider < 0) provider = i;
    else if (alternate < 0) alternate = i;
    else break;
  }
  uint8_t& base = base_[p & baseMask_];
  const bool basePrediction = counterTaken(base);
  const bool altPrediction =
      alternate >= 0 ? tables_[alternate][index[alternate]].counter >= 0 : basePrediction;
  bool prediction = basePrediction;
  if (provider >= 0) prediction = tables_[provider][index[provider]].counter >= 0;

  // Update.
  if (provider >= 0) {
    TaggedEntry& e = tables_[provider][index[provider]];
    if (prediction != altPrediction) {
      if (prediction == taken && e.useful < 3) ++e.useful;
      if (prediction != taken && e.useful > 0) --e.useful;
    }
    if (taken && e.counter < 3) ++e.counter;
    if (!taken && e.counter > -4) --e.counter;
  } else {
    train(base, taken);
  }
  if (prediction != taken && provider < int(n) - 1) {
    // Allocate in one longer table with a free (not useful) entry, starting
    // at a pseudo-random one of the first two candidates (as TAGE does).
    allocSeed_ = mix(allocSeed_ + 1);
    int start = provider + 1 + int(allocSeed_ & 1);
    if (start >= int(n)) start = provider + 1;
    bool allocated = false;
    for (int i = start; i < int(n); ++i) {
      TaggedEntry& e = tables_[i][index[i]];
      if (e.useful == 0) {
        e = TaggedEntry{uint16_t(tag[i]), int8_t(taken ? 0 : -1), 0};
        allocated = true;
        break;
      }
    }
    if (!allocated)
      for (int i = provider + 1; i < int(n); ++i)
        if (tables_[i][index[i]].useful > 0) --tables_[i][index[i]].useful;
  }
  if (++branches_ % kUsefulResetPeriod == 0)
    for (auto& table : tables_)
      for (auto& e : table) e.useful >>= 1;
  return prediction;
}

BranchTargetBuffer::BranchTargetBuffer(const BranchConfig& config)
    : entries_(config.btbEntries), sets_(config.btbEntries / config.btbWays), ways_(config.btbWays) {}

BranchTargetBuffer::Entry* BranchTargetBuffer::find(uint64_t pc) {
  Entry* set = &entries_[((pc >> 2) % sets_) * ways_];
  for (uint64_t w = 0; w < ways_; ++w)
    if (set[w].pc == pc) return &set[w];
  return nullptr;
}

bool BranchTargetBuffer::lookup(uint64_t pc, uint64_t& target) {
  Entry* e = find(pc);
  if (!e) return false;
  e->stamp = ++clock_;
  target = e->target;
  return true;
}

void BranchTargetBuffer::update(uint64_t pc, uint64_t target) {
  Entry* e = find(pc);
  if (!e) {
    Entry* set = &entries_[((pc >> 2) % sets_) * ways_];
    e = &set[0];
    for (uint64_t w = 1; w < ways_; ++w)
      if (set[w].stamp < e->stamp) e = &set[w];
    e->pc = pc;
  }
  e->target = target;
  e->stamp = ++clock_;
}

}  // namespace pv::uarch
