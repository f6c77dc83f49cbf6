// Fitting microarchitecture representations with the encoder frozen
// (pv-tune). No LibTorch.
//
// Least squares: for a new microarchitecture u and a target t, find m with
// R_k . m ~= y_k over equations k (programs' totals, or their intervals:
// the interval sums of R_i and of the labels). With fewer equations than the
// width H the problem is underdetermined, so the fit is ridge-regularised
// towards a prior (the mean M of the trained microarchitectures):
//   m = prior + argmin_d |X d - (y - X prior)|^2 + lambda |d|^2,
//   lambda = ridge * trace(X^T X) / H.
//
// In a model with non-negative microarchitectures (Model::nonNegativeUarchs)
// the fit is constrained to m >= 0 (nonNegativeRidgeFit).
//
// Parametric: an MLP (one hidden ReLU layer) from a configuration's
// parameter inputs (stages/model-lib/uarch_params.h) to M_u, trained by
// full-batch Adam on the trained microarchitectures (and the simulated
// points of a design-space refinement, pv-dse --simulate, with their own
// weight); in a non-negative model its output passes through ReLU too.
//
// pv-tune and pv-dse both fit, so this lives in the model library.
#pragma once

#include <cstdint>
#include <vector>

#include "stages/model-lib/model_file.h"

namespace pv::fit {

// X: rows x h (row-major), y: rows. Returns h values. Throws
// std::invalid_argument on sizes that do not match or no rows.
std::vector<double> ridgeFit(const std::vector<double>& x, const std::vector<double>& y, size_t h,
                             const std::vector<double>& prior, double ridge);

// ridgeFit under m >= 0 (a quadratic with bounds, solved exactly by Lawson
// and Hanson's active-set method). Where ridgeFit's answer is non-negative
// it is returned as is.
std::vector<double> nonNegativeRidgeFit(const std::vector<double>& x, const std::vector<double>& y, size_t h,
                                        const std::vector<double>& prior, double ridge);

struct MlpOptions {
  int hidden = 64;
  int iterations = 4000;
  double learningRate = 3e-3;
  double weightDecay = 0.1;  // 64 configurations: strong decay generalises best
  uint64_t seed = 1;
  // The weight in the loss of a microarchitecture of origin "simulated" (a
  // point pv-dse simulated and fitted) relative to a trained one.
  double simulatedWeight = 1.0;
};

// Trains model.uarchModel on the model's uarchs that carry parameters and a
// representation (origin "trained" or "", and "simulated"); returns the
// weighted mean squared error of the fit on them, relative to the spread
// of M. Throws StageError when fewer than 4 trained ones have parameters.
double fitParametricModel(Model& model, const MlpOptions& options);

}  // namespace pv::fit
