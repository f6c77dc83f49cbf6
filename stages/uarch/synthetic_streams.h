// Synthetic instruction streams whose timing follows from the configuration
// (the micro-benchmarks of the tests and the benchmark): each builder
// returns committed instructions as a tap would deliver them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "stages/core/instruction.h"
#include "stages/core/op_class.h"

namespace pv::uarch::synthetic {

inline constexpr uint64_t kCodeBase = 0x400000;
inline constexpr uint64_t kDataBase = 0x10000000;

inline Instruction alu(uint64_t pc, uint16_t dst, std::vector<uint16_t> srcs = {}) {
  Instruction i;
  i.pc = pc;
  i.opClass = kOpIntAlu;
  i.dstCount = 1;
  i.dst[0] = RegId{0, dst};
  for (uint16_t s : srcs) i.src[i.srcCount++] = RegId{0, s};
  return i;
}

inline Instruction load(uint64_t pc, uint64_t addr, uint16_t dst, std::vector<uint16_t> srcs = {}) {
  Instruction i = alu(pc, dst, std::move(srcs));
  i.opClass = kOpMemRead;
  i.effAddrValid = true;
  i.dataAddr = addr;
  i.accessSize = 8;
  return i;
}

inline Instruction store(uint64_t pc, uint64_t addr, uint16_t dataReg) {
  Instruction i;
  i.pc = pc;
  i.opClass = kOpMemWrite;
  i.effAddrValid = true;
  i.dataAddr = addr;
  i.accessSize = 8;
  i.sqIndex = 0;
  i.srcCount = 1;
  i.src[0] = RegId{0, dataReg};
  return i;
}

inline Instruction branch(uint64_t pc, bool conditional, bool taken) {
  Instruction i;
  i.pc = pc;
  i.opClass = kOpIntAlu;
  i.flags = uint16_t((conditional ? kFlagCondCtrl : kFlagUncondCtrl) | kFlagDirectCtrl);
  i.branching = taken;
  return i;
}

// Independent integer ALU operations in a loop of `body` instructions
// closed by a jump.
inline std::vector<Instruction> independentAlu(size_t n, size_t body = 256) {
  std::vector<Instruction> out;
  out.reserve(n);
  for (size_t k = 0; out.size() < n; k = (k + 1) % body) {
    const uint64_t pc = kCodeBase + 4 * k;
    out.push_back(k + 1 == body ? branch(pc, false, true) : alu(pc, uint16_t(k % 32)));
  }
  return out;
}

// A chain of loads, each address coming from the previous load, visiting
// the lines of `bytes` of memory in a random cyclic order.
inline std::vector<Instruction> pointerChase(size_t n, uint64_t bytes, uint64_t seed = 1) {
  const size_t lines = bytes / 64;
  std::vector<uint64_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Instruction> out;
  out.reserve(n);
  constexpr size_t kBody = 64;
  for (size_t i = 0; out.size() < n; ++i) {
    const size_t k = i % kBody;
    const uint64_t pc = kCodeBase + 4 * k;
    if (k + 1 == kBody) {
      out.push_back(branch(pc, false, true));
      continue;
    }
    out.push_back(load(pc, kDataBase + order[i % lines] * 64, 1, {1}));
  }
  return out;
}

// Blocks of `block - 1` independent ALU operations and a conditional branch
// whose target is the next instruction, so that the instruction sequence is
// the same whatever the outcomes: random outcomes (or all taken when
// `random` is false).
inline std::vector<Instruction> branches(size_t n, size_t block, bool random, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<Instruction> out;
  out.reserve(n);
  constexpr size_t kBody = 1024;
  for (size_t i = 0; out.size() < n; ++i) {
    const size_t k = i % kBody;
    const uint64_t pc = kCodeBase + 4 * k;
    if (k + 1 == kBody) out.push_back(branch(pc, false, true));
    else if (k % block == block - 1) out.push_back(branch(pc, true, random ? (rng() & 1) : true));
    else out.push_back(alu(pc, uint16_t(k % 32)));
  }
  return out;
}

// Independent loads (no register dependences) at random lines of `bytes`,
// each followed by `aluPerLoad` independent ALU operations.
inline std::vector<Instruction> independentLoads(size_t n, uint64_t bytes, size_t aluPerLoad,
                                                 uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<Instruction> out;
  out.reserve(n);
  constexpr size_t kBody = 256;
  for (size_t i = 0; out.size() < n; ++i) {
    const size_t k = i % kBody;
    const uint64_t pc = kCodeBase + 4 * k;
    if (k + 1 == kBody) out.push_back(branch(pc, false, true));
    else if (k % (aluPerLoad + 1) == 0) out.push_back(load(pc, kDataBase + (rng() % (bytes / 64)) * 64, uint16_t(k % 32)));
    else out.push_back(alu(pc, uint16_t(k % 32)));
  }
  return out;
}

// Loads sweeping `bytes` of memory line by line, over and over.
inline std::vector<Instruction> sweep(size_t n, uint64_t bytes) {
  std::vector<Instruction> out;
  out.reserve(n);
  constexpr size_t kBody = 128;
  const uint64_t lines = bytes / 64;
  uint64_t line = 0;
  for (size_t i = 0; out.size() < n; ++i) {
    const size_t k = i % kBody;
    const uint64_t pc = kCodeBase + 4 * k;
    if (k + 1 == kBody) {
      out.push_back(branch(pc, false, true));
      continue;
    }
    out.push_back(load(pc, kDataBase + (line++ % lines) * 64, uint16_t(k % 32)));
  }
  return out;
}

// A mix like compiled code: ALU chains, multiplies, floating point, loads
// and stores over a few arrays, loop and data-dependent branches.
inline std::vector<Instruction> mixed(size_t n, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<Instruction> out;
  out.reserve(n);
  constexpr size_t kBody = 2000;
  uint64_t cursor[4] = {0, 0, 0, 0};
  for (size_t i = 0; out.size() < n; ++i) {
    const size_t k = i % kBody;
    const uint64_t pc = kCodeBase + 4 * k;
    const uint64_t r = rng();
    const uint16_t a = uint16_t(r % 24), b = uint16_t((r >> 8) % 24), c = uint16_t((r >> 16) % 24);
    if (k + 1 == kBody) {
      out.push_back(branch(pc, false, true));
    } else if (k % 7 == 6) {
      Instruction br = branch(pc, true, ((r >> 24) % 100) < (k % 3 == 0 ? 50 : 95));
      br.srcCount = 1;
      br.src[0] = RegId{0, a};
      out.push_back(br);
    } else {
      const uint64_t kind = (r >> 32) % 100;
      // Most accesses go to small arrays, as in real code.
      const uint64_t pickArray = (r >> 40) % 100;
      const uint64_t array = pickArray < 55 ? 0 : pickArray < 80 ? 1 : pickArray < 95 ? 2 : 3;
      const uint64_t span = uint64_t(4096) << (4 * array);  // 4 KB .. 16 MB
      uint64_t& at = cursor[array];
      at = (array == 3 ? (r >> 44) * 64 : at + 8) % span;
      const uint64_t addr = kDataBase + (array << 28) + at;
      if (kind < 20) out.push_back(load(pc, addr, a, {b}));
      else if (kind < 30) out.push_back(store(pc, addr, b));
      else {
        Instruction op = alu(pc, a, {b, c});
        if (kind < 35) op.opClass = uint16_t(OpClass::kIntMult);
        else if (kind < 42) op.opClass = uint16_t(OpClass::kFloatAdd);
        else if (kind < 45) op.opClass = uint16_t(OpClass::kFloatMult);
        out.push_back(op);
      }
    }
  }
  return out;
}

}  // namespace pv::uarch::synthetic
