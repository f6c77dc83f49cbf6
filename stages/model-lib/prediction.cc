// The checks of R_p and the dot product of every predictor.

#include "stages/model-lib/prediction.h"

#include <fmt/format.h>

#include "stages/core/stage_error.h"

namespace pv {

size_t timeTargetIndex(const Model& model) {
  for (size_t t = 0; t < model.targetNames.size(); ++t)
    if (model.targetNames[t] == "commit") return t;
  return 0;
}

void checkRepresentation(const std::vector<double>& r, uint64_t firstIndex, uint64_t instructions,
                         const std::string& encoderHash, const Model& model, const std::string& where) {
  if (encoderHash != model.encoderHash)
    throw StageError(where, "",
                     "representation made by encoder " + (encoderHash.empty() ? "<unknown>" : encoderHash) +
                         " cannot be combined with microarchitectures of encoder " + model.encoderHash +
                         " (re-encode the program with this model)");
  const size_t hidden = model.architecture.hidden;
  if (r.size() != hidden)
    throw StageError(where, "", "representation of width " + std::to_string(r.size()) +
                                    ", the model's is " + std::to_string(hidden));
  for (size_t d = 0; d < hidden; ++d)
    if (!(r[d] >= 0))
      throw StageError(where, "", fmt::format("representation entry {} is {} (instructions {}..{}): an encoder "
                                              "output is never negative; the input is damaged",
                                              d, r[d], firstIndex, firstIndex + instructions));
}

double targetDot(const std::vector<double>& r, const std::vector<float>& uarchRepresentation, size_t target) {
  const float* m = uarchRepresentation.data() + target * r.size();
  double dot = 0;
  for (size_t d = 0; d < r.size(); ++d) dot += r[d] * m[d];
  return dot;
}

}  // namespace pv
