// DotPredictor: dot products of R_p with each M_u row.

#include "stages/dot-predict/dot_predictor.h"

#include <fmt/format.h>

#include "stages/core/stage_error.h"

namespace pv {

Prediction predict(const std::vector<double>& r, uint64_t firstIndex, uint64_t instructions,
                   const std::string& encoderHash, const Model& model, const std::string& where) {
  checkRepresentation(r, firstIndex, instructions, encoderHash, model, where);
  Prediction p;
  p.firstIndex = firstIndex;
  p.instructions = instructions;
  const size_t time = timeTargetIndex(model);
  for (const auto& u : model.uarchs) {
    UarchPrediction up;
    up.uarch = u.name;
    up.clockGhz = u.clockGhz;
    for (size_t t = 0; t < model.targetNames.size(); ++t) {
      const double dot = targetDot(r, u.representation, t);
      // A negative count or time is physically impossible: an error, never a
      // number to print (a model whose M_u are constrained cannot make one).
      if (!(dot >= 0))
        throw StageError(where, "",
                         fmt::format("predicted {} = {} on microarchitecture '{}' for instructions {}..{}: "
                                     "negative, which no execution can take; the model's M_u are {}",
                                     model.targetNames[t], dot, u.name, firstIndex, firstIndex + instructions,
                                     model.nonNegativeUarchs ? "non-negative, so the representation is damaged"
                                                             : "unconstrained (a model from before 0.15: "
                                                               "pv-tune --refit --non-negative constrains them)"));
      up.targets.push_back(dot);
    }
    up.timeNs = up.targets[time] / kTimeUnitsPerNs;
    if (up.clockGhz > 0) {
      up.cycles = up.timeNs * up.clockGhz;
      if (instructions > 0) up.cpi = up.cycles / static_cast<double>(instructions);
    }
    p.uarchs.push_back(std::move(up));
  }
  return p;
}

}  // namespace pv
