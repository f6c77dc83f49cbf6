// Training data for pv-train, streamed: labelled feature streams (pv-dataset
// files, or any `pv-trace-tap --labels | pv-feature | pv-reuse-distance`
// stream, from files, pipes, stdin or ZeroMQ) are read batch by batch, cut
// into chunks, and drawn at random from a bounded shuffle buffer. Nothing
// holds a whole stream: memory is the shuffle buffer, the validation chunks
// and one message per open stream. No LibTorch.
//
// A program is one labelled stream. A chunk of a program is K rows with the
// W-1 rows before them as context (zeros before the program's first row),
// exactly how pv-window and pv-encode cut a stream at inference; K = 1 is
// PerfVec's exact mode. A chunk's labels are the selected targets on the
// selected microarchitectures ([row][uarch][target], the subset only).
//
// Everything is deterministic for a seed and the inputs' contents: the
// streams are interleaved in a fixed order (one message from each open
// stream in turn), the validation chunks are chosen by a hash of (seed,
// program, chunk), and the buffer draws with its own generator. A run that
// reads the same files again draws the same batches (resuming replays the
// draws up to the checkpoint's step).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stages/core/column_picker.h"
#include "stages/core/feature_batch.h"
#include "stages/core/splitmix64.h"
#include "stages/core/stream_header.h"

namespace pv::runtime {
class StreamReader;
}

namespace pv::train {

// Which labels to keep: names of targets and microarchitectures, in the
// order the model will have them. Empty = all, in the stream's order. The
// first stream opened resolves it (pv-train reads a live stream once, so
// its header is the only place the names are).
struct LabelSelection {
  std::vector<std::string> targets;
  std::vector<std::string> uarchs;
  std::vector<std::string> excludeUarchs;  // held out by name
  int holdoutLast = 0;                     // and the last N of the rest
  // Feature columns to train on, in this order (empty: every column of the
  // streams): names ("log2(NAME)": log2(1 + x) of column NAME), or the
  // groups "perfvec" (the 51), "perfvec-log" (the 51 with the four reuse
  // columns as log2(1 + x)), "locality" (the 4
  // of pv-reuse-distance --locality) and "dependency" (the 4 of
  // pv-dependency); see expandFeatureGroups.
  std::vector<std::string> features;
};

// Column names for a --features list: "perfvec", "perfvec-log", "locality" and
// "dependency" expand to their columns, other words are column names.
// StageError naming the option on a name given twice.
std::vector<std::string> expandFeatureGroups(const std::vector<std::string>& words);

// One input: a stream endpoint (file, .zst, "-", a named pipe, ipc://...)
// and the program name ("" = the file's base name).
struct StreamInput {
  std::string spec;
  std::string name;
};
// Its name, or the stream's base name ("x" for "dir/x.pvs.zst").
std::string programName(const StreamInput& input);

// True when `spec` can be read again from its start: a regular file (not
// stdin, a pipe or a socket). Several epochs and resuming need it.
bool isRereadable(const std::string& spec);

// The names every stream of a run shares, fixed by the first one opened.
struct DataLayout {
  std::vector<std::string> featureColumns;
  std::vector<std::string> targets, uarchs;
  std::vector<std::string> heldOutUarchs;  // selected out (recorded in the model as unseen)
  int features() const { return static_cast<int>(featureColumns.size()); }
  int64_t labelWidth() const { return static_cast<int64_t>(targets.size() * uarchs.size()); }
  bool empty() const { return featureColumns.empty(); }
};

// One labelled feature stream, read message by message with the labels cut
// down to the selection. Checks the header (a labelled feature stream with
// no pending columns, the selected names present, the same feature columns
// and names as `layout` when it is set; when it is empty, it is set from
// this stream) and every value (finite). Throws StageError naming the input
// and the record.
class LabelledStream {
 public:
  LabelledStream(const StreamInput& input, const LabelSelection& selection, DataLayout& layout,
                 int64_t maxRows = 0);
  ~LabelledStream();
  LabelledStream(LabelledStream&&) noexcept;
  // The next rows: features (rows x F, raw) and labels (rows x uarchs x
  // targets). False at the end (or after `maxRows` rows: a prefix on purpose).
  bool next(std::vector<float>& features, std::vector<float>& labels, int64_t& rows);
  const std::string& name() const { return name_; }
  const std::string& spec() const { return spec_; }
  int64_t rowsRead() const { return rows_; }

 private:
  std::unique_ptr<runtime::StreamReader> reader_;
  FeatureBatch batch_;  // reused: its buffers keep their pages from message to message
  std::string spec_, name_, where_;  // where_: the input as messages name it ("<stdin>")
  std::vector<std::string> featureColumns_, targetNames_, uarchNames_;
  features::ColumnPicker picker_;  // the layout's columns out of this stream's
  std::vector<size_t> targetIndex_, uarchIndex_;
  int64_t maxRows_ = 0, rows_ = 0;
  bool ended_ = false;
};

// A chunk, with its own copy of its rows.
struct Chunk {
  int32_t program = 0;      // index of its input
  int64_t index = 0;        // chunk j: rows [jK, jK + rows)
  int64_t rows = 0;         // real rows: K, fewer in a program's last chunk
  int64_t contextRows = 0;  // real rows before them (W-1, fewer at the start)
  std::vector<float> features;  // (contextRows + rows) x F, raw
  std::vector<float> labels;    // rows x labelWidth
  size_t bytes() const { return (features.size() + labels.size()) * sizeof(float); }
};

// Cuts one program's rows into chunks as they arrive.
class ChunkCutter {
 public:
  ChunkCutter(int32_t program, int64_t window, int64_t chunk, int features, int64_t labelWidth);
  // Appends rows; every completed chunk goes to `out`.
  void add(const float* features, const float* labels, int64_t rows, std::deque<Chunk>& out);
  // The program ended: its last, shorter chunk (if any) goes to `out`.
  void finish(std::deque<Chunk>& out);
  int64_t rows() const { return rows_; }

 private:
  void emit(std::deque<Chunk>& out);
  int32_t program_;
  int64_t window_, chunk_, f_, w_;
  std::vector<float> history_;  // up to W-1 rows before the pending ones
  std::vector<float> pendingFeatures_, pendingLabels_;
  int64_t pendingRows_ = 0, next_ = 0, rows_ = 0;
};

// Every input's chunks, interleaved: at most `openAtOnce` streams are open;
// each in turn gives one message's rows. A pass reads every input once; the
// next pass opens them again (they must be re-readable).
class ChunkSource {
 public:
  ChunkSource(std::vector<StreamInput> inputs, LabelSelection selection, int64_t window, int64_t chunk,
              int64_t maxRows = 0, int openAtOnce = 8);
  ~ChunkSource();
  // The next chunk of this pass; false when the pass has ended.
  bool next(Chunk& out);
  // Starts the next pass (throws StageError when an input cannot be read again).
  void nextPass();
  int64_t pass() const { return pass_; }
  // Rows per program read so far in this pass.
  const std::vector<int64_t>& programRows() const { return programRows_; }
  // The layout; opens the first input when no stream was opened yet.
  const DataLayout& layout();
  const std::vector<StreamInput>& inputs() const { return inputs_; }
  const std::vector<std::string>& programNames() const { return names_; }

 private:
  struct Open;
  bool refill();
  std::vector<StreamInput> inputs_;
  LabelSelection selection_;
  int64_t window_, chunk_, maxRows_;
  int openAtOnce_;
  DataLayout layout_;
  std::vector<std::string> names_;
  std::vector<int64_t> programRows_;
  std::vector<std::unique_ptr<Open>> open_;
  size_t nextInput_ = 0, turn_ = 0;
  int64_t pass_ = 0;
  std::deque<Chunk> ready_;
  std::vector<float> features_, labels_;  // one message's rows, reused
};

// Normalisation statistics: per-feature mean and standard deviation, and
// per-target scale (the root mean square of the target over every row and
// microarchitecture, 1 where it is 0: the model learns label / scale, so
// that all targets weigh alike in the loss before the loss weights).
struct DataStatistics {
  std::vector<double> mean, stddev, targetScales;
  int64_t rows = 0;
};

// Accumulates DataStatistics over rows (double sums).
class StatisticsAccumulator {
 public:
  StatisticsAccumulator(int features, int64_t targets, int64_t uarchs);
  void add(const float* features, const float* labels, int64_t rows);
  // A chunk's own rows (not its context).
  void add(const Chunk& chunk);
  DataStatistics result() const;
  // The raw sums (what ranks that read different streams add up) and the
  // accumulator with sums added from elsewhere.
  std::vector<double> sums() const;
  void setSums(const std::vector<double>& sums);  // throws std::invalid_argument on a wrong length

 private:
  int f_;
  int64_t nt_, nu_;
  std::vector<double> sum_, sumSq_, targetSq_;
  int64_t rows_ = 0;
};

// Each program's mean label on every column (uarch x target), in label
// units: what a loss that weighs programs by their relative error needs.
class ProgramLabelMeans {
 public:
  ProgramLabelMeans() = default;
  ProgramLabelMeans(size_t programs, int64_t labelWidth);
  // Rows x labelWidth labels of `program` (throws std::invalid_argument when
  // it is out of range).
  void add(int32_t program, const float* labels, int64_t rows);
  void add(const Chunk& chunk) { add(chunk.program, chunk.labels.data(), chunk.rows); }
  size_t programs() const { return rows_.size(); }
  int64_t labelWidth() const { return width_; }
  int64_t rows(size_t program) const { return rows_[program]; }
  // Mean of column `column` over the program's rows (0 with no rows).
  double mean(size_t program, int64_t column) const;

 private:
  int64_t width_ = 0;
  std::vector<double> sums_;
  std::vector<int64_t> rows_;
};

// Loss weights that make every (program, microarchitecture) pair weigh by
// its relative error rather than its time (docs: stages/train/README.md,
// --relative-loss): program p on microarchitecture u gets
// (mean time label of p on u)^-power, the mean first raised to at least
// 1/1000 of the largest program's on u (a bound, as pv-tune --relative's),
// then scaled so that the weights' mean over all rows on u is 1 (the loss
// keeps its size, and so does the learning rate's effect). A program without
// rows gets 1. `timeTarget` is the index of the time target (commit) among
// the targets. Result: programs x uarchs. Throws std::invalid_argument on a
// bad index or a negative power.
std::vector<float> relativeLossWeights(const ProgramLabelMeans& means, int64_t uarchs, int64_t targets,
                                       int64_t timeTarget, double power);

// One pass over re-readable inputs for their exact statistics and sizes
// (rows per program), one stream at a time, in bounded memory, and with
// `programMeans` each program's mean labels (--relative-loss's weights). Sets
// `layout` from the first input when it is empty.
struct DataSurvey {
  DataStatistics statistics;
  std::vector<double> statisticSums;  // StatisticsAccumulator::sums()
  std::vector<int64_t> programRows;
  ProgramLabelMeans programMeans;     // every program's mean labels (when asked for)
};
DataSurvey surveyInputs(const std::vector<StreamInput>& inputs, const LabelSelection& selection,
                        DataLayout& layout, int64_t maxRows = 0, bool programMeans = false);

// True when chunk `index` of `program` is held out for validation: a fixed
// pseudo-random `fraction` of the chunks, by a hash of (seed, program,
// chunk), so it is the same in every pass.
bool isValidationChunk(uint64_t seed, int32_t program, int64_t index, double fraction);
// Training chunks of a program of `rows` rows (those not held out).
int64_t trainingChunks(uint64_t seed, int32_t program, int64_t rows, int64_t chunk, double fraction);

struct BatchStreamOptions {
  int64_t batch = 64;              // chunks per global step
  size_t shuffleChunks = 512;      // the shuffle buffer's capacity
  double validationFraction = 0.05;
  size_t validationChunks = 256;   // at most this many are kept (the first ones read)
  uint64_t seed = 1;
  int64_t passes = 1;              // passes over the inputs (epochs); 0: until the source ends once
};

// The global batches of a run: chunks from the source go to the validation
// set (see isValidationChunk) or the shuffle buffer; every batch is drawn
// from the buffer once it is full (or the last pass has ended). Between
// passes the buffer keeps its chunks, so batches span epochs.
class BatchStream {
 public:
  BatchStream(ChunkSource& source, const BatchStreamOptions& options);
  // Fills the buffer (the first fill: live-stream statistics come from it).
  void fill();
  // The next global batch (up to `batch` chunks); false when no chunk is left.
  bool next(std::vector<Chunk>& batch);
  const std::vector<Chunk>& validation() const { return validation_; }
  // Validation chunks from elsewhere (a validation split of programs), kept
  // besides those held out of the training streams.
  void addValidation(std::vector<Chunk> chunks);
  const std::vector<Chunk>& buffered() const { return buffer_; }
  // The pass the source is reading (0-based); epochs completed: passes whose
  // chunks were all drawn.
  int64_t pass() const { return source_.pass(); }
  uint64_t chunksDrawn() const { return drawn_; }
  uint64_t rowsDrawn() const { return rowsDrawn_; }
  // Set once a pass has ended: the training chunks of one pass.
  std::optional<uint64_t> chunksPerPass() const { return chunksPerPass_; }
  bool sourceEnded() const { return ended_; }

 private:
  ChunkSource& source_;
  BatchStreamOptions o_;
  std::vector<Chunk> buffer_, validation_;
  SplitMix64 random_;
  uint64_t drawn_ = 0, rowsDrawn_ = 0, readThisPass_ = 0;
  std::optional<uint64_t> chunksPerPass_;
  bool ended_ = false;
};

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
  // B x uarchs: the loss weight of each sequence's program on each
  // microarchitecture (relativeLossWeights); empty: every weight is 1.
  std::vector<float> weights;
  int64_t validRows() const;
};

// Chunks -> a normalised Batch.
class BatchAssembler {
 public:
  BatchAssembler(int64_t window, int64_t chunk, int features, int64_t targets, int64_t uarchs,
                 const DataStatistics& statistics);
  // With program weights set and `weighted`, the batch carries each chunk's
  // program's weights (validation batches are scored without them, so that
  // validation losses compare across runs).
  Batch assemble(const Chunk* chunks, int64_t count, bool weighted = true) const;
  // programs x uarchs (relativeLossWeights); empty: none. Throws
  // std::invalid_argument when the size is not a multiple of the uarchs.
  void setProgramWeights(std::vector<float> weights);

 private:
  int64_t window_, chunk_, f_, nt_, w_;
  std::vector<float> programWeights_;
  std::vector<float> scale_, shift_;  // x * scale + shift = (x - mean) / std
  std::vector<float> targetInverse_;
};

}  // namespace pv::train
