// Training data for pv-train: labelled feature streams (pv-dataset files,
// or any `pv-trace-tap --labels | pv-feature | pv-reuse-distance` stream)
// held in memory, the statistics that normalise them, and the deterministic
// chunk order that every worker derives from the same seed. No LibTorch.
//
// A program is one labelled stream: rows of F raw features and, per row, the
// selected targets on the selected microarchitectures (label layout
// [row][uarch][target], the subset only). Chunks are what the model trains
// on: chunk j of a program is rows [jK, min(rows, (j+1)K)) with the W-1 rows
// before it as context (zeros before row 0), exactly how pv-window and
// pv-encode cut a stream at inference. K = 1 is PerfVec's exact mode.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "stages/core/stream_header.h"

namespace pv::train {

// Which labels to keep: names of targets and microarchitectures, in the
// order the model will have them. Empty = all, in the stream's order.
struct LabelSelection {
  std::vector<std::string> targets;
  std::vector<std::string> uarchs;
};

struct LabelledProgram {
  std::string name;    // for messages and the model's training record
  std::string source;  // the stream header's source
  int64_t rows = 0;
  std::vector<float> features;  // rows x F, raw (not normalised)
  std::vector<float> labels;    // rows x uarchs x targets (the selection)
};

class TrainingSet {
 public:
  // Reads one complete labelled feature stream (file, .zst, "-", ipc://...)
  // and appends it as a program. The first stream fixes the feature columns
  // and resolves the selection; every later one must have the same feature
  // columns and contain the selected targets and microarchitectures. Throws
  // StageError naming the input (not labelled, pending columns, a name
  // missing, a truncated stream ...). `name`: "" = the file's base name.
  void addStream(const std::string& spec, const LabelSelection& selection, const std::string& name = "",
                 int64_t maxRows = 0);

  // Appends a program held in memory (tests, generated data). The first
  // program fixes the names; later ones must use the same. Throws
  // std::invalid_argument on sizes that do not match.
  void addProgram(LabelledProgram program, const std::vector<std::string>& featureColumns,
                  const std::vector<std::string>& targets, const std::vector<std::string>& uarchs);

  const std::vector<LabelledProgram>& programs() const { return programs_; }
  const std::vector<std::string>& featureColumns() const { return featureColumns_; }
  const std::vector<std::string>& targetNames() const { return targets_; }
  const std::vector<std::string>& uarchNames() const { return uarchs_; }
  int features() const { return static_cast<int>(featureColumns_.size()); }
  int64_t labelWidth() const { return static_cast<int64_t>(targets_.size() * uarchs_.size()); }
  int64_t rows() const;

  // Per-feature mean and standard deviation over every row (double sums).
  void featureStatistics(std::vector<double>& mean, std::vector<double>& stddev) const;
  // Per-target scale: the root mean square of the target over every row and
  // microarchitecture (1 where it is 0). The model learns label / scale, so
  // that all targets weigh alike in the loss before the loss weights.
  std::vector<double> targetScales() const;

 private:
  std::vector<LabelledProgram> programs_;
  std::vector<std::string> featureColumns_;
  std::vector<std::string> targets_, uarchs_;
};

struct ChunkRef {
  int32_t program = 0;
  int64_t chunk = 0;  // index: rows [chunk * K, ...)
};

// Every chunk of every program, split into training and validation
// (validation: a fixed pseudo-random fraction of the chunks, chosen by a hash
// of (seed, program, chunk), so it never changes when epochs reshuffle).
struct ChunkPlan {
  std::vector<ChunkRef> train;
  std::vector<ChunkRef> validation;
};
ChunkPlan planChunks(const TrainingSet& set, int64_t chunk, double validationFraction, uint64_t seed);

// The training chunks in the order of `epoch`: a Fisher-Yates shuffle with a
// generator seeded by (seed, epoch) (own implementation, the same on every
// platform and in every worker).
std::vector<ChunkRef> epochOrder(const std::vector<ChunkRef>& train, uint64_t seed, uint64_t epoch);

// A batch in the layout the trainer consumes.
struct Batch {
  int64_t sequences = 0;  // B
  int64_t steps = 0;      // C + K rows per sequence
  int64_t outputs = 0;    // K: the last K steps are predicted
  int64_t features = 0;   // F
  int64_t labelWidth = 0; // uarchs x targets
  std::vector<float> inputs;  // B x (C + K) x F, normalised, zeros before row 0 and after the end
  std::vector<float> labels;  // B x K x labelWidth, divided by the target scales
  std::vector<float> mask;    // B x K: 1 for a real row, 0 past a program's end
  int64_t validRows() const;
};

class BatchAssembler {
 public:
  BatchAssembler(const TrainingSet& set, int64_t window, int64_t chunk, std::vector<double> mean,
                 std::vector<double> stddev, std::vector<double> targetScales);
  Batch assemble(const ChunkRef* chunks, int64_t count) const;
  // Real rows of a chunk (K, or fewer for a program's last chunk).
  int64_t rowsOf(const ChunkRef& c) const;

 private:
  const TrainingSet& set_;
  int64_t window_, chunk_;
  std::vector<float> scale_, shift_;  // x * scale + shift = (x - mean) / std
  std::vector<float> targetInverse_;
};

}  // namespace pv::train
