// ChampSimTraceReader: reads ChampSim instruction traces (the format of the
// DPC-3 and CRC-2 traces) into instruction batches. Pure: it reads a
// ByteSource (decompression: compressed_source.h).
//
// A record is 64 little-endian bytes:
//   u64 ip; u8 is_branch; u8 branch_taken; u8 destination_registers[2];
//   u8 source_registers[4]; u64 destination_memory[2]; u64 source_memory[4]
// (register 0 and address 0 mean "none").
//
// The format has no opcode, so the op class is inferred, and a record
// becomes one or more Instruction records the way the Valgrind tap splits
// instructions (gem5-like micro-ops with one data address each):
//   - one MemRead per non-zero source_memory, in order;
//   - one MemWrite per non-zero destination_memory (sqIndex = running store
//     number);
//   - one IntAlu record for a branch (last, with the control flags and the
//     taken bit) or for a record without memory operands.
// Split records carry kFlagMicroop, the ip and all the registers. Access
// sizes are unknown to the format and set to 8. Branch kinds follow
// ChampSim's own deduction from the registers (instruction pointer 26,
// flags 25, stack pointer 6): conditional (reads flags and ip, writes ip)
// = cond + direct; direct jump / direct call = uncond + direct; indirect
// jump / call and return = uncond. Registers: the integer registers of
// Pin's numbering (3..18) become x86 integer registers 0-15, flags the
// condition-code register (class 5, 0); the instruction pointer is not a
// register operand in gem5 and is left out; any other number keeps its
// value as a misc register (class 6), its meaning being unknown.
//
// Errors throw pv::StageError "FILE:record N (byte B): reason": a truncated
// final record, is_branch or branch_taken other than 0/1, a taken
// non-branch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/runtime/byte_source.h"

namespace pv::champsim {

inline constexpr size_t kRecordBytes = 64;

// The on-disk record, as the format defines it.
struct Record {
  uint64_t ip = 0;
  uint8_t isBranch = 0;
  uint8_t branchTaken = 0;
  uint8_t destinationRegisters[2] = {};
  uint8_t sourceRegisters[4] = {};
  uint64_t destinationMemory[2] = {};
  uint64_t sourceMemory[4] = {};
};

// Encodes/decodes one record (little-endian, 64 bytes).
void encode(const Record& r, unsigned char* out);
Record decode(const unsigned char* in);

// Appends the Instruction records of `r` (see above); `storeNumber` counts
// stores for sqIndex. Throws std::invalid_argument for a bad record.
void expand(const Record& r, uint64_t& storeNumber, std::vector<Instruction>& out);

class ChampSimTraceReader {
 public:
  explicit ChampSimTraceReader(std::unique_ptr<runtime::ByteSource> source);

  // Replaces `batch` by the next up to `maxRows` instruction records (one
  // trace record may give several, and may straddle batches). Returns false
  // at the end with no record read.
  bool next(InstructionBatch& batch, size_t maxRows);

  uint64_t traceRecords() const { return recordIndex_; }
  const std::string& name() const { return source_->name(); }

 private:
  std::unique_ptr<runtime::ByteSource> source_;
  std::vector<unsigned char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t recordIndex_ = 0;
  uint64_t index_ = 0;
  uint64_t storeNumber_ = 0;
  std::vector<Instruction> ready_;
  size_t readyPos_ = 0;
};

}  // namespace pv::champsim
