// A two-microarchitecture model of width 3 and a program representation
// stream, for pv-dot-predict's tests.
#pragma once

#include <string>

#include "stages/model-lib/model_file.h"
#include "stages/runtime/stream.h"

namespace pv::testing {

// Targets fetch and commit; "fast" at 2 GHz, "slow" without a clock. With
// R_p = (1, 2, 3): fast's commit is 140 (14 ns), slow's 320 (32 ns).
inline Model twoUarchModel() {
  Model m;
  m.architecture = {"lstm", 2, 3, 1, 4, 0};
  m.featureColumns = {"a", "b"};
  m.featureMean = {0, 0};
  m.featureStd = {1, 1};
  m.targetNames = {"fetch", "commit"};
  m.uarchs = {{"fast", {}, 2.0, {1, 0, 0, /*commit*/ 10, 20, 30}, ""},
              {"slow", {}, 0.0, {0, 1, 0, /*commit*/ 40, 50, 60}, ""}};
  m.tensors = {{"w", {1}, {0.5f}}};
  m.encoderHash = computeEncoderHash(m);
  m.contentHash = computeContentHash(m);
  return m;
}

// A stream holding one program representation made by `encoderHash`.
inline void writeProgram(const std::string& path, const std::string& encoderHash,
                         const ProgramRepresentation& program) {
  StreamHeader h;
  h.payload = PayloadKind::kProgram;
  h.representationDim = static_cast<uint32_t>(program.sum.size());
  h.modelId = encoderHash;
  auto w = runtime::StreamWriter::open(path);
  w->writeHeader(h);
  w->write(ProgramRepresentation(program));
  w->writeEnd(program.instructions);
  w->close();
}

}  // namespace pv::testing
