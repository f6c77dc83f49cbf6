// ValgrindTraceReader: turns the byte stream of the pvtap Valgrind tool
// (format: valgrind/pvtap_format.h) into instruction batches. Pure: it reads
// a ByteSource and nothing else, so tests feed it bytes.
//
// One guest instruction becomes one or more Instruction records, like gem5
// splits a macro-instruction into micro-ops each with at most one memory
// access (PerfVec's features hold one data address per record):
//   - one MemRead record per load that happened, in program order;
//   - one record for the computation (the instruction's op class, IntAlu
//     when it only sets registers or flags) when the instruction computes,
//     writes the condition codes, transfers control, or made no access;
//   - one MemWrite record per store that happened (sqIndex = a running
//     store number, so feature 2 sees a store-queue store);
//   - a control-transfer instruction puts its computation record last and
//     only that record carries the control flags and the taken bit (gem5's
//     x86 microcode also branches in its last micro-op).
// Every record of a split instruction has kFlagMicroop and the
// instruction's pc, register lists and non-control flags (atomic, barrier,
// serialising). Register lists keep the first 8 sources and 6 destinations
// (the feature layout's slots). Guarded accesses that did not happen (a
// false guard, a failed compare-and-swap's store, accesses after a taken
// exit) make no record.
//
// Failures throw pv::StageError naming the input and the byte position:
// a bad magic, an unknown record or descriptor, a value out of range, a
// stream that ends inside a record or without an end record.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/runtime/byte_source.h"

namespace pv::valgrind {

// The tool's end record.
struct EndRecord {
  enum Reason : uint32_t { kGuestExited = 0, kRegionDone = 1 };
  uint32_t reason = kGuestExited;
  int32_t exitStatus = 0;
  uint64_t skipped = 0;  // guest instructions skipped before the region
  uint64_t traced = 0;   // guest instructions traced
  bool operator==(const EndRecord&) const = default;
};

struct ReaderStats {
  uint64_t guestInstructions = 0;  // EXEC records
  uint64_t records = 0;            // Instruction records emitted
  uint64_t descriptors = 0;
  uint64_t threadSwitches = 0;  // THREAD records after the first
  uint64_t threads = 0;         // distinct thread ids seen
};

class ValgrindTraceReader {
 public:
  explicit ValgrindTraceReader(std::unique_ptr<runtime::ByteSource> source);

  // Replaces `batch` by the next up to `maxRows` (> 0) records with
  // firstIndex set. Returns false once the stream has ended (after its end
  // record) and no record was read. The records of one guest instruction
  // may straddle two batches.
  bool next(InstructionBatch& batch, size_t maxRows);

  // The end record, once read.
  const std::optional<EndRecord>& end() const { return end_; }
  const ReaderStats& stats() const { return stats_; }
  const std::string& name() const { return source_->name(); }

 private:
  // A static instruction, from a DESC record.
  struct Descriptor {
    bool defined = false;
    uint64_t pc = 0;
    uint8_t length = 0;
    uint8_t opClass = 0;
    uint16_t flags = 0;
    uint8_t extra = 0;
    std::vector<std::pair<uint16_t, uint8_t>> accesses;  // size, kind
    uint8_t srcCount = 0, dstCount = 0;
    std::array<RegId, kMaxSrcRegs> src{};
    std::array<RegId, kMaxDstRegs> dst{};
  };
  bool fill(size_t bytes);  // false at end of input with nothing buffered
  void need(size_t bytes, const char* what);
  [[noreturn]] void fail(uint64_t at, const std::string& message) const;
  void readRecord();
  void expand(const Descriptor& d, bool taken, const uint64_t* addrs);

  std::unique_ptr<runtime::ByteSource> source_;
  std::exception_ptr pending_;  // an error met after rows of the last batch
  std::vector<unsigned char> buffer_;
  size_t begin_ = 0, end_bytes_ = 0;  // unread bytes: buffer_[begin_, end_bytes_)
  uint64_t consumed_ = 0;             // stream offset of buffer_[begin_]
  bool magicRead_ = false;
  bool eof_ = false;
  std::vector<Descriptor> descriptors_;  // by id (ids are dense, from 1)
  std::vector<Instruction> ready_;       // expanded, not yet handed out
  size_t readyPos_ = 0;
  uint64_t index_ = 0;
  uint64_t storeNumber_ = 0;
  std::optional<uint32_t> thread_;
  std::vector<uint32_t> threadIds_;
  std::optional<EndRecord> end_;
  ReaderStats stats_;
};

}  // namespace pv::valgrind
