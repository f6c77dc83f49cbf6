// Training data: labelled streams read batch by batch, chunks, statistics,
// the shuffle buffer and batches.

#include "stages/train/training_data.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "stages/core/column_picker.h"
#include "stages/core/feature_batch.h"
#include "stages/core/feature_layout.h"
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

// The picker of `wanted` out of `have` (all of `have` when `wanted` is
// empty); a log2 name is made from its column (stages/core/column_picker.h).
features::ColumnPicker resolveFeatures(const std::vector<std::string>& have, const std::vector<std::string>& wanted,
                                       const std::string& input) {
  const std::string missing = features::ColumnPicker::firstMissing(have, wanted);
  if (!missing.empty()) throw StageError(input, "header", features::missingColumnError(have, missing));
  return features::ColumnPicker(have, wanted);
}

// A stateless, platform-independent hash of one word.
constexpr uint64_t mix(uint64_t x) { return SplitMix64::hash(x); }

}  // namespace

std::string programName(const StreamInput& input) {
  return input.name.empty() ? runtime::streamBaseName(input.spec) : input.name;
}

bool isRereadable(const std::string& spec) {
  struct stat st{};
  return spec != "-" && ::stat(spec.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// ---------------------------------------------------------------- LabelledStream

std::vector<std::string> expandFeatureGroups(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const auto& w : words) {
    std::vector<std::string> add = w == "perfvec"       ? features::columnNames()
                                   : w == "perfvec-log"  ? features::logReuseColumnNames()
                                   : w == "locality"     ? features::localityColumnNames()
                                   : w == "dependency"   ? features::dependencyColumnNames()
                                                         : std::vector<std::string>{w};
    for (auto& name : add) {
      if (std::find(out.begin(), out.end(), name) != out.end())
        throw StageError("--features", name, "the column is chosen twice");
      out.push_back(std::move(name));
    }
  }
  return out;
}

LabelledStream::LabelledStream(const StreamInput& input, const LabelSelection& selection, DataLayout& layout,
                               int64_t maxRows)
    : reader_(runtime::StreamReader::open(input.spec)),
      spec_(input.spec),
      name_(programName(input)),
      where_(reader_->name()),
      maxRows_(maxRows) {
  const StreamHeader& h = reader_->header();
  if (h.payload != PayloadKind::kFeatures)
    throw StageError(where_, "header", "not a feature stream (pv-train reads labelled feature streams)");
  if (!h.labelled())
    throw StageError(where_, "header",
                     "the stream has no labels (make it with pv-uarch or pv-trace-tap --labels before pv-feature)");
  if (!h.pendingColumns.empty())
    throw StageError(where_, "header",
                     fmt::format("{} feature columns are not filled yet (run pv-reuse-distance first)",
                                 h.pendingColumns.size()));
  featureColumns_ = h.featureColumns;
  targetNames_ = h.targetNames;
  uarchNames_ = h.uarchNames;
  if (layout.empty()) {
    // The first stream resolves the selection.
    targetIndex_ = resolve(h.targetNames, selection.targets, "target", where_);
    const auto chosen = resolve(h.uarchNames, selection.uarchs, "microarchitecture", where_);
    DataLayout l;
    const auto wanted = expandFeatureGroups(selection.features);
    picker_ = resolveFeatures(h.featureColumns, wanted, where_);
    l.featureColumns = wanted.empty() ? h.featureColumns : wanted;
    for (size_t t : targetIndex_) l.targets.push_back(h.targetNames[t]);
    for (size_t u : chosen) {
      const std::string& name = h.uarchNames[u];
      const auto& ex = selection.excludeUarchs;
      if (std::find(ex.begin(), ex.end(), name) != ex.end()) {
        l.heldOutUarchs.push_back(name);
      } else {
        uarchIndex_.push_back(u);
        l.uarchs.push_back(name);
      }
    }
    if (selection.holdoutLast > 0) {
      if (selection.holdoutLast >= static_cast<int>(l.uarchs.size()))
        throw StageError("--holdout-uarchs", std::to_string(selection.holdoutLast),
                         fmt::format("only {} microarchitectures to train on in {}", l.uarchs.size(), spec_));
      l.heldOutUarchs.insert(l.heldOutUarchs.end(), l.uarchs.end() - selection.holdoutLast, l.uarchs.end());
      l.uarchs.resize(l.uarchs.size() - selection.holdoutLast);
      uarchIndex_.resize(l.uarchs.size());
    }
    if (l.uarchs.empty()) throw StageError(where_, "header", "no microarchitecture left to train on");
    layout = std::move(l);
    return;
  }
  targetIndex_ = resolve(h.targetNames, layout.targets, "target", where_);
  uarchIndex_ = resolve(h.uarchNames, layout.uarchs, "microarchitecture", where_);
  // Later streams need the chosen columns, not the same ones.
  picker_ = resolveFeatures(h.featureColumns, layout.featureColumns, where_);
}

LabelledStream::~LabelledStream() = default;
LabelledStream::LabelledStream(LabelledStream&&) noexcept = default;

bool LabelledStream::next(std::vector<float>& features, std::vector<float>& labels, int64_t& rows) {
  features.clear();
  labels.clear();
  rows = 0;
  FeatureBatch& batch = batch_;
  while (!ended_) {
    if (maxRows_ > 0 && rows_ >= maxRows_) {
      ended_ = true;  // a prefix on purpose (--max-rows)
      break;
    }
    if (!reader_->next(batch)) {
      ended_ = true;
      if (rows_ == 0) throw StageError(where_, "", "the stream holds no records");
      break;
    }
    const size_t n = batch.rows(), columns = featureColumns_.size();
    if (batch.columns != columns)
      throw StageError(where_, fmt::format("record {}", batch.firstIndex),
                       fmt::format("batch of {} columns in a stream of {}", batch.columns, columns));
    const size_t fullWidth = targetNames_.size() * uarchNames_.size(), nt = targetNames_.size();
    if (batch.labels.size() != n * fullWidth)
      throw StageError(where_, fmt::format("record {}", batch.firstIndex), "labels missing or of the wrong size");
    size_t take = n;
    if (maxRows_ > 0) take = std::min<size_t>(n, static_cast<size_t>(maxRows_ - rows_));
    if (take == 0) continue;
    for (size_t i = 0; i < take * columns; ++i)
      if (!std::isfinite(batch.values[i]))
        throw StageError(where_, fmt::format("record {}", batch.firstIndex + i / columns),
                         fmt::format("feature {} is not a finite number", featureColumns_[i % columns]));
    if (picker_.identity()) {
      features.assign(batch.values.begin(), batch.values.begin() + take * columns);
    } else {
      const size_t f = picker_.columns();
      features.resize(take * f);
      for (size_t r = 0; r < take; ++r) picker_.pick(batch.values.data() + r * columns, features.data() + r * f);
    }
    labels.resize(take * uarchIndex_.size() * targetIndex_.size());
    float* out = labels.data();
    bool finite = true;
    for (size_t r = 0; r < take; ++r) {
      const float* row = batch.labels.data() + r * fullWidth;
      for (size_t u : uarchIndex_)
        for (size_t t : targetIndex_) {
          const float v = row[u * nt + t];
          finite &= std::isfinite(v);
          *out++ = v;
        }
    }
    if (!finite)  // find the first for the message
      for (size_t r = 0; r < take; ++r)
        for (size_t u : uarchIndex_)
          for (size_t t : targetIndex_)
            if (!std::isfinite(batch.labels[r * fullWidth + u * nt + t]))
              throw StageError(where_, fmt::format("record {}", batch.firstIndex + r),
                               fmt::format("label {} on {} is not a finite number", targetNames_[t], uarchNames_[u]));
    rows = static_cast<int64_t>(take);
    rows_ += rows;
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- ChunkCutter

ChunkCutter::ChunkCutter(int32_t program, int64_t window, int64_t chunk, int features, int64_t labelWidth)
    : program_(program), window_(window), chunk_(chunk), f_(features), w_(labelWidth) {}

void ChunkCutter::add(const float* features, const float* labels, int64_t rows, std::deque<Chunk>& out) {
  rows_ += rows;
  while (rows > 0) {
    const int64_t take = std::min(rows, chunk_ - pendingRows_);
    pendingFeatures_.insert(pendingFeatures_.end(), features, features + take * f_);
    pendingLabels_.insert(pendingLabels_.end(), labels, labels + take * w_);
    pendingRows_ += take;
    features += take * f_;
    labels += take * w_;
    rows -= take;
    if (pendingRows_ == chunk_) emit(out);
  }
}

void ChunkCutter::finish(std::deque<Chunk>& out) {
  if (pendingRows_ > 0) emit(out);
}

void ChunkCutter::emit(std::deque<Chunk>& out) {
  Chunk c;
  c.program = program_;
  c.index = next_++;
  c.rows = pendingRows_;
  c.contextRows = static_cast<int64_t>(history_.size()) / f_;
  c.features.reserve(history_.size() + pendingFeatures_.size());
  c.features = history_;
  c.features.insert(c.features.end(), pendingFeatures_.begin(), pendingFeatures_.end());
  c.labels = std::move(pendingLabels_);
  // The next chunk's context: the last W-1 rows so far.
  const int64_t keep = std::min<int64_t>(window_ - 1, c.contextRows + c.rows);
  history_.assign(c.features.end() - keep * f_, c.features.end());
  pendingFeatures_.clear();
  pendingLabels_ = {};
  pendingRows_ = 0;
  out.push_back(std::move(c));
}

// ---------------------------------------------------------------- ChunkSource

struct ChunkSource::Open {
  size_t input;
  LabelledStream stream;
  ChunkCutter cutter;
};

ChunkSource::ChunkSource(std::vector<StreamInput> inputs, LabelSelection selection, int64_t window,
                         int64_t chunk, int64_t maxRows, int openAtOnce)
    : inputs_(std::move(inputs)),
      selection_(std::move(selection)),
      window_(window),
      chunk_(chunk),
      maxRows_(maxRows),
      openAtOnce_(std::max(1, openAtOnce)) {
  if (inputs_.empty()) throw std::invalid_argument("ChunkSource: no inputs");
  if (window_ < 1 || chunk_ < 1) throw std::invalid_argument("ChunkSource: window and chunk must be >= 1");
  for (const auto& in : inputs_) names_.push_back(programName(in));
  programRows_.assign(inputs_.size(), 0);
}

ChunkSource::~ChunkSource() = default;

const DataLayout& ChunkSource::layout() {
  if (layout_.empty()) refill();
  return layout_;
}

// Opens inputs up to openAtOnce, then reads one message from the stream
// whose turn it is. False when nothing is left to read in this pass.
bool ChunkSource::refill() {
  while (static_cast<int>(open_.size()) < openAtOnce_ && nextInput_ < inputs_.size()) {
    const size_t i = nextInput_++;
    LabelledStream stream(inputs_[i], selection_, layout_, maxRows_);
    open_.push_back(std::unique_ptr<Open>(new Open{
        i, std::move(stream),
        ChunkCutter(static_cast<int32_t>(i), window_, chunk_, layout_.features(), layout_.labelWidth())}));
  }
  if (open_.empty()) return false;
  turn_ %= open_.size();
  Open& o = *open_[turn_];
  int64_t rows = 0;
  if (o.stream.next(features_, labels_, rows)) {
    o.cutter.add(features_.data(), labels_.data(), rows, ready_);
    programRows_[o.input] += rows;
    ++turn_;
  } else {
    o.cutter.finish(ready_);
    open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(turn_));  // the next one takes its turn
  }
  return true;
}

bool ChunkSource::next(Chunk& out) {
  while (ready_.empty())
    if (!refill()) return false;
  out = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

void ChunkSource::nextPass() {
  for (const auto& in : inputs_)
    if (!isRereadable(in.spec))
      throw StageError(in.spec, "",
                       "a second pass (epoch) needs inputs that can be read again: files, not a pipe, stdin or "
                       "a socket (give -e 1, or --max-steps)");
  open_.clear();
  ready_.clear();
  nextInput_ = 0;
  turn_ = 0;
  programRows_.assign(inputs_.size(), 0);
  ++pass_;
}

// ---------------------------------------------------------------- statistics

StatisticsAccumulator::StatisticsAccumulator(int features, int64_t targets, int64_t uarchs)
    : f_(features), nt_(targets), nu_(uarchs), sum_(features, 0), sumSq_(features, 0), targetSq_(targets, 0) {}

void StatisticsAccumulator::add(const float* features, const float* labels, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r)
    for (int c = 0; c < f_; ++c) {
      const double x = features[r * f_ + c];
      sum_[c] += x;
      sumSq_[c] += x * x;
    }
  const int64_t n = rows * nu_ * nt_;
  for (int64_t i = 0; i < n; ++i) targetSq_[i % nt_] += double(labels[i]) * labels[i];
  rows_ += rows;
}

void StatisticsAccumulator::add(const Chunk& chunk) {
  add(chunk.features.data() + chunk.contextRows * f_, chunk.labels.data(), chunk.rows);
}

DataStatistics StatisticsAccumulator::result() const {
  DataStatistics s;
  s.rows = rows_;
  s.mean.assign(f_, 0);
  s.stddev.assign(f_, 0);
  s.targetScales.assign(nt_, 1.0);
  if (rows_ == 0) return s;
  const double n = static_cast<double>(rows_);
  for (int c = 0; c < f_; ++c) {
    s.mean[c] = sum_[c] / n;
    s.stddev[c] = std::sqrt(std::max(0.0, sumSq_[c] / n - s.mean[c] * s.mean[c]));
  }
  for (int64_t t = 0; t < nt_; ++t)
    if (targetSq_[t] > 0) s.targetScales[t] = std::sqrt(targetSq_[t] / (n * static_cast<double>(nu_)));
  return s;
}

std::vector<double> StatisticsAccumulator::sums() const {
  std::vector<double> out(sum_);
  out.insert(out.end(), sumSq_.begin(), sumSq_.end());
  out.insert(out.end(), targetSq_.begin(), targetSq_.end());
  out.push_back(static_cast<double>(rows_));
  return out;
}

void StatisticsAccumulator::setSums(const std::vector<double>& sums) {
  if (sums.size() != 2 * static_cast<size_t>(f_) + static_cast<size_t>(nt_) + 1)
    throw std::invalid_argument("StatisticsAccumulator::setSums: wrong length");
  auto at = sums.begin();
  sum_.assign(at, at + f_);
  sumSq_.assign(at + f_, at + 2 * f_);
  targetSq_.assign(at + 2 * f_, at + 2 * f_ + nt_);
  rows_ = static_cast<int64_t>(sums.back());
}

ProgramLabelMeans::ProgramLabelMeans(size_t programs, int64_t labelWidth)
    : width_(labelWidth), sums_(programs * static_cast<size_t>(labelWidth), 0.0), rows_(programs, 0) {}

void ProgramLabelMeans::add(int32_t program, const float* labels, int64_t rows) {
  if (program < 0 || static_cast<size_t>(program) >= rows_.size())
    throw std::invalid_argument("ProgramLabelMeans: program " + std::to_string(program) + " out of range");
  double* sum = sums_.data() + static_cast<size_t>(program) * static_cast<size_t>(width_);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < width_; ++c) sum[c] += labels[r * width_ + c];
  rows_[program] += rows;
}

double ProgramLabelMeans::mean(size_t program, int64_t column) const {
  const int64_t n = rows_.at(program);
  return n > 0 ? sums_[program * static_cast<size_t>(width_) + static_cast<size_t>(column)] / double(n) : 0.0;
}

std::vector<float> relativeLossWeights(const ProgramLabelMeans& means, int64_t uarchs, int64_t targets,
                                       int64_t timeTarget, double power) {
  if (uarchs < 1 || targets < 1 || timeTarget < 0 || timeTarget >= targets || means.labelWidth() != uarchs * targets)
    throw std::invalid_argument("relativeLossWeights: the time target or the label width does not match");
  if (!(power >= 0)) throw std::invalid_argument("relativeLossWeights: a negative power");
  const size_t programs = means.programs();
  std::vector<float> weights(programs * static_cast<size_t>(uarchs), 1.0f);
  for (int64_t u = 0; u < uarchs; ++u) {
    const int64_t column = u * targets + timeTarget;
    double largest = 0;
    for (size_t p = 0; p < programs; ++p) largest = std::max(largest, means.mean(p, column));
    if (largest <= 0) continue;  // no time on this microarchitecture: nothing to be relative to
    std::vector<double> w(programs, 1.0);
    double weightedRows = 0, rows = 0;
    for (size_t p = 0; p < programs; ++p) {
      if (means.rows(p) == 0) continue;
      w[p] = std::pow(std::max(means.mean(p, column), 1e-3 * largest), -power);
      weightedRows += w[p] * double(means.rows(p));
      rows += double(means.rows(p));
    }
    const double norm = rows > 0 ? rows / weightedRows : 1.0;
    for (size_t p = 0; p < programs; ++p)
      weights[p * static_cast<size_t>(uarchs) + static_cast<size_t>(u)] =
          static_cast<float>(means.rows(p) > 0 ? w[p] * norm : 1.0);
  }
  return weights;
}

DataSurvey surveyInputs(const std::vector<StreamInput>& inputs, const LabelSelection& selection,
                        DataLayout& layout, int64_t maxRows, bool programMeans) {
  DataSurvey survey;
  std::optional<StatisticsAccumulator> stats;
  std::vector<float> features, labels;
  for (const auto& in : inputs) {
    LabelledStream stream(in, selection, layout, maxRows);
    if (!stats) stats.emplace(layout.features(), static_cast<int64_t>(layout.targets.size()),
                              static_cast<int64_t>(layout.uarchs.size()));
    if (programMeans && survey.programMeans.programs() == 0)
      survey.programMeans = ProgramLabelMeans(inputs.size(), layout.labelWidth());
    const int32_t program = static_cast<int32_t>(survey.programRows.size());
    int64_t rows = 0;
    while (stream.next(features, labels, rows)) {
      stats->add(features.data(), labels.data(), rows);
      if (programMeans) survey.programMeans.add(program, labels.data(), rows);
    }
    survey.programRows.push_back(stream.rowsRead());
  }
  if (stats) {
    survey.statistics = stats->result();
    survey.statisticSums = stats->sums();
  }
  return survey;
}

bool isValidationChunk(uint64_t seed, int32_t program, int64_t index, double fraction) {
  if (fraction <= 0) return false;
  const uint64_t threshold = static_cast<uint64_t>(std::min(fraction, 1.0) * 18446744073709551615.0);
  const uint64_t p = static_cast<uint64_t>(program);
  return mix(mix(seed ^ 0x76616c6964ull) ^ mix(p * 0x100000001b3ull + static_cast<uint64_t>(index))) < threshold;
}

int64_t trainingChunks(uint64_t seed, int32_t program, int64_t rows, int64_t chunk, double fraction) {
  const int64_t chunks = (rows + chunk - 1) / chunk;
  int64_t n = 0;
  for (int64_t j = 0; j < chunks; ++j) n += !isValidationChunk(seed, program, j, fraction);
  return n;
}

// ---------------------------------------------------------------- BatchStream

BatchStream::BatchStream(ChunkSource& source, const BatchStreamOptions& options)
    : source_(source), o_(options), random_(mix(options.seed ^ 0x73687566666c65ull)) {
  if (o_.batch < 1) throw std::invalid_argument("BatchStream: batch must be >= 1");
  o_.shuffleChunks = std::max<size_t>(1, o_.shuffleChunks);
  buffer_.reserve(o_.shuffleChunks);
}

void BatchStream::fill() {
  Chunk c;
  while (buffer_.size() < o_.shuffleChunks && !ended_) {
    if (!source_.next(c)) {
      if (!chunksPerPass_) chunksPerPass_ = readThisPass_;
      readThisPass_ = 0;
      if (o_.passes <= 0 || source_.pass() + 1 >= o_.passes) {
        ended_ = true;
        break;
      }
      source_.nextPass();
      continue;
    }
    if (isValidationChunk(o_.seed, c.program, c.index, o_.validationFraction)) {
      // Held out in every pass; the first ones of the first pass are scored.
      if (source_.pass() == 0 && validation_.size() < o_.validationChunks) validation_.push_back(std::move(c));
      continue;
    }
    ++readThisPass_;
    buffer_.push_back(std::move(c));
  }
}

void BatchStream::addValidation(std::vector<Chunk> chunks) {
  for (auto& c : chunks) validation_.push_back(std::move(c));
}

bool BatchStream::next(std::vector<Chunk>& batch) {
  batch.clear();
  while (static_cast<int64_t>(batch.size()) < o_.batch) {
    fill();
    if (buffer_.empty()) break;
    const size_t j = static_cast<size_t>(random_.below(buffer_.size()));
    std::swap(buffer_[j], buffer_.back());
    rowsDrawn_ += static_cast<uint64_t>(buffer_.back().rows);
    batch.push_back(std::move(buffer_.back()));
    buffer_.pop_back();
    ++drawn_;
  }
  return !batch.empty();
}

// ---------------------------------------------------------------- batches

int64_t Batch::validRows() const {
  int64_t n = 0;
  for (float m : mask) n += m != 0;
  return n;
}

BatchAssembler::BatchAssembler(int64_t window, int64_t chunk, int features, int64_t targets, int64_t uarchs,
                               const DataStatistics& statistics)
    : window_(window), chunk_(chunk), f_(features), nt_(targets), w_(targets * uarchs) {
  if (statistics.mean.size() != static_cast<size_t>(features) ||
      statistics.stddev.size() != static_cast<size_t>(features) ||
      statistics.targetScales.size() != static_cast<size_t>(targets))
    throw std::invalid_argument("BatchAssembler: statistics do not match the data");
  for (int c = 0; c < f_; ++c) {
    const double s = statistics.stddev[c] > 0 ? statistics.stddev[c] : 1.0;
    scale_.push_back(static_cast<float>(1.0 / s));
    shift_.push_back(static_cast<float>(-statistics.mean[c] / s));
  }
  for (double s : statistics.targetScales) targetInverse_.push_back(static_cast<float>(1.0 / s));
}

void BatchAssembler::setProgramWeights(std::vector<float> weights) {
  const int64_t uarchs = w_ / nt_;
  if (weights.size() % static_cast<size_t>(uarchs) != 0)
    throw std::invalid_argument("BatchAssembler: program weights are not programs x uarchs");
  programWeights_ = std::move(weights);
}

Batch BatchAssembler::assemble(const Chunk* chunks, int64_t count, bool weighted) const {
  Batch b;
  b.sequences = count;
  b.outputs = chunk_;
  b.steps = window_ - 1 + chunk_;
  b.features = f_;
  b.labelWidth = w_;
  b.inputs.assign(count * b.steps * f_, 0.0f);
  b.labels.assign(count * chunk_ * w_, 0.0f);
  b.mask.assign(count * chunk_, 0.0f);
  for (int64_t s = 0; s < count; ++s) {
    const Chunk& c = chunks[s];
    if (c.rows > chunk_ || c.contextRows > window_ - 1 ||
        c.features.size() != static_cast<size_t>((c.contextRows + c.rows) * f_) ||
        c.labels.size() != static_cast<size_t>(c.rows * w_))
      throw std::invalid_argument("BatchAssembler: a chunk of another shape");
    // Rows before the program's first and after its last stay zero (in
    // normalised space).
    const int64_t firstStep = window_ - 1 - c.contextRows;
    for (int64_t r = 0; r < c.contextRows + c.rows; ++r) {
      const float* x = c.features.data() + r * f_;
      float* y = b.inputs.data() + (s * b.steps + firstStep + r) * f_;
      for (int64_t k = 0; k < f_; ++k) y[k] = x[k] * scale_[k] + shift_[k];
    }
    for (int64_t k = 0; k < c.rows; ++k) {
      b.mask[s * chunk_ + k] = 1.0f;
      const float* l = c.labels.data() + k * w_;
      float* y = b.labels.data() + (s * chunk_ + k) * w_;
      for (int64_t i = 0; i < w_; ++i) y[i] = l[i] * targetInverse_[i % nt_];
    }
  }
  if (weighted && !programWeights_.empty()) {
    const int64_t uarchs = w_ / nt_;
    const size_t programs = programWeights_.size() / static_cast<size_t>(uarchs);
    b.weights.resize(static_cast<size_t>(count * uarchs));
    for (int64_t s = 0; s < count; ++s) {
      const int32_t p = chunks[s].program;
      if (p < 0 || static_cast<size_t>(p) >= programs)
        throw std::invalid_argument("BatchAssembler: a chunk of program " + std::to_string(p) +
                                    " without program weights");
      std::copy_n(programWeights_.begin() + static_cast<ptrdiff_t>(p * uarchs), uarchs,
                  b.weights.begin() + static_cast<ptrdiff_t>(s * uarchs));
    }
  }
  return b;
}

}  // namespace pv::train
