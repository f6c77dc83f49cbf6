// Training data: loading labelled streams, statistics, chunk plans, batches.

#include "stages/train/training_data.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "stages/core/feature_batch.h"
#include "stages/core/splitmix64.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/stream.h"

namespace pv::train {
namespace {

// Indices of `wanted` in `have` (all of `have` when `wanted` is empty).
std::vector<size_t> resolve(const std::vector<std::string>& have, const std::vector<std::string>& wanted,
                            const std::string& what, const std::string& input) {
  std::vector<size_t> out;
  if (wanted.empty()) {
    for (size_t i = 0; i < have.size(); ++i) out.push_back(i);
    return out;
  }
  for (const auto& w : wanted) {
    auto it = std::find(have.begin(), have.end(), w);
    if (it == have.end()) {
      std::string list;
      for (const auto& h : have) list += (list.empty() ? "" : " ") + h;
      throw StageError(input, "header", fmt::format("no {} '{}' in this stream (it has: {})", what, w, list));
    }
    out.push_back(static_cast<size_t>(it - have.begin()));
  }
  return out;
}

// A stateless, platform-independent hash of one word.
constexpr uint64_t mix(uint64_t x) { return SplitMix64::hash(x); }

}  // namespace

void TrainingSet::addStream(const std::string& spec, const LabelSelection& selection, const std::string& name,
                            int64_t maxRows) {
  auto reader = runtime::StreamReader::open(spec);
  const StreamHeader& h = reader->header();
  if (h.payload != PayloadKind::kFeatures)
    throw StageError(spec, "header", "not a feature stream (pv-train reads labelled feature streams)");
  if (!h.labelled())
    throw StageError(spec, "header",
                     "the stream has no labels (make it with pv-uarch or pv-trace-tap --labels before pv-feature)");
  if (!h.pendingColumns.empty())
    throw StageError(spec, "header",
                     fmt::format("{} feature columns are not filled yet (run pv-reuse-distance first)",
                                 h.pendingColumns.size()));
  const auto targetIndex = resolve(h.targetNames, selection.targets, "target", spec);
  const auto uarchIndex = resolve(h.uarchNames, selection.uarchs, "microarchitecture", spec);
  if (programs_.empty()) {
    featureColumns_ = h.featureColumns;
    targets_.clear();
    uarchs_.clear();
    for (size_t t : targetIndex) targets_.push_back(h.targetNames[t]);
    for (size_t u : uarchIndex) uarchs_.push_back(h.uarchNames[u]);
  } else {
    if (h.featureColumns != featureColumns_)
      throw StageError(spec, "header", "its feature columns differ from the first training stream's");
    for (size_t i = 0; i < targetIndex.size(); ++i)
      if (h.targetNames[targetIndex[i]] != targets_[i])
        throw StageError(spec, "header", "its targets differ from the first training stream's");
    for (size_t i = 0; i < uarchIndex.size(); ++i)
      if (h.uarchNames[uarchIndex[i]] != uarchs_[i])
        throw StageError(spec, "header", "its microarchitectures differ from the first training stream's");
  }

  LabelledProgram p;
  p.name = name.empty() ? runtime::streamBaseName(spec) : name;
  p.source = h.source;
  const size_t columns = featureColumns_.size();
  const size_t fullWidth = h.labelWidth();
  const size_t nt = h.targetNames.size();
  FeatureBatch batch;
  while (reader->next(batch)) {
    const size_t n = batch.rows();
    if (batch.columns != columns)
      throw StageError(spec, fmt::format("record {}", batch.firstIndex),
                       fmt::format("batch of {} columns in a stream of {}", batch.columns, columns));
    if (batch.labels.size() != n * fullWidth)
      throw StageError(spec, fmt::format("record {}", batch.firstIndex), "labels missing or of the wrong size");
    size_t take = n;
    if (maxRows > 0) take = std::min<size_t>(n, static_cast<size_t>(std::max<int64_t>(0, maxRows - p.rows)));
    p.features.insert(p.features.end(), batch.values.begin(), batch.values.begin() + take * columns);
    for (size_t r = 0; r < take; ++r) {
      const float* row = batch.labels.data() + r * fullWidth;
      for (size_t u : uarchIndex)
        for (size_t t : targetIndex) {
          const float v = row[u * nt + t];
          if (!std::isfinite(v))
            throw StageError(spec, fmt::format("record {}", batch.firstIndex + r),
                             fmt::format("label {} on {} is not a finite number", h.targetNames[t], h.uarchNames[u]));
          p.labels.push_back(v);
        }
    }
    for (size_t i = 0; i < take * columns; ++i)
      if (!std::isfinite(p.features[p.rows * columns + i]))
        throw StageError(spec, fmt::format("record {}", batch.firstIndex + i / columns),
                         fmt::format("feature {} is not a finite number", featureColumns_[i % columns]));
    p.rows += static_cast<int64_t>(take);
    if (maxRows > 0 && p.rows >= maxRows) break;  // a prefix on purpose (--max-rows)
  }
  if (p.rows == 0) throw StageError(spec, "", "the stream holds no records");
  programs_.push_back(std::move(p));
}

void TrainingSet::addProgram(LabelledProgram p, const std::vector<std::string>& featureColumns,
                             const std::vector<std::string>& targets, const std::vector<std::string>& uarchs) {
  if (programs_.empty()) {
    featureColumns_ = featureColumns;
    targets_ = targets;
    uarchs_ = uarchs;
  } else if (featureColumns != featureColumns_ || targets != targets_ || uarchs != uarchs_) {
    throw std::invalid_argument("TrainingSet::addProgram: names differ from the first program's");
  }
  if (p.rows <= 0 || p.features.size() != static_cast<size_t>(p.rows) * featureColumns.size() ||
      p.labels.size() != static_cast<size_t>(p.rows) * targets.size() * uarchs.size())
    throw std::invalid_argument("TrainingSet::addProgram: sizes do not match the row count");
  programs_.push_back(std::move(p));
}

int64_t TrainingSet::rows() const {
  int64_t n = 0;
  for (const auto& p : programs_) n += p.rows;
  return n;
}

void TrainingSet::featureStatistics(std::vector<double>& mean, std::vector<double>& stddev) const {
  const size_t f = featureColumns_.size();
  std::vector<double> sum(f, 0), sumSq(f, 0);
  double n = 0;
  for (const auto& p : programs_) {
    for (int64_t r = 0; r < p.rows; ++r)
      for (size_t c = 0; c < f; ++c) {
        const double x = p.features[r * f + c];
        sum[c] += x;
        sumSq[c] += x * x;
      }
    n += static_cast<double>(p.rows);
  }
  mean.assign(f, 0);
  stddev.assign(f, 0);
  if (n == 0) return;
  for (size_t c = 0; c < f; ++c) {
    mean[c] = sum[c] / n;
    stddev[c] = std::sqrt(std::max(0.0, sumSq[c] / n - mean[c] * mean[c]));
  }
}

std::vector<double> TrainingSet::targetScales() const {
  const size_t nt = targets_.size(), nu = uarchs_.size();
  std::vector<double> sumSq(nt, 0);
  double n = 0;
  for (const auto& p : programs_) {
    for (size_t i = 0; i < p.labels.size(); ++i) sumSq[i % nt] += double(p.labels[i]) * p.labels[i];
    n += static_cast<double>(p.rows) * static_cast<double>(nu);
  }
  std::vector<double> scale(nt, 1.0);
  for (size_t t = 0; t < nt; ++t)
    if (n > 0 && sumSq[t] > 0) scale[t] = std::sqrt(sumSq[t] / n);
  return scale;
}

ChunkPlan planChunks(const TrainingSet& set, int64_t chunk, double validationFraction, uint64_t seed) {
  ChunkPlan plan;
  const uint64_t threshold =
      static_cast<uint64_t>(std::clamp(validationFraction, 0.0, 1.0) * 18446744073709551615.0);
  for (size_t p = 0; p < set.programs().size(); ++p) {
    const int64_t chunks = (set.programs()[p].rows + chunk - 1) / chunk;
    for (int64_t j = 0; j < chunks; ++j) {
      const ChunkRef c{static_cast<int32_t>(p), j};
      const uint64_t h = mix(mix(seed ^ 0x76616c6964ull) ^ mix(p * 0x100000001b3ull + static_cast<uint64_t>(j)));
      (validationFraction > 0 && h < threshold ? plan.validation : plan.train).push_back(c);
    }
  }
  return plan;
}

std::vector<ChunkRef> epochOrder(const std::vector<ChunkRef>& train, uint64_t seed, uint64_t epoch) {
  std::vector<ChunkRef> order = train;
  uint64_t state = mix(seed) ^ mix(epoch + 0x65706f6368ull);
  for (size_t i = order.size(); i > 1; --i) {
    state = mix(state);
    // Multiply-shift maps the 64-bit draw onto [0, i) without modulo bias worth caring about.
    const size_t j = static_cast<size_t>((static_cast<unsigned __int128>(state) * i) >> 64);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

int64_t Batch::validRows() const {
  int64_t n = 0;
  for (float m : mask) n += m != 0;
  return n;
}

BatchAssembler::BatchAssembler(const TrainingSet& set, int64_t window, int64_t chunk, std::vector<double> mean,
                               std::vector<double> stddev, std::vector<double> targetScales)
    : set_(set), window_(window), chunk_(chunk) {
  const size_t f = set.featureColumns().size();
  if (mean.size() != f || stddev.size() != f)
    throw std::invalid_argument("BatchAssembler: statistics do not match the feature count");
  for (size_t c = 0; c < f; ++c) {
    const double s = stddev[c] > 0 ? stddev[c] : 1.0;
    scale_.push_back(static_cast<float>(1.0 / s));
    shift_.push_back(static_cast<float>(-mean[c] / s));
  }
  for (double s : targetScales) targetInverse_.push_back(static_cast<float>(1.0 / s));
}

int64_t BatchAssembler::rowsOf(const ChunkRef& c) const {
  const int64_t rows = set_.programs()[c.program].rows;
  return std::min(chunk_, rows - c.chunk * chunk_);
}

Batch BatchAssembler::assemble(const ChunkRef* chunks, int64_t count) const {
  Batch b;
  b.sequences = count;
  b.outputs = chunk_;
  b.steps = window_ - 1 + chunk_;
  b.features = set_.features();
  b.labelWidth = set_.labelWidth();
  const int64_t f = b.features, w = b.labelWidth, nt = static_cast<int64_t>(set_.targetNames().size());
  b.inputs.assign(count * b.steps * f, 0.0f);
  b.labels.assign(count * chunk_ * w, 0.0f);
  b.mask.assign(count * chunk_, 0.0f);
  for (int64_t s = 0; s < count; ++s) {
    const LabelledProgram& p = set_.programs()[chunks[s].program];
    const int64_t first = chunks[s].chunk * chunk_;  // row at output step 0
    const int64_t start = first - (window_ - 1);      // row at input step 0
    for (int64_t t = 0; t < b.steps; ++t) {
      const int64_t r = start + t;
      if (r < 0 || r >= p.rows) continue;  // zero padding (zeros in normalised space)
      const float* x = p.features.data() + r * f;
      float* y = b.inputs.data() + (s * b.steps + t) * f;
      for (int64_t c = 0; c < f; ++c) y[c] = x[c] * scale_[c] + shift_[c];
    }
    for (int64_t k = 0; k < chunk_; ++k) {
      const int64_t r = first + k;
      if (r >= p.rows) break;
      b.mask[s * chunk_ + k] = 1.0f;
      const float* l = p.labels.data() + r * w;
      float* y = b.labels.data() + (s * chunk_ + k) * w;
      for (int64_t i = 0; i < w; ++i) y[i] = l[i] * targetInverse_[i % nt];
    }
  }
  return b;
}

}  // namespace pv::train
