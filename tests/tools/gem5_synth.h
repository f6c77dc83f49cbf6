// Synthetic gem5 traces in the PerfVec format (see
// stages/trace-readers/gem5_record.h), for tests and benchmarks.
//
// A static program is drawn from `seed`: a few KB of code made of basic
// blocks with ALU, multiply/divide, floating-point, load and store
// instructions, ending in loop back-edges (fixed trip counts), biased or
// patterned conditional branches, unconditional jumps or fall-throughs.
// Loads and stores walk data arrays (2 KB .. 2 MB) with strides, random
// reuse or fixed stack slots. Executing it gives the instruction stream,
// which depends on `seed` only.
//
// The timing (the "microarchitecture": clock, fetch width, ROB size, cache
// sizes and latencies) is drawn from `timingSeed`: traces with the same seed
// and different timing seeds are the same program run on different
// microarchitectures (same pcs and branch outcomes, other timing, cache
// depths and mispredictions).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pv::synth {

struct Gem5SynthOptions {
  uint64_t instructions = 1000;
  uint64_t seed = 1;
  std::optional<uint64_t> timingSeed;  // default: seed
  // Stores become store-queue records (trace line of 9 fields + a
  // trace.sq.txt line). Off: stores are full trace lines with sq_index -1.
  bool storeQueue = true;
  // Trace lines written between a store and its trace.sq.txt line (as gem5
  // writes the record when the store leaves the queue).
  uint32_t sqDelay = 40;
  // A start line (sq_index -99) with this tick before the first instruction.
  std::optional<uint64_t> startTick;
  // Code footprint in bytes (4 bytes per instruction).
  uint32_t codeBytes = 6144;
  // A large data array of this many bytes (0: none): the strided loads and
  // stores walk it line by line (stride 64,
  // each from its own random start), so the distinct data lines grow with
  // the run up to dataBytes / 64. The program is otherwise the same.
  uint64_t dataBytes = 0;
};

// Receives the generated text in pieces of about `chunk` bytes; the sq sink
// is only called when storeQueue is on. Pieces hold whole lines.
using TextSink = std::function<void(std::string_view)>;

void generateGem5Trace(const Gem5SynthOptions& options, const TextSink& trace,
                       const TextSink& sq, size_t chunk = 1 << 16);

struct Gem5SynthText {
  std::string trace;
  std::string sq;
};

// The whole trace in memory.
Gem5SynthText generateGem5Trace(const Gem5SynthOptions& options);

}  // namespace pv::synth
