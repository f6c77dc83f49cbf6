#include "stages/trace-readers/valgrind_trace_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "stages/core/op_class.h"
#include "stages/core/stage_error.h"
#include "stages/trace-readers/pvtap_format.h"

namespace pv::valgrind {

namespace {

// The read buffer starts at kFirstChunk bytes and doubles, up to kChunk,
// each time a read fills all the room it was offered (and beyond kChunk
// only for a record larger than the buffer): short inputs stay cheap, long
// ones soon read 1 MiB at a time.
constexpr size_t kFirstChunk = size_t{4} << 10;
constexpr size_t kChunk = size_t{1} << 20;
constexpr uint16_t kControlFlags = kFlagCondCtrl | kFlagUncondCtrl | kFlagDirectCtrl;
constexpr uint16_t kKnownFlags = PVTAP_F_COND_CTRL | PVTAP_F_UNCOND_CTRL |
                                 PVTAP_F_DIRECT_CTRL | PVTAP_F_SERIALIZE_AFTER |
                                 PVTAP_F_SERIALIZE_BEFORE | PVTAP_F_ATOMIC |
                                 PVTAP_F_READ_BARRIER | PVTAP_F_WRITE_BARRIER |
                                 PVTAP_F_NON_SPECULATIVE;

uint16_t u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t u32(const unsigned char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian host (amd64; Valgrind tool is amd64 only)
}
uint64_t u64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

ValgrindTraceReader::ValgrindTraceReader(std::unique_ptr<runtime::ByteSource> source)
    : source_(std::move(source)), buffer_(kFirstChunk) {}

void ValgrindTraceReader::fail(uint64_t at, const std::string& message) const {
  throw StageError(source_->name(), "byte " + std::to_string(at), message);
}

bool ValgrindTraceReader::fill(size_t bytes) {
  while (end_bytes_ - begin_ < bytes) {
    if (eof_) return false;
    if (begin_ > 0) {  // compact
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_bytes_ - begin_);
      end_bytes_ -= begin_;
      begin_ = 0;
    }
    if (buffer_.size() < bytes) buffer_.resize(std::max(buffer_.size() * 2, bytes));
    const size_t room = buffer_.size() - end_bytes_;
    size_t got = source_->read(buffer_.data() + end_bytes_, room);
    if (got == 0) eof_ = true;
    end_bytes_ += got;
    if (got == room && buffer_.size() < kChunk) buffer_.resize(std::min(buffer_.size() * 2, kChunk));
  }
  return true;
}

void ValgrindTraceReader::need(size_t bytes, const char* what) {
  if (!fill(bytes))
    fail(consumed_ + (end_bytes_ - begin_),
         std::string("truncated record stream: it ends inside ") + what + " (" +
             std::to_string(end_bytes_ - begin_) + " of " + std::to_string(bytes) +
             " bytes; the tool or the guest was killed?)");
}

void ValgrindTraceReader::readRecord() {
  const uint64_t at = consumed_;
  need(4, "a record word");
  const uint32_t word = u32(&buffer_[begin_]);
  auto take = [&](size_t n) {
    begin_ += n;
    consumed_ += n;
  };
  if ((word & 3u) == PVTAP_REC_EXEC) {
    const uint32_t id = word >> 3;
    if (id == 0 || id >= descriptors_.size() || !descriptors_[id].defined)
      fail(at, "instruction record names unknown descriptor " + std::to_string(id));
    const Descriptor& d = descriptors_[id];
    const size_t n = 4 + 8 * d.accesses.size();
    need(n, "an instruction record");
    uint64_t addrs[256];
    for (size_t i = 0; i < d.accesses.size(); ++i)
      addrs[i] = u64(&buffer_[begin_ + 4 + 8 * i]);
    take(n);
    expand(d, (word >> 2) & 1u, addrs);
    return;
  }
  if ((word & 3u) != PVTAP_REC_CTRL)
    fail(at, "unknown record type " + std::to_string(word & 3u));
  const uint32_t kind = word >> 2;
  if (kind == PVTAP_CTRL_DESC) {
    need(8, "a descriptor record");
    const uint32_t n = u32(&buffer_[begin_ + 4]);
    if (n < PVTAP_DESC_FIXED_BYTES || n > 4096)
      fail(at, "descriptor of " + std::to_string(n) + " bytes (expected 20..4096)");
    need(8 + n, "a descriptor record");
    const unsigned char* p = &buffer_[begin_ + 8];
    const uint32_t id = u32(p);
    Descriptor d;
    d.defined = true;
    d.pc = u64(p + 4);
    d.length = p[12];
    d.opClass = p[13];
    d.flags = u16(p + 14);
    const uint8_t nAcc = p[16], nSrc = p[17], nDst = p[18];
    d.extra = p[19];
    if (n != PVTAP_DESC_FIXED_BYTES + nAcc * PVTAP_ACCESS_BYTES +
                 (nSrc + nDst) * PVTAP_REG_BYTES)
      fail(at, "descriptor " + std::to_string(id) + ": " + std::to_string(n) +
                   " bytes do not match its " + std::to_string(nAcc) + " accesses and " +
                   std::to_string(nSrc + nDst) + " registers");
    if (d.opClass >= static_cast<uint16_t>(OpClass::kCount))
      fail(at, "descriptor " + std::to_string(id) + ": op class " +
                   std::to_string(d.opClass) + " is not a gem5 OpClass");
    if ((d.flags & ~kKnownFlags) != 0)
      fail(at, "descriptor " + std::to_string(id) + ": unknown flag bits " +
                   std::to_string(d.flags & ~kKnownFlags));
    if (id == 0 || id != descriptors_.size() + (descriptors_.empty() ? 1 : 0))
      fail(at, "descriptor id " + std::to_string(id) + " out of sequence (expected " +
                   std::to_string(std::max<size_t>(descriptors_.size(), 1)) + ")");
    const unsigned char* q = p + PVTAP_DESC_FIXED_BYTES;
    for (int i = 0; i < nAcc; ++i, q += PVTAP_ACCESS_BYTES) {
      if (q[2] > (PVTAP_A_STORE | PVTAP_A_GUARDED))
        fail(at, "descriptor " + std::to_string(id) + ": access " + std::to_string(i) +
                     " has unknown kind " + std::to_string(q[2]));
      d.accesses.emplace_back(u16(q), q[2]);
    }
    auto regs = [&](int count, auto& out, uint8_t& kept, int max) {
      for (int i = 0; i < count; ++i, q += PVTAP_REG_BYTES) {
        RegId r{q[0], q[1]};
        if (r.regClass > PVTAP_REG_MISC || (r.regClass != PVTAP_REG_MISC && r.index >= 50))
          fail(at, "descriptor " + std::to_string(id) + ": register " +
                       std::to_string(r.regClass) + ":" + std::to_string(r.index) +
                       " out of range (class 0-6, index below 50 unless class 6)");
        if (kept < max) out[kept++] = r;
      }
    };
    regs(nSrc, d.src, d.srcCount, kMaxSrcRegs);
    regs(nDst, d.dst, d.dstCount, kMaxDstRegs);
    take(8 + n);
    if (descriptors_.empty()) descriptors_.emplace_back();  // id 0 is never used
    descriptors_.push_back(std::move(d));
    ++stats_.descriptors;
    return;
  }
  if (kind == PVTAP_CTRL_THREAD) {
    need(8, "a thread record");
    const uint32_t tid = u32(&buffer_[begin_ + 4]);
    take(8);
    if (thread_) ++stats_.threadSwitches;
    thread_ = tid;
    if (std::find(threadIds_.begin(), threadIds_.end(), tid) == threadIds_.end()) {
      threadIds_.push_back(tid);
      stats_.threads = threadIds_.size();
    }
    return;
  }
  if (kind == PVTAP_CTRL_END) {
    need(28, "the end record");
    const unsigned char* p = &buffer_[begin_ + 4];
    EndRecord e;
    e.reason = u32(p);
    e.exitStatus = static_cast<int32_t>(u32(p + 4));
    e.skipped = u64(p + 8);
    e.traced = u64(p + 16);
    if (e.reason > EndRecord::kRegionDone)
      fail(at, "end record with unknown reason " + std::to_string(e.reason));
    if (e.traced != stats_.guestInstructions)
      fail(at, "end record counts " + std::to_string(e.traced) +
                   " traced instructions but the stream holds " +
                   std::to_string(stats_.guestInstructions));
    take(28);
    end_ = e;
    if (fill(1)) fail(consumed_, "data after the end record");
    return;
  }
  fail(at, "unknown control record kind " + std::to_string(kind));
}

void ValgrindTraceReader::expand(const Descriptor& d, bool taken, const uint64_t* addrs) {
  ++stats_.guestInstructions;
  const size_t first = ready_.size();
  Instruction base;
  base.pc = d.pc;
  base.flags = static_cast<uint16_t>(d.flags & ~kControlFlags);
  base.srcCount = d.srcCount;
  base.dstCount = d.dstCount;
  base.src = d.src;
  base.dst = d.dst;
  const bool control = (d.flags & kControlFlags) != 0;
  size_t performed = 0;
  for (size_t i = 0; i < d.accesses.size(); ++i) performed += addrs[i] != 0;
  const bool compute = d.opClass != 0 || control || performed == 0 ||
                       (d.extra & PVTAP_X_WRITES_FLAGS) != 0;
  auto access = [&](bool store) {
    for (size_t i = 0; i < d.accesses.size(); ++i) {
      const bool isStore = (d.accesses[i].second & PVTAP_A_STORE) != 0;
      if (isStore != store || addrs[i] == 0) continue;
      Instruction r = base;
      r.opClass = store ? kOpMemWrite : kOpMemRead;
      r.effAddrValid = true;
      r.dataAddr = addrs[i];
      r.accessSize = d.accesses[i].first;
      if (store) r.sqIndex = static_cast<int32_t>(storeNumber_++ & 0x7fffffff);
      ready_.push_back(r);
    }
  };
  auto computation = [&] {
    Instruction r = base;
    r.opClass = d.opClass != 0 ? d.opClass : kOpIntAlu;
    r.flags = d.flags;
    r.branching = taken;
    ready_.push_back(r);
  };
  access(false);
  if (compute && !control) computation();
  access(true);
  if (compute && control) computation();
  if (ready_.size() - first > 1)
    for (size_t i = first; i < ready_.size(); ++i) ready_[i].flags |= kFlagMicroop;
}

bool ValgrindTraceReader::next(InstructionBatch& batch, size_t maxRows) {
  if (pending_) std::rethrow_exception(std::exchange(pending_, nullptr));
  batch.rows.clear();
  batch.labels.clear();
  batch.firstIndex = index_;
  if (!magicRead_) {
    if (!fill(PVTAP_MAGIC_BYTES)) {
      if (end_bytes_ == begin_)
        fail(0, "empty record stream (the Valgrind tool did not start?)");
      fail(0, "truncated record stream: it ends inside the stream header");
    }
    if (std::memcmp(&buffer_[begin_], PVTAP_MAGIC, PVTAP_MAGIC_BYTES) != 0)
      fail(0, "not a pvtap record stream (bad magic; a tool of another version?)");
    begin_ += PVTAP_MAGIC_BYTES;
    consumed_ += PVTAP_MAGIC_BYTES;
    magicRead_ = true;
  }
  while (batch.rows.size() < maxRows) {
    if (readyPos_ < ready_.size()) {
      size_t n = std::min(maxRows - batch.rows.size(), ready_.size() - readyPos_);
      batch.rows.insert(batch.rows.end(), ready_.begin() + readyPos_,
                        ready_.begin() + readyPos_ + n);
      readyPos_ += n;
      continue;
    }
    ready_.clear();
    readyPos_ = 0;
    if (end_) break;
    try {
      if (!fill(1))
        fail(consumed_, "truncated record stream: no end record (the tool or the guest "
                        "was killed?)");
      readRecord();
    } catch (const StageError&) {
      // Everything before the failure is delivered first.
      if (batch.rows.empty() && ready_.empty()) throw;
      pending_ = std::current_exception();
      if (readyPos_ < ready_.size()) continue;
      break;
    }
  }
  index_ += batch.rows.size();
  stats_.records = index_;
  return !batch.rows.empty();
}

}  // namespace pv::valgrind
