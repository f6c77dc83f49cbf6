// Small real inputs for the tests of pv-eval and pv-tune: an untrained
// model of width 4 (pv-model init's) and labelled feature streams for it,
// whose labels are whatever the test says they are.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "stages/core/feature_batch.h"
#include "stages/core/stream_header.h"
#include "stages/model-lib/untrained_model.h"
#include "stages/runtime/stream.h"

namespace pv::testing {

// LSTM, 1 layer, H = 4, W = 4, chunked with K = 4; M_u random per seed.
inline Model smallUntrainedModel(const std::vector<std::string>& uarchs, uint64_t seed = 1) {
  encode::UntrainedModelOptions o;
  o.hidden = 4;
  o.layers = 1;
  o.window = 4;
  o.chunk = 4;
  o.seed = seed;
  o.uarchs = uarchs;
  return encode::makeUntrainedModel(o);
}

// label(record, uarch index, target index) of a labelled stream.
using LabelOf = std::function<float(uint64_t, size_t, size_t)>;

// A feature stream of `records` rows with the model's columns, values
// uniform in [-2, 2] (per seed), labelled for `uarchs` x `targets`, written
// in batches of 16 rows.
inline void writeLabelledStream(const std::string& path, const Model& model, const std::vector<std::string>& uarchs,
                                const std::vector<std::string>& targets, uint64_t records, uint64_t seed,
                                const LabelOf& label) {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.source = "test";
  h.featureColumns = model.featureColumns;
  h.uarchNames = uarchs;
  h.targetNames = targets;
  auto writer = runtime::StreamWriter::open(path);
  writer->writeHeader(h);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  const size_t columns = model.featureColumns.size();
  for (uint64_t first = 0; first < records; first += 16) {
    FeatureBatch b;
    b.firstIndex = first;
    b.columns = static_cast<uint32_t>(columns);
    const uint64_t rows = std::min<uint64_t>(16, records - first);
    for (uint64_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < columns; ++c) b.values.push_back(value(rng));
      for (size_t u = 0; u < uarchs.size(); ++u)
        for (size_t t = 0; t < targets.size(); ++t) b.labels.push_back(label(first + r, u, t));
    }
    writer->write(b);
  }
  writer->writeEnd(records);
  writer->close();
}

}  // namespace pv::testing
