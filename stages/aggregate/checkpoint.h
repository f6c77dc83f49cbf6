// Checkpoints of a reduction: pv-aggregate saves the running double-precision
// sum and its position in the program every N instructions or T seconds, so
// that a reduction whose pipeline crashed (any stage, at any time) continues
// from there instead of from the start, and ends in the same R_p bytes as
// an uninterrupted run.
//
// Resuming: the stages before pv-window run again from the first record
// (their state, e.g. reuse distances, depends on the whole history), and
// pv-window gets `--start-at S`: the window stream, the encoder and this
// aggregation restart at record S (see stages/runtime/slice.h). S is the
// first instruction of an encoder call at least W-1 instructions before the
// checkpoint's position P (pv-aggregate sees each encoder call as one
// batch), so the encoder repeats the same calls over the same rows from S
// on, and every chunk after P has its true W-1 context rows. The rows from
// S to P are re-encoded and dropped; those whose context lies after S are
// compared with the checkpoint's hash of them (`verify`), so a resumed run
// that does not reproduce the first one (another trace, model or encoder
// setting) is an error, never a silently different R_p.
//
// File (text, one item per line; doubles as C99 hex floats, exact):
//
//   perfvec-aggregate-checkpoint 2
//   source TEXT            the program's source (\\, \n, \r escaped)
//   model ID               the encoder's hash (header modelId)
//   stages NAME...         the chain that produced the representations
//   dim D / window W / chunk K / per-instruction 0|1 / interval N
//   instructions P         instructions summed so far (rows before P)
//   skip S                 restart the feature stream here (pv-window --start-at S)
//   verify V N HASH        XXH3-64 of the N rows from instruction V to P (N may be 0)
//   sum X...               D doubles
//   closed N BYTES HASH    (--interval) the closed intervals: the first N
//                          lines, BYTES bytes, of FILE.intervals, whose
//                          XXH3-64 is HASH
//   open FIRST COUNT X...  the open interval, when there is one
//   checksum HASH          XXH3-64 of every byte before this line
//
// FILE.intervals holds one line "FIRST COUNT X..." per closed interval,
// appended as each closes and flushed to the disk before each checkpoint,
// so neither the checkpoint nor the memory grows with the number of
// intervals. Resuming emits the first N again (after checking BYTES and
// HASH), cuts off what a crashed run appended after them, and appends on.
//
// Writes go to FILE.tmp-PID, are flushed to the disk and renamed over FILE:
// FILE is always one whole checkpoint. A damaged file fails its checksum.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stages/aggregate/representation_aggregator.h"
#include "stages/core/representation.h"
#include "stages/core/stream_header.h"
#include "stages/core/transform.h"

namespace pv {

struct AggregateCheckpoint {
  // What was being reduced.
  std::string source;
  std::string modelId;
  std::vector<std::string> stages;
  uint32_t dim = 0, window = 0, chunk = 0;
  bool perInstruction = false;
  uint64_t interval = 0;
  // Where.
  uint64_t instructions = 0;  // P
  uint64_t skip = 0;          // S <= P
  uint64_t verifyFirst = 0, verifyRows = 0, verifyHash = 0;
  // The state.
  std::vector<double> sum;
  uint64_t closedCount = 0, closedBytes = 0, closedHash = 0;  // FILE.intervals
  std::optional<IntervalRepresentation> open;
};

// Where a checkpoint FILE keeps its closed intervals.
std::string intervalsPath(const std::string& checkpointPath);

std::string formatCheckpoint(const AggregateCheckpoint& c);
// Throws StageError(name, "line N", ...) for anything malformed.
AggregateCheckpoint parseCheckpoint(const std::string& text, const std::string& name);

// Atomic write (temporary file, fsync, rename, fsync of the folder) and read.
void writeCheckpoint(const std::string& path, const AggregateCheckpoint& c);
AggregateCheckpoint readCheckpoint(const std::string& path);

struct CheckpointOptions {
  std::string path;                // write checkpoints here ("" for none)
  uint64_t everyInstructions = 0;  // 0: not by count
  double everySeconds = 0;         // 0: not by time
  std::string resume;              // continue from this checkpoint ("" for none)
  uint64_t interval = 0;           // pv-aggregate --interval
};

// The pv-aggregate transform with checkpoints and resumption around a
// RepresentationAggregator. Without either option it is the plain
// aggregation.
class CheckpointedAggregator : public Transform<RepresentationBatch, ProgramPart> {
 public:
  explicit CheckpointedAggregator(CheckpointOptions options);
  ~CheckpointedAggregator() override;

  // Resuming: checks that the input is the slice the checkpoint asks for
  // (same source from record S, encoder, width, W, K, chain) and its
  // closed intervals are intact, and restores the sum; the output header is
  // the uninterrupted run's.
  StreamHeader describe(const StreamHeader& in) override;
  // Emits the intervals that close (first, when resuming, those closed
  // before the checkpoint).
  void process(RepresentationBatch&& batch, const Emit<ProgramPart>& emit) override;
  // Writes a last checkpoint, then emits the open interval and R_p.
  void finish(const Emit<ProgramPart>& emit) override;

  uint64_t checkpointsWritten() const { return written_; }

 private:
  // Drops the rows before the checkpoint's position (checking the ones it
  // can against `verify`); returns the rest (empty when nothing is left).
  RepresentationBatch skipResumed(const RepresentationBatch& batch);
  // Writes a checkpoint when one is due (or `force`); `last` is the batch
  // just added (nullptr at the end), starting at program position `start`.
  void maybeCheckpoint(const RepresentationBatch* last, uint64_t start, bool force);
  // Chunks starting this far after S have all their context after S.
  uint64_t contextSpan() const;
  // Resuming: emits the checkpoint's closed intervals again (once) and
  // opens FILE.intervals for appending after them.
  void replayClosed(const Emit<ProgramPart>& emit);
  // Appends to FILE.intervals (with --checkpoint) and emits.
  void passClosed(const Emit<ProgramPart>& emit);

  CheckpointOptions options_;
  RepresentationAggregator aggregator_;
  AggregateCheckpoint identity_;  // source ... interval of this reduction
  uint64_t offset_ = 0;           // program position of the input's record 0
  // Resuming: rows before skipUntil_ are dropped, those from verifyFirst_
  // on hashed and compared with the checkpoint's.
  bool skipping_ = false;
  uint64_t skipUntil_ = 0;
  uint64_t verifyFirst_ = 0, verifyRows_ = 0, verifyHash_ = 0;
  uint64_t verifiedRows_ = 0;
  std::shared_ptr<struct RowHash> verifyState_;
  // Starts of recent input batches (program positions): encoder calls.
  std::vector<uint64_t> batchStarts_;
  uint64_t lastCheckpointAt_ = 0;
  std::chrono::steady_clock::time_point lastCheckpointTime_;
  uint64_t written_ = 0;
  // Closed intervals: the resumed checkpoint's (replayed once), and
  // FILE.intervals with what was appended to it.
  std::optional<AggregateCheckpoint> resumedFrom_;
  bool replayed_ = false;
  std::FILE* intervalsFile_ = nullptr;
  std::shared_ptr<struct RowHash> intervalsHash_;
  uint64_t closedCount_ = 0, closedBytes_ = 0;
};

// XXH3-64 of rows [first, first + count) of a batch: the float values and
// the instruction counts.
uint64_t hashRows(const RepresentationBatch& batch, size_t first, size_t count);

}  // namespace pv
