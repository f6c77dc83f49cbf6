// Gem5TraceReader: reads a PerfVec gem5 trace (trace.txt plus the optional
// trace.sq.txt, see gem5_record.h) from byte sources and fills
// InstructionBatch records.
//
// Each input is read and parsed on its own thread, which queues parsed
// records for next(): parsing overlaps with whatever the caller does with
// the batches, and live producers never block. gem5 writes the store-queue
// record of a store only when the store leaves the queue, i.e. after later
// trace.txt lines, and it blocks when a pipe is full: so when next() has
// waited for one input for a while (50 ms), the other keeps draining up to a
// large bound (queueBytes); otherwise each thread stays at most
// readAheadBytes ahead. The sources are
// also opened on those threads, so opening two named pipes never deadlocks
// whatever order the writer opens them in.
//
// Failures (of opening, reading or parsing) throw pv::StageError naming the
// input and line, in stream order: everything before the failure is
// delivered first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/runtime/byte_source.h"
#include "stages/trace-readers/gem5_record.h"

namespace pv::gem5 {

// Opens a byte source; called on the reader's input thread.
//
// Lifetime rule: an opener must own everything it uses (capture by value,
// never by reference). The thread that runs it may outlive the reader and
// the opener's creator: a thread blocked in open() or read() of a live named
// pipe cannot be interrupted, so the reader's destructor leaves it to end
// when that call returns. An opener that captured a caller's local by
// reference would then read freed memory. Prefer sourceAt() and
// openedSource(), which own their argument.
using SourceOpener = std::function<std::unique_ptr<runtime::ByteSource>()>;

// An opener handing over an already opened source.
SourceOpener openedSource(std::unique_ptr<runtime::ByteSource> source);

// An opener of `spec` (a path, "-" or a .zst file, as
// runtime::openByteSource takes it); it holds its own copy of `spec`.
SourceOpener sourceAt(std::string spec);

struct Gem5ReaderOptions {
  // Bytes asked of a source per read.
  size_t chunkBytes = size_t{1} << 20;
  // Parsed records (about as large as their text) each input thread keeps
  // ready ahead of next() in normal operation.
  size_t readAheadBytes = size_t{8} << 20;
  // Most bytes of parsed records queued per input while next() waits for the
  // other input (a store-queue record far behind, or a trace.sq.txt running
  // ahead). Large, so that a live gem5 never blocks on either pipe.
  size_t queueBytes = size_t{512} << 20;
  // false: no input threads; each input is read and parsed on the calling
  // thread, inside next(). Same records and errors, no overlap of reading
  // with the caller's work, and no thread to start: for regular files and
  // in-memory sources (the fuzz target runs most inputs this way). Not for
  // live named pipes: opening one blocks until gem5 opens the other end,
  // and gem5 may fill one pipe while next() waits on the other.
  bool inputThreads = true;
};

class Gem5TraceReader {
 public:
  // `sq` may be empty (no store-queue file): a store-queue record in the
  // trace is then an error.
  Gem5TraceReader(SourceOpener trace, SourceOpener sq,
                  Gem5ReaderOptions options = {});
  // Stops the input threads (a thread blocked in a read of a live pipe is
  // left to end on its own).
  ~Gem5TraceReader();
  Gem5TraceReader(const Gem5TraceReader&) = delete;
  Gem5TraceReader& operator=(const Gem5TraceReader&) = delete;

  // Replaces `batch` by the next up to `maxRows` (> 0) instructions, with
  // firstIndex set and labels empty. Start lines met on the way are appended
  // to `starts` when given. Returns false when the trace has ended and no
  // instruction was read; fewer than maxRows rows means the trace has ended.
  // At the end of the trace, checks that every store-queue line was used.
  bool next(InstructionBatch& batch, size_t maxRows,
            std::vector<StartMark>* starts = nullptr);

  // trace.txt line number of each row of the last batch.
  const std::vector<uint64_t>& lineNumbers() const { return lines_; }
  // Instructions read so far.
  uint64_t instructions() const { return index_; }
  // trace.txt lines consumed by next() so far (all of them once it has
  // reached the end).
  uint64_t traceLines() const { return traceLine_; }
  // Input names (known once the first line or the end was read).
  const std::string& traceName() const;
  const std::string& sqName() const;

 private:
  template <class Record>
  class RecordStream;
  struct TraceRecord;
  struct SqRecord;
  std::unique_ptr<RecordStream<TraceRecord>> trace_;
  std::unique_ptr<RecordStream<SqRecord>> sq_;  // null without a sq file
  uint64_t index_ = 0;
  uint64_t traceLine_ = 0;
  bool ended_ = false;
  std::vector<uint64_t> lines_;
};

// The store-queue file that belongs beside a trace file: for "DIR/X.txt" or
// "DIR/X.txt.zst", the first of "DIR/X.sq.txt", "DIR/X.sq.txt.zst" that
// `exists`; for other names "NAME.sq.txt" likewise. Empty when none exists
// or the trace is "-".
std::string defaultSqPath(const std::string& trace,
                          const std::function<bool(const std::string&)>& exists);

}  // namespace pv::gem5
