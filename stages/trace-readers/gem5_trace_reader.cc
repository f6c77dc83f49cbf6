// Gem5TraceReader: per input, one thread reads (and decompresses) chunks and
// one splits and parses them into blocks of records; next() pairs store-queue trace lines with their
// trace.sq.txt records and fills batches.
#include "stages/trace-readers/gem5_trace_reader.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "stages/core/stage_error.h"

namespace pv::gem5 {

// One parsed trace.txt line.
struct Gem5TraceReader::TraceRecord {
  Instruction inst;  // fields 1-9 only for kStoreQueue; unused for kStart
  uint64_t line = 0;
  LineKind kind = LineKind::kInstruction;
  uint64_t startTick = 0;

  void parse(std::string_view text, LineRef where) {
    line = where.line;
    TraceLine t = Gem5LineParser::parseTraceLine(text, where, inst);
    kind = t.kind;
    startTick = t.startTick;
  }
};

// One parsed trace.sq.txt line (a complete store-queue instruction).
struct Gem5TraceReader::SqRecord {
  Instruction inst;
  uint64_t line = 0;

  void parse(std::string_view text, LineRef where) {
    line = where.line;
    Gem5LineParser::parseSqRecord(text, where, inst);
  }
};

namespace {

// Records per queued block.
constexpr size_t kBlockRecords = 2048;
// Drained blocks kept for reuse (allocating fresh ones costs page faults).
constexpr size_t kMaxSpareBlocks = 64;
// How long next() waits for one input before letting the other queue up to
// Gem5ReaderOptions::queueBytes.
constexpr std::chrono::milliseconds kPatience(50);

// How long a stopped read thread may stay inside open() or read() before
// it is detached (see awaitEnd): a reader of files leaves no thread behind
// (nor objects a leak checker would see); only a thread blocked on a live
// pipe, which nothing can interrupt, is left to end when its call returns.
constexpr std::chrono::milliseconds kThreadGrace{200};

// State shared between an input thread and the reader, held by shared_ptr
// so that a thread left blocked in a read never touches freed memory.
struct ByteChannel;

struct ChannelBase {
  std::mutex mutex;
  std::condition_variable changed;
  size_t records = 0;   // queued records
  size_t limit = 0;     // current bound of `records`
  size_t readAhead = 0;
  size_t hard = 0;
  size_t waiters = 0;   // next() calls waiting on the partner input
  bool done = false;    // the thread has ended (end of input or error)
  bool stop = false;    // the reader is gone
  std::exception_ptr error;
  std::string name;
  uint64_t lines = 0;   // lines parsed (complete when done)
  std::shared_ptr<ByteChannel> bytes;  // the parse thread's read thread

  // While next() waits for the partner input, this one may queue up to the
  // hard bound, so that a live writer of both never blocks.
  void openLimit() {
    std::lock_guard lock(mutex);
    ++waiters;
    limit = hard;
    changed.notify_all();
  }
  void closeLimit() {
    std::lock_guard lock(mutex);
    if (--waiters == 0) limit = readAhead;
  }
};

template <class Record>
struct Channel : ChannelBase {
  std::deque<std::vector<Record>> blocks;
  std::vector<std::vector<Record>> spare;  // drained blocks, for reuse
};

[[noreturn, gnu::cold, gnu::noinline]] void failTruncated(const std::string& name,
                                                         uint64_t line) {
  throw StageError(name, "line " + std::to_string(line),
                   "truncated last line (no final newline)");
}

// Raw chunks between the thread that opens and reads a source (and
// decompresses it) and the thread that parses it.
struct ByteChannel {
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Chunk> chunks;
  std::vector<Chunk> spare;
  bool done = false;
  bool stop = false;
  bool blocking = false;  // the read thread is inside open() or read()
  std::exception_ptr error;
  std::string name;
  bool named = false;
  size_t chunkBytes = 0;
  // Chunks read ahead of the parser; the parsed-record queue holds the
  // large buffer.
  static constexpr size_t kMaxChunks = 4;
};

// Thrown inside readLoop when it is stopped before it opened its source.
struct Stopped {};

// Waits for an input thread's end (`done`), and says whether it ended. A
// thread that is not inside open() or read() ends at once and is waited
// for however long the machine takes to run it; one that stays inside
// open() or read() for kThreadGrace (a live pipe, which nothing can
// interrupt) is left to end when that call returns.
bool awaitEnd(std::unique_lock<std::mutex>& lock, std::condition_variable& changed,
              const bool& done, const bool& blocking) {
  for (;;) {
    if (changed.wait_for(lock, kThreadGrace, [&] { return done; })) return true;
    if (blocking) return false;
  }
}

// Body of a read thread.
void readLoop(const std::shared_ptr<ByteChannel>& ch, const SourceOpener& open) {
  try {
    {
      std::lock_guard lock(ch->mutex);
      if (ch->stop) throw Stopped{};
      ch->blocking = true;
    }
    std::unique_ptr<runtime::ByteSource> source = open();
    {
      std::lock_guard lock(ch->mutex);
      ch->blocking = false;
      ch->name = source->name();
      ch->named = true;
      ch->changed.notify_all();
    }
    for (;;) {
      ByteChannel::Chunk chunk;
      {
        std::unique_lock lock(ch->mutex);
        ch->changed.wait(lock, [&] {
          return ch->stop || ch->chunks.size() < ByteChannel::kMaxChunks;
        });
        if (ch->stop) break;
        if (!ch->spare.empty()) {
          chunk = std::move(ch->spare.back());
          ch->spare.pop_back();
        }
        ch->blocking = true;
      }
      if (!chunk.data) chunk.data.reset(new char[ch->chunkBytes]);
      chunk.size = source->read(chunk.data.get(), ch->chunkBytes);
      std::lock_guard lock(ch->mutex);
      ch->blocking = false;
      if (chunk.size == 0) break;
      ch->chunks.push_back(std::move(chunk));
      ch->changed.notify_all();
    }
  } catch (const Stopped&) {
  } catch (...) {
    std::lock_guard lock(ch->mutex);
    ch->blocking = false;
    ch->error = std::current_exception();
  }
  std::lock_guard lock(ch->mutex);
  ch->done = true;
  ch->changed.notify_all();
}

// Splits text into lines and parses them into records, carrying a line
// that spans chunks; the same code for input threads and for inputs read on
// the calling thread.
template <class Record>
class LineSplitter {
 public:
  // Parses the complete lines of [p, end) into `block` until it holds
  // `maxRecords`; returns where it stopped (`end` once every line there is
  // parsed; a partial last line is kept for the next chunk). A line that
  // fails to parse throws, leaving `block` with the records before it.
  const char* parse(const char* p, const char* end, std::vector<Record>& block,
                    size_t maxRecords) {
    while (p < end && block.size() < maxRecords) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (nl == nullptr) {
        carry_.append(p, end);
        return end;
      }
      std::string_view text(p, nl - p);
      if (!carry_.empty()) {
        carry_.append(p, nl);
        text = carry_;
      }
      block.emplace_back();
      try {
        block.back().parse(text, LineRef{name, ++line_});
      } catch (...) {
        block.pop_back();
        throw;
      }
      carry_.clear();
      p = nl + 1;
    }
    return p;
  }
  // At the end of the input: a partial line left over is an error.
  void finish() const {
    if (!carry_.empty()) failTruncated(name, line_ + 1);
  }
  uint64_t lines() const { return line_; }

  std::string name;

 private:
  std::string carry_;
  uint64_t line_ = 0;
};

// Body of a parse thread: starts the read thread, splits its chunks into
// lines, parses them and queues blocks of records.
template <class Record>
void pump(const std::shared_ptr<Channel<Record>>& ch, SourceOpener open,
          size_t chunkBytes) {
  auto bytes = std::make_shared<ByteChannel>();
  bytes->chunkBytes = chunkBytes;
  {
    // The reader's destructor stops the read thread through it too, so
    // that this thread never waits on a read thread that was stopped.
    std::lock_guard lock(ch->mutex);
    ch->bytes = bytes;
    if (ch->stop) bytes->stop = true;
  }
  std::thread reader([bytes, open = std::move(open)] { readLoop(bytes, open); });
  std::vector<Record> block;
  // Queues `block`; false when the reader is gone.
  auto flush = [&]() -> bool {
    if (block.empty()) return true;
    std::unique_lock lock(ch->mutex);
    ch->changed.wait(lock, [&] {
      return ch->stop || ch->blocks.empty() ||
             ch->records + block.size() <= ch->limit;
    });
    if (ch->stop) return false;
    ch->records += block.size();
    ch->blocks.push_back(std::move(block));
    ch->changed.notify_all();
    if (!ch->spare.empty()) {
      block = std::move(ch->spare.back());
      ch->spare.pop_back();
    } else {
      block = {};  // grows as it fills (a short input never pays for a full block)
    }
    return true;
  };
  bool stopped = false;  // by the reader's destructor
  ByteChannel::Chunk chunk;
  // The next chunk (recycling the last one); false at the end or when
  // stopped.
  auto nextChunk = [&]() -> bool {
    std::unique_lock lock(bytes->mutex);
    if (chunk.data) bytes->spare.push_back(std::move(chunk));
    chunk = {};
    bytes->changed.wait(lock, [&] { return !bytes->chunks.empty() || bytes->done || bytes->stop; });
    if (bytes->stop) {
      stopped = true;
      return false;
    }
    if (bytes->chunks.empty()) {
      if (bytes->error) std::rethrow_exception(bytes->error);
      return false;
    }
    chunk = std::move(bytes->chunks.front());
    bytes->chunks.pop_front();
    bytes->changed.notify_all();
    return true;
  };
  LineSplitter<Record> lines;
  try {
    {
      std::unique_lock lock(bytes->mutex);
      bytes->changed.wait(lock, [&] { return bytes->named || bytes->done || bytes->stop; });
      lines.name = bytes->name;
    }
    if (!lines.name.empty()) {
      std::lock_guard lock(ch->mutex);
      ch->name = lines.name;
    }
    while (!stopped && nextChunk()) {
      const char* p = chunk.data.get();
      const char* const end = p + chunk.size;
      while (p < end) {
        p = lines.parse(p, end, block, kBlockRecords);
        if (block.size() == kBlockRecords && !flush()) {
          stopped = true;
          break;
        }
      }
      // Hand over what this chunk gave at once (a live pipe may pause here).
      if (!stopped && !flush()) stopped = true;
    }
    if (!stopped) lines.finish();
  } catch (...) {
    // Everything parsed before the failure goes first.
    if (flush()) {
      std::lock_guard lock(ch->mutex);
      ch->error = std::current_exception();
    }
  }
  {
    std::lock_guard lock(ch->mutex);
    if (ch->name.empty()) ch->name = lines.name;
    ch->lines = lines.lines();
    ch->done = true;
    ch->changed.notify_all();
  }
  bool readerDone;
  {
    std::unique_lock lock(bytes->mutex);
    bytes->stop = true;
    bytes->changed.notify_all();
    readerDone = awaitEnd(lock, bytes->changed, bytes->done, bytes->blocking);
  }
  // A read thread inside read() (or open()) of a live pipe ends when the
  // read returns; nothing can interrupt it.
  if (readerDone) {
    reader.join();
  } else {
    reader.detach();
  }
}

}  // namespace

SourceOpener openedSource(std::unique_ptr<runtime::ByteSource> source) {
  auto holder =
      std::make_shared<std::unique_ptr<runtime::ByteSource>>(std::move(source));
  return [holder] { return std::move(*holder); };
}

SourceOpener sourceAt(std::string spec) {
  return [spec = std::move(spec)] { return runtime::openByteSource(spec); };
}

// The parsed records of one input, produced by its own thread.
template <class Record>
class Gem5TraceReader::RecordStream {
 public:
  RecordStream(SourceOpener open, const Gem5ReaderOptions& options)
      : ch_(std::make_shared<Channel<Record>>()) {
    const size_t perRecord = sizeof(Record);
    ch_->hard = std::max<size_t>(options.queueBytes / perRecord, 1);
    ch_->readAhead =
        std::clamp<size_t>(options.readAheadBytes / perRecord, 1, ch_->hard);
    ch_->limit = ch_->readAhead;
    const size_t chunk = std::max<size_t>(options.chunkBytes, 1);
    if (!options.inputThreads) {
      inline_ = std::make_unique<InlineInput>();
      inline_->open = std::move(open);
      inline_->chunkBytes = chunk;
      return;
    }
    thread_ = std::thread([ch = ch_, open = std::move(open), chunk]() mutable {
      pump(ch, std::move(open), chunk);
    });
  }

  ~RecordStream() {
    if (inline_) return;
    std::shared_ptr<ByteChannel> bytes;
    {
      std::lock_guard lock(ch_->mutex);
      ch_->stop = true;
      ch_->changed.notify_all();
      bytes = ch_->bytes;
    }
    if (bytes) {
      std::lock_guard lock(bytes->mutex);
      bytes->stop = true;
      bytes->changed.notify_all();
    }
    // The parse thread never blocks in a read and now wakes from every wait,
    // so it ends soon; only its read thread may be left to a live pipe.
    thread_.join();
  }

  void setPartner(std::shared_ptr<ChannelBase> partner) {
    partner_ = std::move(partner);
  }
  std::shared_ptr<ChannelBase> channel() const { return ch_; }

  // The next record, valid until the next call; null at the end of the
  // input. Throws the input's failure when it is reached.
  Record* next() {
    if (pos_ < block_.size()) return &block_[pos_++];
    if (!refill()) return nullptr;
    return &block_[pos_++];
  }

  // Lines in the input (once next() has returned null).
  uint64_t lines() const { return lines_; }

  const std::string& name() const {
    if (!nameKnown_) {
      std::lock_guard lock(ch_->mutex);
      name_ = ch_->name;
      nameKnown_ = !name_.empty() || ch_->done;
    }
    return name_;
  }

 private:
  // An input read and parsed on the calling thread (inputThreads = false).
  struct InlineInput {
    SourceOpener open;
    std::unique_ptr<runtime::ByteSource> source;
    size_t chunkBytes = 0;
    std::unique_ptr<char[]> chunk;
    const char* p = nullptr;
    const char* end = nullptr;
    LineSplitter<Record> lines;
    bool ended = false;
    std::exception_ptr error;
  };

  // refill() for an inline input: reads and parses up to a block; the
  // records before a failure go first, the failure on the next call.
  bool refillInline() {
    InlineInput& in = *inline_;
    block_.clear();
    pos_ = 0;
    try {
      while (!in.ended && block_.size() < kBlockRecords) {
        if (in.p == in.end) {
          if (!in.source) {
            in.source = in.open();
            in.lines.name = in.source->name();
            std::lock_guard lock(ch_->mutex);
            ch_->name = in.lines.name;
          }
          if (!in.chunk) in.chunk.reset(new char[in.chunkBytes]);
          const size_t got = in.source->read(in.chunk.get(), in.chunkBytes);
          if (got == 0) {
            in.ended = true;
            in.lines.finish();
            break;
          }
          in.p = in.chunk.get();
          in.end = in.p + got;
        }
        in.p = in.lines.parse(in.p, in.end, block_, kBlockRecords);
      }
    } catch (...) {
      in.ended = true;
      in.error = std::current_exception();
    }
    if (!block_.empty()) return true;
    lines_ = in.lines.lines();
    if (!nameKnown_) {
      std::lock_guard lock(ch_->mutex);
      if (ch_->name.empty()) ch_->name = in.lines.name;
      name_ = ch_->name;
      nameKnown_ = true;
    }
    if (in.error) std::rethrow_exception(in.error);
    return false;
  }

  bool refill() {
    if (inline_) return refillInline();
    std::unique_lock lock(ch_->mutex);
    if (block_.capacity() != 0 && ch_->spare.size() < kMaxSpareBlocks) {
      block_.clear();
      ch_->spare.push_back(std::move(block_));
    }
    block_ = {};
    pos_ = 0;
    struct Opened {
      ChannelBase* partner = nullptr;
      ~Opened() {
        if (partner) partner->closeLimit();
      }
    } opened;
    auto ready = [&] { return !ch_->blocks.empty() || ch_->done; };
    // A short wait is a slow parser; a long one may be a live writer blocked
    // on the partner's full pipe: then the partner may queue much more.
    if (!ch_->changed.wait_for(lock, kPatience, ready) && partner_) {
      lock.unlock();
      partner_->openLimit();
      opened.partner = partner_.get();
      lock.lock();
    }
    ch_->changed.wait(lock, ready);
    if (ch_->blocks.empty()) {
      lines_ = ch_->lines;
      if (!nameKnown_) {
        name_ = ch_->name;
        nameKnown_ = true;
      }
      if (ch_->error) std::rethrow_exception(ch_->error);
      return false;
    }
    block_ = std::move(ch_->blocks.front());
    ch_->blocks.pop_front();
    ch_->records -= block_.size();
    ch_->changed.notify_all();
    return true;
  }

  std::shared_ptr<Channel<Record>> ch_;
  std::shared_ptr<ChannelBase> partner_;
  std::thread thread_;
  std::unique_ptr<InlineInput> inline_;
  std::vector<Record> block_;
  size_t pos_ = 0;
  uint64_t lines_ = 0;
  mutable std::string name_;
  mutable bool nameKnown_ = false;
};

Gem5TraceReader::Gem5TraceReader(SourceOpener trace, SourceOpener sq,
                                 Gem5ReaderOptions options)
    : trace_(std::make_unique<RecordStream<TraceRecord>>(std::move(trace), options)) {
  if (sq) {
    sq_ = std::make_unique<RecordStream<SqRecord>>(std::move(sq), options);
    trace_->setPartner(sq_->channel());
    sq_->setPartner(trace_->channel());
  }
}

Gem5TraceReader::~Gem5TraceReader() = default;

const std::string& Gem5TraceReader::traceName() const { return trace_->name(); }

const std::string& Gem5TraceReader::sqName() const {
  static const std::string kNone;
  return sq_ ? sq_->name() : kNone;
}

namespace {

// Copies one record into a row. g++ -O2 copies a whole Instruction (272
// bytes) with `rep movsq`, whose start-up cost made this copy half of
// next()'s time (perf, 2026-12-06); halves of it are copied with vector
// moves.
inline void copyRow(Instruction& to, const Instruction& from) {
  static_assert(std::is_trivially_copyable_v<Instruction>);
  constexpr size_t kHalf = sizeof(Instruction) / 2;
  auto* d = reinterpret_cast<unsigned char*>(&to);
  const auto* s = reinterpret_cast<const unsigned char*>(&from);
  std::memcpy(d, s, kHalf);
  std::memcpy(d + kHalf, s + kHalf, sizeof(Instruction) - kHalf);
}

}  // namespace

bool Gem5TraceReader::next(InstructionBatch& batch, size_t maxRows,
                           std::vector<StartMark>* starts) {
  batch.firstIndex = index_;
  batch.labels.clear();
  lines_.clear();
  if (ended_) {
    batch.rows.clear();
    return false;
  }
  // Rows are written in place and the vector cut to the rows read at the
  // end: a batch that keeps its storage from the last call (as the tap's
  // does) then never default-constructs rows again. The rows grow as they
  // are read, so that a large maxRows on a short trace does not construct
  // (and page in) rows it never fills.
  constexpr size_t kFirstRows = 4096;
  if (batch.rows.size() < std::min(maxRows, kFirstRows)) batch.rows.resize(std::min(maxRows, kFirstRows));
  lines_.reserve(std::min(maxRows, kFirstRows));
  size_t rows = 0;
  struct Cut {
    std::vector<Instruction>& rows;
    const size_t& count;
    ~Cut() { rows.resize(count); }  // also when a failure leaves early
  } cut{batch.rows, rows};
  while (rows < maxRows) {
    TraceRecord* r = trace_->next();
    if (r == nullptr) {
      ended_ = true;
      traceLine_ = trace_->lines();
      if (sq_) {
        if (SqRecord* left = sq_->next()) {
          throw StageError(sq_->name(), "line " + std::to_string(left->line),
                           "unconsumed store-queue record: " + trace_->name() +
                               " ended after line " + std::to_string(traceLine_));
        }
      }
      break;
    }
    traceLine_ = r->line;
    if (rows == batch.rows.size()) batch.rows.resize(std::min(maxRows, 2 * rows));
    switch (r->kind) {
      case LineKind::kStart:
        if (starts != nullptr) starts->push_back(StartMark{index_, r->startTick});
        continue;
      case LineKind::kInstruction:
        copyRow(batch.rows[rows], r->inst);
        break;
      case LineKind::kStoreQueue: {
        const LineRef where{trace_->name(), r->line};
        if (!sq_) {
          throw StageError(where.input, "line " + std::to_string(r->line),
                           "missing sq file: a store-queue record (sq_index " +
                               std::to_string(r->inst.sqIndex) +
                               ") needs its trace.sq.txt line (--sq FILE)");
        }
        SqRecord* s = sq_->next();
        if (s == nullptr) {
          throw StageError(sq_->name(), "",
                           "ended early after " + std::to_string(sq_->lines()) +
                               " lines: no store-queue record for " + where.input +
                               ":line " + std::to_string(r->line) + " (sq_index " +
                               std::to_string(r->inst.sqIndex) + ")");
        }
        Gem5LineParser::checkSqRecord(r->inst, where, s->inst,
                                      LineRef{sq_->name(), s->line});
        copyRow(batch.rows[rows], s->inst);
        break;
      }
    }
    lines_.push_back(r->line);
    ++rows;
    ++index_;
  }
  return rows != 0;
}

std::string defaultSqPath(const std::string& trace,
                          const std::function<bool(const std::string&)>& exists) {
  if (trace.empty() || trace == "-") return {};
  std::string base = trace;
  auto strip = [&](const std::string& suffix) {
    if (base.size() > suffix.size() &&
        base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0) {
      base.resize(base.size() - suffix.size());
    }
  };
  strip(".zst");
  strip(".txt");
  for (const char* suffix : {".sq.txt", ".sq.txt.zst"}) {
    std::string candidate = base + suffix;
    if (candidate != trace && exists(candidate)) return candidate;
  }
  return {};
}

}  // namespace pv::gem5
