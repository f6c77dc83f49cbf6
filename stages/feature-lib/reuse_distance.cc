// ReuseDistanceStage: see reuse_distance.h.
#include "stages/feature-lib/reuse_distance.h"

#include <algorithm>
#include <string>
#include <utility>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {

namespace f = pv::features;
using reuse::CacheLine;

static_assert(reuse::ReuseDistanceTracker::kNever == static_cast<uint64_t>(f::kReuseNever));
static_assert(reuse::AddressDistanceTracker::kCap == static_cast<uint64_t>(f::kAddrDistanceCap));

namespace {

[[noreturn]] void failAt(uint64_t record, const std::string& message) {
  throw StageError("", "record " + std::to_string(record), message);
}

}  // namespace

ReuseDistanceStage::ReuseDistanceStage(ReuseDistanceOptions options)
    : keepAddresses_(options.keepAddresses),
      warn_(std::move(options.warn)),
      budget_(options.historyBytes),
      fetchLines_(reuse::ReuseDistanceTracker::kMinSlots,
                  budget_ ? reuse::ReuseDistanceTracker::linesFor(budget_ / 3) : 0),
      loadLines_(reuse::ReuseDistanceTracker::kMinSlots,
                 budget_ ? reuse::ReuseDistanceTracker::linesFor(budget_ / 3) : 0),
      storeLines_(reuse::ReuseDistanceTracker::kMinSlots,
                  budget_ ? reuse::ReuseDistanceTracker::linesFor(budget_ / 3) : 0) {}

uint64_t ReuseDistanceStage::forgottenLines() const {
  return fetchLines_.forgotten() + loadLines_.forgotten() + storeLines_.forgotten();
}

size_t ReuseDistanceStage::historyBytes() const {
  return fetchLines_.memoryBytes() + loadLines_.memoryBytes() + storeLines_.memoryBytes();
}

StreamHeader ReuseDistanceStage::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kFeatures)
    throw StageError("", "",
                     "expected a feature stream, got instructions "
                     "(run pv-feature first)");
  if (!in.hasAddresses)
    throw StageError("", "",
                     "the feature stream has no address side columns "
                     "(hasAddresses is false); feed pv-reuse-distance "
                     "straight from pv-feature, or keep the addresses with "
                     "--keep-addresses in any stage between them");
  if (!in.featureColumns.empty() && in.featureColumns.size() != static_cast<size_t>(f::kCount))
    throw StageError("", "",
                     "expected " + std::to_string(f::kCount) +
                         " feature columns, the header names " +
                         std::to_string(in.featureColumns.size()));
  StreamHeader out = in;
  std::erase_if(out.pendingColumns, [](uint16_t c) {
    return std::find(std::begin(f::kReuseColumns), std::end(f::kReuseColumns), c) !=
           std::end(f::kReuseColumns);
  });
  out.hasAddresses = keepAddresses_;
  return out;
}

void ReuseDistanceStage::fill(FeatureBatch& batch) {
  const size_t rows = batch.rows();
  if (batch.columns != static_cast<uint32_t>(f::kCount))
    failAt(batch.firstIndex, "expected " + std::to_string(f::kCount) + " feature columns, got " +
                                 std::to_string(batch.columns));
  if (batch.pc.size() != rows || batch.dataAddr.size() != rows || batch.access.size() != rows)
    failAt(batch.firstIndex, "address side columns missing or of the wrong length (" +
                                 std::to_string(batch.pc.size()) + " pc, " +
                                 std::to_string(batch.dataAddr.size()) + " dataAddr, " +
                                 std::to_string(batch.access.size()) + " access for " +
                                 std::to_string(rows) + " rows)");

  for (size_t r = 0; r < rows; ++r, ++rowsSeen_) {
    float* row = batch.row(r);
    row[f::kFetchReuse] = static_cast<float>(fetchLines_.access(CacheLine::of(batch.pc[r])));
    const AccessKind kind = batch.access[r];
    if (kind == AccessKind::kNone) {
      row[f::kLoadReuse] = 0;
      row[f::kStoreReuse] = 0;
      row[f::kAddrDistance] = 0;
      continue;
    }
    const uint64_t addr = batch.dataAddr[r];
    const CacheLine line = CacheLine::of(addr);
    uint64_t load = 0, store = 0;
    switch (kind) {
      case AccessKind::kLoad:
        load = loadLines_.access(line);
        store = storeLines_.lookup(line);
        break;
      case AccessKind::kStore:
        load = loadLines_.lookup(line);
        store = storeLines_.access(line);
        break;
      case AccessKind::kOther:
        load = loadLines_.lookup(line);
        store = storeLines_.lookup(line);
        break;
      default:
        failAt(batch.firstIndex + r,
               "unknown access kind " + std::to_string(static_cast<int>(kind)));
    }
    row[f::kLoadReuse] = static_cast<float>(load);
    row[f::kStoreReuse] = static_cast<float>(store);
    row[f::kAddrDistance] = static_cast<float>(addresses_.access(addr, rowsSeen_));
  }

  if (!warned_ && forgottenLines() > 0) {
    warned_ = true;
    if (warn_)
      warn_("by instruction " + std::to_string(rowsSeen_) + ", the reuse-distance histories outgrew their " +
            std::to_string(budget_ >> 20) + " MiB: the oldest lines are forgotten and read as never seen (1e8), " +
            "so distances to them are not exact (raise --history-mb)");
  }
  if (!keepAddresses_) {
    batch.pc = {};
    batch.dataAddr = {};
    batch.access = {};
  }
}

void ReuseDistanceStage::process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) {
  fill(batch);
  emit(std::move(batch));
}

}  // namespace pv
