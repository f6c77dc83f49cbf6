// DependencyStage: see dependency.h.
#include "stages/feature-lib/dependency.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {

namespace f = pv::features;

namespace {

// A register's (class + 1, index + 1) pair as one key; StageError naming the
// record when the pair is not two small whole numbers.
uint32_t registerKey(const float* pair, uint64_t record) {
  const float cls = pair[0], index = pair[1];
  if (!(cls >= 1 && cls < 4096 && index >= 0 && index < (1 << 20)) || cls != std::floor(cls) ||
      index != std::floor(index))
    throw StageError("", "record " + std::to_string(record),
                     "register (" + std::to_string(cls) + ", " + std::to_string(index) +
                         ") is not a (class + 1, index + 1) pair of whole numbers");
  return (static_cast<uint32_t>(cls) << 20) | static_cast<uint32_t>(index);
}

}  // namespace

StreamHeader DependencyStage::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kFeatures)
    throw StageError("", "", "expected a feature stream, got instructions (run pv-feature first)");
  StreamHeader out = in;
  if (out.featureColumns.empty()) out.featureColumns = f::columnNames();
  if (out.featureColumns.size() < static_cast<size_t>(f::kCount))
    throw StageError("", "", "expected at least " + std::to_string(f::kCount) + " feature columns, the header names " +
                                 std::to_string(out.featureColumns.size()));
  for (const auto& name : out.featureColumns)
    if (f::isDependencyColumn(name)) throw StageError("", "", "the stream already has the column " + name);
  inputColumns_ = static_cast<uint32_t>(out.featureColumns.size());
  for (const auto& name : f::dependencyColumnNames()) out.featureColumns.push_back(name);
  return out;
}

void DependencyStage::fill(FeatureBatch& batch) {
  if (batch.contextRows != 0)
    throw StageError("", "record " + std::to_string(batch.firstIndex), "a window stream (run this before pv-window)");
  if (batch.columns != inputColumns_)
    throw StageError("", "record " + std::to_string(batch.firstIndex),
                     "expected " + std::to_string(inputColumns_) + " feature columns, got " +
                         std::to_string(batch.columns));
  const size_t rows = batch.rows();
  const uint32_t width = inputColumns_ + f::kDependencyCount;
  std::vector<float> out(rows * width);
  for (size_t r = 0; r < rows; ++r, ++rowsSeen_) {
    const float* in = batch.row(r);
    float* o = out.data() + r * width;
    std::copy(in, in + inputColumns_, o);
    const uint64_t block = rowsSeen_ / kDependencyBlock;
    uint64_t nearest = kDependencyCap;
    uint16_t depth = 0, loadDepth = 0;
    bool onLoad = false;
    for (int s = 0; s < 8; ++s) {
      if (!(in[f::kFirstSrc + 2 * s] > 0)) continue;  // 0: no register
      const auto it = registers_.find(registerKey(in + f::kFirstSrc + 2 * s, batch.firstIndex + r));
      if (it == registers_.end()) continue;
      const Producer& p = it->second;
      const uint64_t distance = rowsSeen_ - p.row;
      if (distance < nearest) nearest = distance;
      if (distance <= kDependencyCap && p.load) onLoad = true;
      if (p.row / kDependencyBlock == block) {
        depth = std::max(depth, p.depth);
        loadDepth = std::max(loadDepth, p.loadDepth);
      }
    }
    const bool load = in[f::kLoad] > 0.5f;
    Producer self{rowsSeen_, static_cast<uint16_t>(depth + 1), static_cast<uint16_t>(loadDepth + (load ? 1 : 0)), load};
    o[inputColumns_ + 0] = std::log2(1.0f + static_cast<float>(nearest));  // nearest <= the cap
    o[inputColumns_ + 1] = static_cast<float>(self.depth);
    o[inputColumns_ + 2] = onLoad ? 1.0f : 0.0f;
    o[inputColumns_ + 3] = static_cast<float>(self.loadDepth);
    for (int d = 0; d < 6; ++d) {
      if (!(in[f::kFirstDst + 2 * d] > 0)) continue;
      registers_[registerKey(in + f::kFirstDst + 2 * d, batch.firstIndex + r)] = self;
    }
  }
  batch.values = std::move(out);
  batch.columns = width;
}

void DependencyStage::process(FeatureBatch&& batch, const Emit<FeatureBatch>& emit) {
  fill(batch);
  emit(std::move(batch));
}

}  // namespace pv
