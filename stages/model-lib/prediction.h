// What every predictor of times shares: the checks a program representation
// R_p must pass before it meets a model's M_u, the target that holds the
// execution time, and the one dot product T = R_p . M_u (pv-dot-predict for
// a model's table, pv-dse for the points of a design space).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"

namespace pv {

// The "commit" target is in 0.1 ns: time_ns = T_commit / kTimeUnitsPerNs.
inline constexpr double kTimeUnitsPerNs = 10.0;

// Index of the target whose sum is the execution time ("commit"; 0 when
// the model has none).
size_t timeTargetIndex(const Model& model);

// Throws StageError naming `where` when `r` was made by another encoder than
// the model's, has another width, or holds a negative entry (R_i >= 0, so a
// negative sum is a damaged input). `firstIndex` and `instructions` say
// which instructions `r` sums, for the message.
void checkRepresentation(const std::vector<double>& r, uint64_t firstIndex, uint64_t instructions,
                         const std::string& encoderHash, const Model& model, const std::string& where);

// R_p . (row `target` of `uarchRepresentation`, targets x hidden), summed in
// double in order, so that every tool gets the same bits.
double targetDot(const std::vector<double>& r, const std::vector<float>& uarchRepresentation, size_t target);

}  // namespace pv
