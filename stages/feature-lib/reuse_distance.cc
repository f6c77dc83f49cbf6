// ReuseDistanceStage: see reuse_distance.h.
#include "stages/feature-lib/reuse_distance.h"

#include <algorithm>
#include <cmath>
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
      locality_(options.locality),
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
  if (locality_) {
    if (out.featureColumns.empty()) out.featureColumns = f::columnNames();
    for (const auto& name : f::localityColumnNames()) out.featureColumns.push_back(name);
  }
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

  // Locality: the rows widen to 55 columns; each row's 51 are copied and
  // the 4 new ones filled below.
  std::vector<float> wide;
  constexpr size_t kWide = f::kCount + f::kLocalityCount;
  if (locality_) {
    wide.assign(rows * kWide, 0.0f);
    for (size_t r = 0; r < rows; ++r) std::copy_n(batch.row(r), f::kCount, wide.data() + r * kWide);
  }
  for (size_t r = 0; r < rows; ++r, ++rowsSeen_) {
    float* row = locality_ ? wide.data() + r * kWide : batch.row(r);
    if (locality_ && batch.access[r] != AccessKind::kNone)
      fillLocality(row + f::kCount, batch.pc[r], batch.dataAddr[r]);
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
  if (locality_) {
    batch.values = std::move(wide);
    batch.columns = static_cast<uint32_t>(kWide);
  }
  if (!keepAddresses_) {
    batch.pc = {};
    batch.dataAddr = {};
    batch.access = {};
  }
}

void ReuseDistanceStage::fillLocality(float* out, uint64_t pc, uint64_t addr) {
  bool inserted = false;
  PcHistory& h = pcs_.findOrInsert(pc, &inserted);
  out[0] = f::kStrideFirst;
  out[1] = 0;
  out[2] = 0;
  if (h.hasAddr) {
    const uint64_t line = CacheLine::of(addr).number, last = CacheLine::of(h.lastAddr).number;
    const uint64_t lines = line > last ? line - last : last - line;
    out[0] = static_cast<float>(std::log2(1.0 + static_cast<double>(lines)));
    out[2] = line > last ? 1.0f : line < last ? -1.0f : 0.0f;
    // Two's-complement difference: the byte stride, also across the top.
    const int64_t stride = static_cast<int64_t>(addr - h.lastAddr);
    out[1] = h.hasStride && stride == h.lastStride ? 1.0f : 0.0f;
    h.lastStride = stride;
    h.hasStride = true;
  }
  h.lastAddr = addr;
  h.hasAddr = true;
  // The nearer of the two neighbouring lines in either data history.
  const uint64_t line = CacheLine::of(addr).number;
  uint64_t nearest = reuse::ReuseDistanceTracker::kNever;
  for (uint64_t n : {line - 1, line + 1}) {
    nearest = std::min(nearest, loadLines_.lookup(CacheLine{n}));
    nearest = std::min(nearest, storeLines_.lookup(CacheLine{n}));
  }
  out[3] = static_cast<float>(std::log2(1.0 + static_cast<double>(nearest)));
}

void ReuseDistanceStage::process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) {
  fill(batch);
  emit(std::move(batch));
}

}  // namespace pv
