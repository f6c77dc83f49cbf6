// libFuzzer target: the gem5 text trace reader (pv-trace-tap's default
// input). Bytes after the first NUL are the store-queue file (trace.sq.txt).
// Both ways of reading are fuzzed: with input threads and on the calling
// thread (Gem5ReaderOptions::inputThreads; the same line parser).

#include <cstdint>
#include <string_view>

#include "stages/core/stage_error.h"
#include "stages/trace-readers/gem5_trace_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  size_t nul = all.find('\0');
  size_t traceBytes = nul == std::string_view::npos ? size : nul;
  const size_t piece = pv::fuzz::pieceOf(data, size);
  auto trace = pv::gem5::openedSource(
      std::make_unique<pv::fuzz::MemorySource>("trace.txt", data, traceBytes, piece));
  pv::gem5::SourceOpener sq;
  if (nul != std::string_view::npos)
    sq = pv::gem5::openedSource(std::make_unique<pv::fuzz::MemorySource>(
        "trace.sq.txt", data + nul + 1, size - nul - 1, piece));
  pv::gem5::Gem5ReaderOptions options;
  options.chunkBytes = 4096;
  options.readAheadBytes = 1 << 16;
  options.queueBytes = 1 << 20;
  // One input in eight runs the input threads (each costs about 2 ms under
  // ASan to start and end); the others read on this thread. Bits 4-6 of the
  // first byte, which pieceOf leaves alone.
  options.inputThreads = size > 0 && (data[0] >> 4 & 7) == 0;
  try {
    pv::gem5::Gem5TraceReader reader(trace, sq, options);
    pv::InstructionBatch batch;
    std::vector<pv::gem5::StartMark> starts;
    while (reader.next(batch, 7, &starts)) {
    }
  } catch (const pv::StageError&) {
  }
  return 0;
}
