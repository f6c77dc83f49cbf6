// libFuzzer target: the reader of the records the Valgrind tool (pvtap)
// writes (pv-trace-tap --valgrind).

#include <cstdint>

#include "stages/core/stage_error.h"
#include "stages/trace-readers/valgrind_trace_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    pv::valgrind::ValgrindTraceReader reader(std::make_unique<pv::fuzz::MemorySource>(
        "pvtap", data, size, pv::fuzz::pieceOf(data, size)));
    pv::InstructionBatch batch;
    while (reader.next(batch, 5)) {
    }
  } catch (const pv::StageError&) {
  }
  return 0;
}
