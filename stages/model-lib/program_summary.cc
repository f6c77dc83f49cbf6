// ProgramSummary: encode a whole stream in process, sum its labels.

#include "stages/model-lib/program_summary.h"

#include <algorithm>
#include <fmt/format.h>

#include "stages/core/column_picker.h"
#include "stages/core/feature_batch.h"
#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/runtime/stream.h"

namespace pv::eval {

int ProgramSummary::uarchIndex(const std::string& n) const {
  auto it = std::find(uarchNames.begin(), uarchNames.end(), n);
  return it == uarchNames.end() ? -1 : static_cast<int>(it - uarchNames.begin());
}

int ProgramSummary::targetIndex(const std::string& n) const {
  auto it = std::find(targetNames.begin(), targetNames.end(), n);
  return it == targetNames.end() ? -1 : static_cast<int>(it - targetNames.begin());
}

ProgramSummary summarize(const Model& model, const encode::InstructionEncoder& encoder, const std::string& spec,
                         const std::string& name, const SummaryOptions& options) {
  auto reader = runtime::StreamReader::open(spec);
  const StreamHeader& h = reader->header();
  if (h.payload != PayloadKind::kFeatures)
    throw StageError(spec, "header", "not a feature stream (pv-eval and pv-tune read pv-dataset files)");
  if (!h.pendingColumns.empty()) throw StageError(spec, "header", "feature columns still to be filled (pv-reuse-distance)");
  // The model's columns, picked by name (a stream may have more: the
  // locality columns for a PerfVec-style model; a log2 column is made here).
  const std::string missing = features::ColumnPicker::firstMissing(h.featureColumns, model.featureColumns);
  if (!missing.empty()) throw StageError(spec, "header", features::missingColumnError(h.featureColumns, missing));
  const features::ColumnPicker picker(h.featureColumns, model.featureColumns);
  const bool allColumns = picker.identity();
  const auto& cfg = encoder.config();
  const int64_t f = cfg.features, c = cfg.context(), hdim = cfg.hidden;
  const int64_t k = model.architecture.chunk ? model.architecture.chunk : 4096;
  ProgramSummary s;
  s.name = name;
  s.source = h.source;
  s.hidden = static_cast<int>(hdim);
  s.uarchNames = h.uarchNames;
  s.targetNames = h.targetNames;
  const size_t width = h.labelWidth();
  s.labelSums.assign(width, 0.0);
  s.interval = options.interval ? (options.interval + k - 1) / k * k : 0;

  // Every row, normalised, after C zero rows (the padding before row 0).
  std::vector<float> rows(static_cast<size_t>(c * f), 0.0f);
  const encode::FeatureNormaliser normaliser = encode::normaliserOf(model);
  FeatureBatch batch;
  uint64_t n = 0;
  while (reader->next(batch)) {
    size_t take = batch.rows();
    if (options.maxRows > 0) take = std::min<size_t>(take, static_cast<size_t>(options.maxRows) - n);
    const size_t at = rows.size();
    if (allColumns) {
      rows.insert(rows.end(), batch.values.begin(), batch.values.begin() + take * f);
    } else {
      rows.resize(at + take * f);
      for (size_t r = 0; r < take; ++r) picker.pick(batch.values.data() + r * picker.inColumns(), rows.data() + at + r * f);
    }
    normaliser.apply(rows.data() + at, static_cast<int64_t>(take));
    if (width && batch.labels.size() == batch.rows() * width) {
      for (size_t r = 0; r < take; ++r) {
        const uint64_t index = n + r;
        if (s.interval && index % s.interval == 0) {
          s.intervalLabelSums.resize(s.intervalLabelSums.size() + width, 0.0);
          s.intervalRecords.push_back(0);
        }
        const float* l = batch.labels.data() + r * width;
        double* iv = s.interval ? s.intervalLabelSums.data() + s.intervalLabelSums.size() - width : nullptr;
        for (size_t i = 0; i < width; ++i) {
          s.labelSums[i] += l[i];
          if (iv) iv[i] += l[i];
        }
        if (s.interval) ++s.intervalRecords.back();
      }
    } else if (width) {
      throw StageError(spec, fmt::format("record {}", batch.firstIndex), "labels missing or of the wrong size");
    }
    n += take;
    if (options.maxRows > 0 && n >= static_cast<uint64_t>(options.maxRows)) break;
  }
  if (n == 0) throw StageError(spec, "", "the stream holds no records");
  s.instructions = n;

  encode::EncodeOptions eo;
  eo.mode = model.architecture.chunk ? encode::EncodeMode::kChunked : encode::EncodeMode::kExact;
  eo.chunk = k;
  eo.memoryBudgetBytes = options.memoryMb << 20;
  const int64_t chunks = encode::InstructionEncoder::chunkCount(static_cast<int64_t>(n), k);
  std::vector<double> sums(static_cast<size_t>(chunks * hdim));
  // Encode in slices of whole chunks (each call takes its C context rows
  // from the buffer), so memory for activations stays bounded.
  const int64_t perCall = std::max<int64_t>(1, encoder.forwardBatch(eo)) * k;
  for (int64_t first = 0; first < static_cast<int64_t>(n); first += perCall) {
    const int64_t count = std::min<int64_t>(perCall, static_cast<int64_t>(n) - first);
    encoder.encodeSums(rows.data() + first * f, count, eo,
                       std::span<double>(sums.data() + (first / k) * hdim,
                                         static_cast<size_t>(encode::InstructionEncoder::chunkCount(count, k) * hdim)));
  }
  s.representation.assign(static_cast<size_t>(hdim), 0.0);
  if (s.interval) s.intervalRepresentation.assign(s.intervalRecords.size() * hdim, 0.0);
  for (int64_t j = 0; j < chunks; ++j)
    for (int64_t d = 0; d < hdim; ++d) {
      s.representation[d] += sums[j * hdim + d];
      if (s.interval && !s.intervalRecords.empty())
        s.intervalRepresentation[(j * k / s.interval) * hdim + d] += sums[j * hdim + d];
    }
  if (s.interval && s.intervalRecords.empty()) {  // unlabelled: intervals from the row count
    for (uint64_t i = 0; i < n; i += s.interval) s.intervalRecords.push_back(std::min(s.interval, n - i));
    s.intervalRepresentation.assign(s.intervalRecords.size() * hdim, 0.0);
    for (int64_t j = 0; j < chunks; ++j)
      for (int64_t d = 0; d < hdim; ++d) s.intervalRepresentation[(j * k / s.interval) * hdim + d] += sums[j * hdim + d];
  }
  return s;
}

}  // namespace pv::eval
