// Labelled feature streams for pv-train's tests, written as real stream
// files through the runtime (so the tests read them as pv-train does).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "stages/core/feature_batch.h"
#include "stages/core/stream_header.h"
#include "stages/runtime/stream.h"

namespace pv::train::testing {

// A program: rows of features and labels ([row][uarch][target]).
struct ToyProgram {
  std::vector<std::string> featureColumns, targets, uarchs;
  int64_t rows = 0;
  std::vector<float> features, labels;
};

// Writes `p` as a labelled feature stream, in messages of `perMessage` rows.
inline void writeToyStream(const std::string& path, const ToyProgram& p, int64_t perMessage = 100) {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.source = "toy";
  h.featureColumns = p.featureColumns;
  h.targetNames = p.targets;
  h.uarchNames = p.uarchs;
  auto w = runtime::StreamWriter::open(path);
  w->writeHeader(h);
  const size_t f = p.featureColumns.size(), lw = p.targets.size() * p.uarchs.size();
  for (int64_t first = 0; first < p.rows; first += perMessage) {
    const int64_t n = std::min(perMessage, p.rows - first);
    FeatureBatch b;
    b.firstIndex = static_cast<uint64_t>(first);
    b.columns = static_cast<uint32_t>(f);
    b.values.assign(p.features.begin() + first * f, p.features.begin() + (first + n) * f);
    b.labels.assign(p.labels.begin() + first * lw, p.labels.begin() + (first + n) * lw);
    w->write(b);
  }
  w->writeEnd(static_cast<uint64_t>(p.rows));
  w->close();
}

// Features (row index + offset, 1); labels commit = 2 row, l1 = row % 3 on
// one microarchitecture "u0".
inline ToyProgram ramp(int64_t rows, float offset = 0) {
  ToyProgram p;
  p.featureColumns = {"x", "one"};
  p.targets = {"commit", "l1"};
  p.uarchs = {"u0"};
  p.rows = rows;
  for (int64_t r = 0; r < rows; ++r) {
    p.features.push_back(static_cast<float>(r) + offset);
    p.features.push_back(1.0f);
    p.labels.push_back(static_cast<float>(2 * r));
    p.labels.push_back(static_cast<float>(r % 3));
  }
  return p;
}

// A learnable problem: latency 5 (u+1) when the instruction (feature 0) is
// a "load", else 1; the second target is 1 right after a load (it needs
// one instruction of history).
inline ToyProgram loads(int64_t rows, int uarchs, uint64_t seed) {
  ToyProgram p;
  p.featureColumns = {"load", "noise"};
  p.targets = {"commit", "after_load"};
  for (int u = 0; u < uarchs; ++u) p.uarchs.push_back("u" + std::to_string(u));
  p.rows = rows;
  uint64_t s = seed;
  float previous = 0;
  for (int64_t r = 0; r < rows; ++r) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const float load = ((s >> 33) % 4 == 0) ? 1.0f : 0.0f;
    p.features.push_back(load);
    p.features.push_back(static_cast<float>((s >> 40) % 7));
    for (int u = 0; u < uarchs; ++u) {
      p.labels.push_back(load ? 5.0f * (u + 1) : 1.0f);
      p.labels.push_back(previous);
    }
    previous = load;
  }
  return p;
}

}  // namespace pv::train::testing
