// libFuzzer target: the Cap'n Proto stream reader every stage uses
// (stages/runtime: framing, zstd, traversal and nesting limits, the codec's
// checks of each batch against the header, the end-of-stream checksum).

#include <cstdint>

#include "stages/core/stage_error.h"
#include "stages/runtime/byte_source.h"
#include "stages/runtime/stream.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

template <class Batch>
void drain(pv::runtime::StreamReader& reader) {
  Batch batch;
  while (reader.next(batch)) batch = Batch{};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using pv::PayloadKind;
  try {
    auto reader = pv::runtime::StreamReader::fromBytes(std::make_unique<pv::fuzz::MemorySource>(
        "stream.pvs", data, size, pv::fuzz::pieceOf(data, size)));
    switch (reader->header().payload) {
      case PayloadKind::kInstructions: drain<pv::InstructionBatch>(*reader); break;
      case PayloadKind::kFeatures:
      case PayloadKind::kWindows: drain<pv::FeatureBatch>(*reader); break;
      case PayloadKind::kRepresentations: drain<pv::RepresentationBatch>(*reader); break;
      case PayloadKind::kProgram: drain<pv::ProgramRepresentation>(*reader); break;
    }
  } catch (const pv::StageError&) {
  }
  return 0;
}
