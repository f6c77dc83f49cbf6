// Checkpoints of a reduction: file format, atomic writes, resumption.

#include "stages/aggregate/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <tuple>

#include "stages/core/hex.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/slice.h"

namespace pv {
namespace {

constexpr const char* kMagic = "perfvec-aggregate-checkpoint 2";
constexpr const char* kMagicBefore = "perfvec-aggregate-checkpoint 1";


std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    out += c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
  return out;
}

void appendDoubles(std::string& out, const std::vector<double>& v) {
  char buf[40];
  for (double d : v) {
    std::snprintf(buf, sizeof buf, " %a", d);
    out += buf;
  }
}

// A line of the file: its key and the words after it.
struct Line {
  size_t number;
  std::string key, rest;
  std::vector<std::string> words;
};

}  // namespace

struct RowHash {
  RowHash() : state(XXH3_createState()) {
    if (!state) throw std::bad_alloc();
    XXH3_64bits_reset(state);
  }
  ~RowHash() { XXH3_freeState(state); }
  RowHash(const RowHash&) = delete;
  RowHash& operator=(const RowHash&) = delete;
  void bytes(const void* data, size_t size) { XXH3_64bits_update(state, data, size); }
  void rows(const RepresentationBatch& b, size_t first, size_t count) {
    for (size_t r = first; r < first + count; ++r) {
      XXH3_64bits_update(state, b.values.data() + r * b.dim, b.dim * sizeof(float));
      XXH3_64bits_update(state, &b.instructions[r], sizeof(uint32_t));
    }
  }
  uint64_t value() const { return XXH3_64bits_digest(state); }
  XXH3_state_t* state;
};

std::string intervalsPath(const std::string& checkpointPath) { return checkpointPath + ".intervals"; }

namespace {

// A failed write of FILE.intervals, with errno's reason.
StageError intervalsWriteError(const std::string& path) {
  return StageError(path, "", std::string("cannot write the checkpoint's closed intervals: ") + std::strerror(errno));
}

// A line of FILE.intervals.
std::string intervalLine(const IntervalRepresentation& i) {
  std::string out = std::to_string(i.firstIndex) + " " + std::to_string(i.instructions);
  appendDoubles(out, i.sum);
  return out + "\n";
}

// Reads the first `count` lines of a checkpoint's intervals file, checking
// them against the checkpoint (bytes, hash, width); `each` gets every
// line's text and interval. Throws StageError naming the file.
void readClosedIntervals(const AggregateCheckpoint& c, const std::string& path,
                         const std::function<void(const std::string&, IntervalRepresentation&&)>& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw StageError(path, "", std::string("cannot open the checkpoint's closed intervals: ") + std::strerror(errno));
  RowHash hash;
  uint64_t bytes = 0;
  std::string line;
  for (uint64_t n = 1; n <= c.closedCount; ++n) {
    if (!std::getline(in, line))
      throw StageError(path, "line " + std::to_string(n),
                       "the file ends after " + std::to_string(n - 1) + " intervals; the checkpoint has " +
                           std::to_string(c.closedCount));
    line += '\n';
    hash.bytes(line.data(), line.size());
    bytes += line.size();
    if (bytes > c.closedBytes) break;
    if (each) {
      std::istringstream words(line);
      IntervalRepresentation i;
      std::string w;
      bool ok = static_cast<bool>(words >> i.firstIndex >> i.instructions);
      while (ok && words >> w) {
        char* end = nullptr;
        i.sum.push_back(std::strtod(w.c_str(), &end));
        ok = *end == '\0';
      }
      if (!ok || i.sum.size() != c.dim)
        throw StageError(path, "line " + std::to_string(n), "not an interval of width " + std::to_string(c.dim));
      each(line, std::move(i));
    }
  }
  if (bytes != c.closedBytes || hash.value() != c.closedHash)
    throw StageError(path, "", "the closed intervals differ from the checkpoint's (" + std::to_string(c.closedCount) +
                                   " intervals, " + std::to_string(c.closedBytes) +
                                   " bytes, XXH3-64 " + hex64(c.closedHash) + "): the file is damaged or of another run");
}

}  // namespace

uint64_t hashRows(const RepresentationBatch& batch, size_t first, size_t count) {
  RowHash h;
  h.rows(batch, first, count);
  return h.value();
}

std::string formatCheckpoint(const AggregateCheckpoint& c) {
  std::string out = std::string(kMagic) + "\n";
  out += "source " + escape(c.source) + "\n";
  out += "model " + c.modelId + "\n";
  out += "stages";
  for (const auto& s : c.stages) out += " " + s;
  out += "\n";
  out += "dim " + std::to_string(c.dim) + "\n";
  out += "window " + std::to_string(c.window) + "\n";
  out += "chunk " + std::to_string(c.chunk) + "\n";
  out += std::string("per-instruction ") + (c.perInstruction ? "1" : "0") + "\n";
  out += "interval " + std::to_string(c.interval) + "\n";
  out += "instructions " + std::to_string(c.instructions) + "\n";
  out += "skip " + std::to_string(c.skip) + "\n";
  out += "verify " + std::to_string(c.verifyFirst) + " " + std::to_string(c.verifyRows) + " " +
         hex64(c.verifyHash) + "\n";
  out += "sum";
  appendDoubles(out, c.sum);
  out += "\n";
  auto interval = [&](const char* key, const IntervalRepresentation& i) {
    out += std::string(key) + " " + std::to_string(i.firstIndex) + " " + std::to_string(i.instructions);
    appendDoubles(out, i.sum);
    out += "\n";
  };
  if (c.interval > 0)
    out += "closed " + std::to_string(c.closedCount) + " " + std::to_string(c.closedBytes) + " " +
           hex64(c.closedHash) + "\n";
  if (c.open) interval("open", *c.open);
  out += "checksum " + hex64(XXH3_64bits(out.data(), out.size())) + "\n";
  return out;
}

AggregateCheckpoint parseCheckpoint(const std::string& text, const std::string& name) {
  auto fail = [&](size_t line, const std::string& message) -> StageError {
    return StageError(name, line ? "line " + std::to_string(line) : "", message);
  };
  if (text.rfind(std::string(kMagicBefore) + "\n", 0) == 0)
    throw fail(1, "a checkpoint of perfvec before 0.14 (format 1), which kept its intervals inside: "
                  "start the reduction again");
  if (text.rfind(std::string(kMagic) + "\n", 0) != 0)
    throw fail(1, "not a pv-aggregate checkpoint (expected '" + std::string(kMagic) + "')");
  // The checksum line covers every byte before it.
  size_t last = text.rfind("\nchecksum ");
  if (last == std::string::npos || text.empty() || text.back() != '\n')
    throw fail(0, "checkpoint without its checksum line (truncated?)");
  const std::string body = text.substr(0, last + 1);
  const std::string announced = text.substr(last + 10, text.size() - last - 11);
  if (announced != hex64(XXH3_64bits(body.data(), body.size())))
    throw fail(0, "checkpoint checksum mismatch (the file is damaged)");

  std::vector<Line> lines;
  std::istringstream in(body);
  std::string raw;
  for (size_t n = 1; std::getline(in, raw); ++n) {
    if (n == 1) continue;
    Line l{n, raw.substr(0, raw.find(' ')), "", {}};
    if (raw.size() > l.key.size()) l.rest = raw.substr(l.key.size() + 1);
    std::istringstream words(l.rest);
    for (std::string w; words >> w;) l.words.push_back(w);
    lines.push_back(std::move(l));
  }
  auto number = [&](const Line& l, const std::string& word) -> uint64_t {
    char* end = nullptr;
    errno = 0;
    uint64_t v = std::strtoull(word.c_str(), &end, 10);
    if (word.empty() || *end != '\0' || errno != 0 || word[0] == '-')
      throw fail(l.number, "'" + l.key + "': not a number: '" + word + "'");
    return v;
  };
  // Widths are 32-bit: a larger number is an error, not its low 32 bits.
  auto number32 = [&](const Line& l, const std::string& word) -> uint32_t {
    const uint64_t v = number(l, word);
    if (v > UINT32_MAX) throw fail(l.number, "'" + l.key + "' = " + word + " is out of range");
    return static_cast<uint32_t>(v);
  };
  auto doubles = [&](const Line& l, size_t from) {
    std::vector<double> v;
    for (size_t i = from; i < l.words.size(); ++i) {
      char* end = nullptr;
      v.push_back(std::strtod(l.words[i].c_str(), &end));
      if (*end != '\0') throw fail(l.number, "'" + l.key + "': not a number: '" + l.words[i] + "'");
    }
    return v;
  };
  auto one = [&](const Line& l, size_t count) {
    if (l.words.size() != count)
      throw fail(l.number, "'" + l.key + "' takes " + std::to_string(count) + " values");
  };
  AggregateCheckpoint c;
  std::vector<std::string> seen;
  for (const auto& l : lines) {
    const std::string& k = l.key;
    for (const auto& s : seen)
      if (s == k) throw fail(l.number, "'" + k + "' twice");
    seen.push_back(k);
    if (k == "source") c.source = unescape(l.rest);
    else if (k == "model") c.modelId = l.rest;
    else if (k == "stages") c.stages = l.words;
    else if (k == "dim") { one(l, 1); c.dim = number32(l, l.words[0]); }
    else if (k == "window") { one(l, 1); c.window = number32(l, l.words[0]); }
    else if (k == "chunk") { one(l, 1); c.chunk = number32(l, l.words[0]); }
    else if (k == "per-instruction") { one(l, 1); c.perInstruction = number(l, l.words[0]) != 0; }
    else if (k == "interval") { one(l, 1); c.interval = number(l, l.words[0]); }
    else if (k == "instructions") { one(l, 1); c.instructions = number(l, l.words[0]); }
    else if (k == "skip") { one(l, 1); c.skip = number(l, l.words[0]); }
    else if (k == "verify" || k == "closed") {  // two numbers and a hash
      one(l, 3);
      char* end = nullptr;
      const uint64_t hash = std::strtoull(l.words[2].c_str(), &end, 16);
      if (*end != '\0') throw fail(l.number, "'" + k + "': bad hash");
      auto [first, second, hashed] = k == "verify" ? std::tie(c.verifyFirst, c.verifyRows, c.verifyHash)
                                                    : std::tie(c.closedCount, c.closedBytes, c.closedHash);
      first = number(l, l.words[0]);
      second = number(l, l.words[1]);
      hashed = hash;
    }
    else if (k == "sum") c.sum = doubles(l, 0);
    else if (k == "open") {
      if (l.words.size() < 2) throw fail(l.number, "'" + k + "' takes FIRST COUNT and the sum");
      c.open = IntervalRepresentation{number(l, l.words[0]), number(l, l.words[1]), doubles(l, 2)};
    }
    else throw fail(l.number, "unknown item '" + k + "'");
  }
  for (const char* required : {"source", "model", "stages", "dim", "window", "chunk", "per-instruction",
                               "interval", "instructions", "skip", "verify", "sum"})
    if (std::find(seen.begin(), seen.end(), required) == seen.end())
      throw fail(0, std::string("checkpoint lacks '") + required + "'");
  if (c.sum.size() != c.dim) throw fail(0, "sum of " + std::to_string(c.sum.size()) + " values, dim " + std::to_string(c.dim));
  if (c.interval > 0 && std::find(seen.begin(), seen.end(), "closed") == seen.end())
    throw fail(0, "checkpoint with --interval lacks 'closed'");
  if (c.open && c.open->sum.size() != c.dim) throw fail(0, "the open interval's width is not dim");
  // (in 128 bits: the sums of 64-bit positions must not wrap around)
  using Wide = unsigned __int128;
  if (c.skip > c.instructions || Wide(c.verifyFirst) + c.verifyRows > Wide(c.instructions) + 1 ||
      (c.verifyRows > 0 && c.verifyFirst < c.skip))
    throw fail(0, "inconsistent positions (skip " + std::to_string(c.skip) + ", instructions " +
                      std::to_string(c.instructions) + ")");
  return c;
}

void writeCheckpoint(const std::string& path, const AggregateCheckpoint& c) {
  const std::string text = formatCheckpoint(c);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  auto fail = [&](const std::string& what) {
    int saved = errno;
    ::unlink(tmp.c_str());
    return StageError(path, "", "cannot write the checkpoint: " + what + ": " + std::strerror(saved));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw fail("create " + tmp);
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw fail("write");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    throw fail("fsync");
  }
  if (::close(fd) != 0) throw fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw fail("rename");
  // The rename itself reaches the disk with the folder.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

AggregateCheckpoint readCheckpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StageError(path, "", std::string("cannot open the checkpoint: ") + std::strerror(errno));
  std::stringstream s;
  s << in.rdbuf();
  return parseCheckpoint(s.str(), path);
}

// ---------------------------------------------------------------- transform

CheckpointedAggregator::CheckpointedAggregator(CheckpointOptions options)
    : options_(std::move(options)), aggregator_(options_.interval) {
  lastCheckpointTime_ = std::chrono::steady_clock::now();
}

CheckpointedAggregator::~CheckpointedAggregator() {
  if (intervalsFile_) std::fclose(intervalsFile_);
}

uint64_t CheckpointedAggregator::contextSpan() const {
  // Chunks at or after S + span have their whole context after S.
  const uint64_t w = identity_.window > 0 ? identity_.window - 1 : 0;
  const uint64_t k = identity_.chunk > 0 ? identity_.chunk : 1;
  return (w + k - 1) / k * k;
}

StreamHeader CheckpointedAggregator::describe(const StreamHeader& in) {
  StreamHeader whole = in;
  std::optional<AggregateCheckpoint> from;
  if (!options_.resume.empty()) {
    from = readCheckpoint(options_.resume);
    const AggregateCheckpoint& c = *from;
    const std::string& name = options_.resume;
    auto mismatch = [&](const std::string& what, const std::string& want, const std::string& got) {
      return StageError(name, "",
                        "the input is not the stream this checkpoint continues: " + what + " '" + got +
                            "', the checkpoint's is '" + want + "'");
    };
    const std::string wantSource = c.skip > 0 ? runtime::slicedSource(c.source, c.skip) : c.source;
    if (in.source != wantSource)
      throw mismatch(c.skip > 0 ? "source (resuming needs the input cut at record " +
                                      std::to_string(c.skip) + ": pv-window --start-at " +
                                      std::to_string(c.skip) + ")"
                                : "source",
                     wantSource, in.source);
    if (in.modelId != c.modelId) throw mismatch("encoder", c.modelId, in.modelId);
    auto u = [](uint64_t v) { return std::to_string(v); };
    if (in.representationDim != c.dim) throw mismatch("width", u(c.dim), u(in.representationDim));
    if (in.window != c.window) throw mismatch("window W", u(c.window), u(in.window));
    if (in.chunk != c.chunk) throw mismatch("chunk K", u(c.chunk), u(in.chunk));
    if (in.perInstruction != c.perInstruction)
      throw mismatch("per-instruction", u(c.perInstruction), u(in.perInstruction));
    if (options_.interval != c.interval) throw mismatch("--interval", u(c.interval), u(options_.interval));
    std::string want, got;
    for (const auto& s : c.stages) want += (want.empty() ? "" : " ") + s;
    for (const auto& s : in.stages) got += (got.empty() ? "" : " ") + s;
    if (want != got) throw mismatch("chain of stages", want, got);
    whole.source = c.source;
  }
  StreamHeader out = aggregator_.describe(whole);
  identity_.source = whole.source;
  identity_.modelId = in.modelId;
  identity_.stages = in.stages;
  identity_.dim = in.representationDim;
  identity_.window = in.window;
  identity_.chunk = in.chunk;
  identity_.perInstruction = in.perInstruction;
  identity_.interval = options_.interval;
  if (from && from->interval > 0)  // checked now, before anything is emitted
    readClosedIntervals(*from, intervalsPath(options_.resume), nullptr);
  if (from) {
    ProgramRepresentation total;
    total.instructions = from->instructions;
    total.sum = from->sum;
    aggregator_.restore(std::move(total), from->open);
    offset_ = from->skip;
    aggregator_.setStreamOffset(offset_);
    skipUntil_ = from->instructions;
    skipping_ = true;
    verifyFirst_ = from->verifyFirst;
    verifyRows_ = from->verifyRows;
    verifyHash_ = from->verifyHash;
    lastCheckpointAt_ = from->instructions;
    resumedFrom_ = std::move(from);
  }
  return out;
}

void CheckpointedAggregator::replayClosed(const Emit<ProgramPart>& emit) {
  if (replayed_) return;
  replayed_ = true;
  if (options_.interval == 0) return;
  const bool write = !options_.path.empty();
  const std::string out = write ? intervalsPath(options_.path) : "";
  auto openOut = [&](const char* mode) {
    intervalsFile_ = std::fopen(out.c_str(), mode);
    if (!intervalsFile_)
      throw intervalsWriteError(out);
  };
  if (write) intervalsHash_ = std::make_shared<RowHash>();
  if (!resumedFrom_) {
    if (write) openOut("wb");
    return;
  }
  const std::string in = intervalsPath(options_.resume);
  const bool same = write && out == in;
  if (write && !same) openOut("wb");
  readClosedIntervals(*resumedFrom_, in, [&](const std::string& line, IntervalRepresentation&& i) {
    if (write) {
      intervalsHash_->bytes(line.data(), line.size());
      if (!same && std::fwrite(line.data(), 1, line.size(), intervalsFile_) != line.size())
        throw intervalsWriteError(out);
    }
    emit(std::move(i));
  });
  closedCount_ = resumedFrom_->closedCount;
  closedBytes_ = resumedFrom_->closedBytes;
  if (same) {
    // What the crashed run appended after its last checkpoint goes.
    if (::truncate(out.c_str(), static_cast<off_t>(closedBytes_)) != 0)
      throw StageError(out, "", std::string("cannot cut the checkpoint's closed intervals: ") + std::strerror(errno));
    openOut("ab");
  }
}

void CheckpointedAggregator::passClosed(const Emit<ProgramPart>& emit) {
  for (auto& interval : aggregator_.takeClosed()) {
    if (intervalsFile_) {
      const std::string line = intervalLine(interval);
      if (std::fwrite(line.data(), 1, line.size(), intervalsFile_) != line.size())
        throw intervalsWriteError(intervalsPath(options_.path));
      intervalsHash_->bytes(line.data(), line.size());
      ++closedCount_;
      closedBytes_ += line.size();
    }
    emit(std::move(interval));
  }
}

RepresentationBatch CheckpointedAggregator::skipResumed(const RepresentationBatch& batch) {
  uint64_t at = batch.firstIndex + offset_;
  size_t row = 0, verifyFrom = row, verifyCount = 0;
  while (row < batch.rows() && at < skipUntil_) {
    if (at >= verifyFirst_ && verifyRows_ > 0) {
      if (verifyCount++ == 0) verifyFrom = row;
    }
    at += batch.instructions[row++];
  }
  if (at > skipUntil_)
    throw StageError("", "instruction " + std::to_string(at - batch.instructions[row - 1]),
                     "the checkpoint's position " + std::to_string(skipUntil_) +
                         " falls inside a row of the resumed stream (another chunk size?)");
  if (verifyCount > 0) {
    if (!verifyState_) verifyState_ = std::make_shared<RowHash>();
    verifyState_->rows(batch, verifyFrom, verifyCount);
    verifiedRows_ += verifyCount;
  }
  RepresentationBatch rest;
  rest.dim = batch.dim;
  if (at < skipUntil_) return rest;  // all before the checkpoint's position
  const uint64_t got = verifiedRows_ > 0 ? verifyState_->value() : 0;
  if (verifiedRows_ != verifyRows_ || (verifyRows_ > 0 && got != verifyHash_))
    throw StageError("", "instruction " + std::to_string(skipUntil_),
                     "resuming does not reproduce the run that wrote the checkpoint: the " +
                         std::to_string(verifiedRows_) + " representations it re-encoded before instruction " +
                         std::to_string(skipUntil_) + " differ from the checkpoint's " +
                         std::to_string(verifyRows_) +
                         " (another trace or model, other encoder options such as --threads or "
                         "--memory-mb, or an encoder that is not deterministic)");
  skipping_ = false;
  rest.firstIndex = at - offset_;
  rest.values.assign(batch.values.begin() + static_cast<std::ptrdiff_t>(row * batch.dim), batch.values.end());
  rest.instructions.assign(batch.instructions.begin() + static_cast<std::ptrdiff_t>(row), batch.instructions.end());
  return rest;
}

void CheckpointedAggregator::process(RepresentationBatch&& batch, const Emit<ProgramPart>& emit) {
  replayClosed(emit);
  const uint64_t start = batch.firstIndex + offset_;
  if (skipping_) {
    RepresentationBatch rest = skipResumed(batch);
    if (rest.rows() > 0) aggregator_.add(rest);
  } else {
    aggregator_.add(batch);
  }
  passClosed(emit);
  batchStarts_.push_back(start);
  if (batchStarts_.size() > 64) batchStarts_.erase(batchStarts_.begin());
  if (!skipping_) maybeCheckpoint(&batch, start, false);
}

void CheckpointedAggregator::finish(const Emit<ProgramPart>& emit) {
  replayClosed(emit);
  if (skipping_)
    throw StageError("", "instruction " + std::to_string(aggregator_.total().instructions),
                     "the input ended before the checkpoint's position " + std::to_string(skipUntil_) +
                         " (not the stream the checkpoint was taken from)");
  maybeCheckpoint(nullptr, 0, true);
  aggregator_.finish(emit);
}

void CheckpointedAggregator::maybeCheckpoint(const RepresentationBatch* batch, uint64_t start, bool force) {
  if (options_.path.empty()) return;
  const uint64_t at = aggregator_.total().instructions;
  const auto now = std::chrono::steady_clock::now();
  bool due = force;
  if (options_.everyInstructions > 0 && at - lastCheckpointAt_ >= options_.everyInstructions) due = true;
  if (options_.everySeconds > 0 &&
      std::chrono::duration<double>(now - lastCheckpointTime_).count() >= options_.everySeconds)
    due = true;
  if (!due) return;

  AggregateCheckpoint c = identity_;
  c.instructions = at;
  const ProgramRepresentation& total = aggregator_.total();
  c.sum = total.sum;
  c.open = aggregator_.openInterval();
  if (intervalsFile_) {
    // The intervals reach the disk before the checkpoint that counts them.
    if (std::fflush(intervalsFile_) != 0 || ::fsync(::fileno(intervalsFile_)) != 0)
      throw intervalsWriteError(intervalsPath(options_.path));
    c.closedCount = closedCount_;
    c.closedBytes = closedBytes_;
    c.closedHash = intervalsHash_->value();
  }
  // S: the latest encoder call (input batch) that starts W-1 or more
  // instructions before P; only streams from pv-window say their W.
  const uint64_t need = identity_.window > 0 ? identity_.window - 1 : 0;
  c.skip = 0;
  if (identity_.window > 0)
    for (auto it = batchStarts_.rbegin(); it != batchStarts_.rend(); ++it)
      if (*it + need <= at) {
        c.skip = *it;
        break;
      }
  // The rows of this batch whose context lies after S.
  if (batch && c.skip == start && c.skip > 0) {
    uint64_t rowAt = start;
    size_t row = 0;
    while (row < batch->rows() && rowAt < start + contextSpan()) rowAt += batch->instructions[row++];
    if (row < batch->rows()) {
      c.verifyFirst = rowAt;
      c.verifyRows = batch->rows() - row;
      c.verifyHash = hashRows(*batch, row, batch->rows() - row);
    }
  }
  writeCheckpoint(options_.path, c);
  ++written_;
  lastCheckpointAt_ = at;
  lastCheckpointTime_ = now;
}

}  // namespace pv
