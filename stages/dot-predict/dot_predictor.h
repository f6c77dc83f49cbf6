// DotPredictor: T = R_p . M_u for every microarchitecture u of a model and
// every target, plus the derived execution time: the "commit" target is in
// 0.1 ns, so time_ns = T_commit / 10, cycles = time_ns x clock (GHz) when the
// clock is known, and CPI = cycles / instructions.
//
// An R_p is only meaningful with the M_u of the encoder that produced it:
// predict() refuses a representation whose encoder hash differs from the
// model's.
#pragma once

#include <string>
#include <vector>

#include "stages/core/representation.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/prediction.h"

namespace pv {

struct UarchPrediction {
  std::string uarch;
  std::vector<double> targets;  // one per model target, in target units
  double timeNs = 0;
  double clockGhz = 0;          // 0: unknown (no cycles / CPI)
  double cycles = 0;
  double cpi = 0;
};

struct Prediction {
  uint64_t firstIndex = 0;      // interval start (0 for the whole program)
  uint64_t instructions = 0;
  std::vector<UarchPrediction> uarchs;
};

// Throws StageError when the representation fails checkRepresentation
// (model-lib/prediction.h): another encoder, width, a negative entry.
// `where` names the representation's input.
Prediction predict(const std::vector<double>& representation, uint64_t firstIndex,
                   uint64_t instructions, const std::string& encoderHash, const Model& model,
                   const std::string& where);

}  // namespace pv
