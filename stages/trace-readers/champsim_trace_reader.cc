#include "stages/trace-readers/champsim_trace_reader.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "stages/core/stage_error.h"

namespace pv::champsim {
namespace {

// ChampSim's register numbers with a fixed meaning (its instruction.h).
constexpr uint8_t kRegStackPointer = 6;
constexpr uint8_t kRegFlags = 25;
constexpr uint8_t kRegInstructionPointer = 26;
constexpr uint32_t kAccessSize = 8;  // unknown to the format
// The read buffer starts at kFirstRecords records and doubles, up to
// kChunkRecords, each time a refill fills it: a short trace (or a fuzz
// input) never pays for a megabyte buffer, a long one soon reads 1 MiB at a
// time.
constexpr size_t kFirstRecords = 64;
constexpr size_t kChunkRecords = 16384;

uint64_t le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
void put64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

// Pin's REG_RDI..REG_R15 (3..18) in x86 encoding order (rax 0 ... r15 15).
constexpr int8_t kPinGpr[16] = {7, 6, 5, 4, 3, 2, 1, 0, 8, 9, 10, 11, 12, 13, 14, 15};

// The gem5-style register id of a ChampSim register; false: not a register
// operand (none, or the instruction pointer).
bool regId(uint8_t reg, RegId& out) {
  if (reg == 0 || reg == kRegInstructionPointer) return false;
  if (reg >= 3 && reg <= 18) {
    out = RegId{0, static_cast<uint16_t>(kPinGpr[reg - 3])};
  } else if (reg == kRegFlags) {
    out = RegId{5, 0};
  } else {
    out = RegId{6, reg};
  }
  return true;
}

}  // namespace

void encode(const Record& r, unsigned char* out) {
  put64(out, r.ip);
  out[8] = r.isBranch;
  out[9] = r.branchTaken;
  std::memcpy(out + 10, r.destinationRegisters, 2);
  std::memcpy(out + 12, r.sourceRegisters, 4);
  for (int i = 0; i < 2; ++i) put64(out + 16 + 8 * i, r.destinationMemory[i]);
  for (int i = 0; i < 4; ++i) put64(out + 32 + 8 * i, r.sourceMemory[i]);
}

Record decode(const unsigned char* in) {
  Record r;
  r.ip = le64(in);
  r.isBranch = in[8];
  r.branchTaken = in[9];
  std::memcpy(r.destinationRegisters, in + 10, 2);
  std::memcpy(r.sourceRegisters, in + 12, 4);
  for (int i = 0; i < 2; ++i) r.destinationMemory[i] = le64(in + 16 + 8 * i);
  for (int i = 0; i < 4; ++i) r.sourceMemory[i] = le64(in + 32 + 8 * i);
  return r;
}

void expand(const Record& r, uint64_t& storeNumber, std::vector<Instruction>& out) {
  if (r.isBranch > 1)
    throw std::invalid_argument("is_branch is " + std::to_string(r.isBranch) + " (0 or 1)");
  if (r.branchTaken > 1)
    throw std::invalid_argument("branch_taken is " + std::to_string(r.branchTaken) +
                                " (0 or 1)");
  if (r.branchTaken && !r.isBranch)
    throw std::invalid_argument("branch_taken is 1 but is_branch is 0");

  Instruction base;
  base.pc = r.ip;
  bool readsSp = false, readsFlags = false, readsIp = false, readsOther = false;
  bool writesSp = false, writesIp = false;
  for (uint8_t reg : r.sourceRegisters) {
    readsSp |= reg == kRegStackPointer;
    readsFlags |= reg == kRegFlags;
    readsIp |= reg == kRegInstructionPointer;
    readsOther |= reg != 0 && reg != kRegStackPointer && reg != kRegFlags &&
                  reg != kRegInstructionPointer;
    RegId id;
    if (regId(reg, id) && base.srcCount < kMaxSrcRegs &&
        std::find(base.src.begin(), base.src.begin() + base.srcCount, id) ==
            base.src.begin() + base.srcCount)
      base.src[base.srcCount++] = id;
  }
  for (uint8_t reg : r.destinationRegisters) {
    writesSp |= reg == kRegStackPointer;
    writesIp |= reg == kRegInstructionPointer;
    RegId id;
    if (regId(reg, id) &&
        std::find(base.dst.begin(), base.dst.begin() + base.dstCount, id) ==
            base.dst.begin() + base.dstCount)
      base.dst[base.dstCount++] = id;
  }

  uint16_t control = 0;
  if (r.isBranch) {
    // ChampSim's branch-type deduction (inc/instruction.h).
    if (!readsSp && !readsFlags && writesIp && !readsOther)
      control = kFlagUncondCtrl | kFlagDirectCtrl;  // direct jump
    else if (!readsSp && !readsIp && !readsFlags && writesIp && readsOther)
      control = kFlagUncondCtrl;  // indirect jump
    else if (!readsSp && readsIp && !writesSp && writesIp && readsFlags && !readsOther)
      control = kFlagCondCtrl | kFlagDirectCtrl;  // conditional
    else if (readsSp && readsIp && writesSp && writesIp && !readsFlags && !readsOther)
      control = kFlagUncondCtrl | kFlagDirectCtrl;  // direct call
    else if (readsSp && readsIp && writesSp && writesIp && !readsFlags && readsOther)
      control = kFlagUncondCtrl;  // indirect call
    else if (readsSp && !readsIp && writesSp && writesIp)
      control = kFlagUncondCtrl;  // return
    else
      control = kFlagUncondCtrl;  // other branch
  }

  const size_t first = out.size();
  for (uint64_t addr : r.sourceMemory) {
    if (addr == 0) continue;
    Instruction i = base;
    i.opClass = kOpMemRead;
    i.effAddrValid = true;
    i.dataAddr = addr;
    i.accessSize = kAccessSize;
    out.push_back(i);
  }
  for (uint64_t addr : r.destinationMemory) {
    if (addr == 0) continue;
    Instruction i = base;
    i.opClass = kOpMemWrite;
    i.effAddrValid = true;
    i.dataAddr = addr;
    i.accessSize = kAccessSize;
    i.sqIndex = static_cast<int32_t>(storeNumber++ & 0x7fffffff);
    out.push_back(i);
  }
  if (r.isBranch || out.size() == first) {
    Instruction i = base;
    i.opClass = kOpIntAlu;
    i.flags = control;
    i.branching = r.branchTaken != 0;
    out.push_back(i);
  }
  if (out.size() - first > 1)
    for (size_t k = first; k < out.size(); ++k) out[k].flags |= kFlagMicroop;
}

ChampSimTraceReader::ChampSimTraceReader(std::unique_ptr<runtime::ByteSource> source)
    : source_(std::move(source)), buffer_(kFirstRecords * kRecordBytes) {}

bool ChampSimTraceReader::next(InstructionBatch& batch, size_t maxRows) {
  batch.rows.clear();
  batch.labels.clear();
  batch.firstIndex = index_;
  bool badRecordNext = false;  // deliver what came before it first
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
    if (badRecordNext) break;  // the next call reports it
    // Refill whole records.
    if (end_ - begin_ < kRecordBytes) {
      if (eof_) {
        if (end_ > begin_ && !batch.rows.empty()) break;  // error on the next call
        if (end_ > begin_)
          throw StageError(name(),
                           "record " + std::to_string(recordIndex_) + " (byte " +
                               std::to_string(recordIndex_ * kRecordBytes) + ")",
                           "truncated record: " + std::to_string(end_ - begin_) +
                               " of 64 bytes at the end of the trace");
        break;
      }
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      while (end_ < buffer_.size() && !eof_) {
        size_t got = source_->read(buffer_.data() + end_, buffer_.size() - end_);
        if (got == 0) eof_ = true;
        end_ += got;
      }
      if (end_ == buffer_.size() && buffer_.size() < kChunkRecords * kRecordBytes)
        buffer_.resize(buffer_.size() * 2);
      continue;
    }
    // Expand the buffered records, about a batch's worth at a time.
    while (end_ - begin_ >= kRecordBytes && ready_.size() < maxRows) {
      try {
        expand(decode(buffer_.data() + begin_), storeNumber_, ready_);
      } catch (const std::invalid_argument& e) {
        if (!ready_.empty() || !batch.rows.empty()) {
          badRecordNext = true;
          break;
        }
        throw StageError(name(),
                         "record " + std::to_string(recordIndex_) + " (byte " +
                             std::to_string(recordIndex_ * kRecordBytes) + ")",
                         e.what());
      }
      begin_ += kRecordBytes;
      ++recordIndex_;
    }
  }
  index_ += batch.rows.size();
  return !batch.rows.empty();
}

}  // namespace pv::champsim
