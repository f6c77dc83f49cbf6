// libFuzzer target: the ChampSim trace record reader (pv-trace-tap --champsim).

#include <cstdint>

#include "stages/core/stage_error.h"
#include "stages/trace-readers/champsim_trace_reader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    pv::champsim::ChampSimTraceReader reader(std::make_unique<pv::fuzz::MemorySource>(
        "trace.champsim", data, size, pv::fuzz::pieceOf(data, size)));
    pv::InstructionBatch batch;
    while (reader.next(batch, 5)) {
    }
  } catch (const pv::StageError&) {
  }
  return 0;
}
