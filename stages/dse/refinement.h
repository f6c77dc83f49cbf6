// Refinement by simulation (pv-dse --simulate N), as PerfVec's DSE does it:
// the model ranks the space; the N best points not simulated yet are
// simulated (pv-uarch on every program); each simulated point gets the M_u
// that reproduces its simulated times (ridge least squares on the programs'
// R_p, towards the parametric M(params) of the point); the parametric model
// is refitted with those points added (origin "simulated", weighted); the
// space is searched again with it. The chosen design is the simulated point
// with the lowest simulated objective: a number measured, not predicted.
//
// The simulator is a function, so that the loop is tested without
// processes; pv-dse's is pv-uarch (dse_command.cc).
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "stages/dse/search.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/uarch_fit.h"

namespace pv::dse {

// A point to simulate: its configuration as pv-uarch reads it.
struct PointToSimulate {
  std::string name;  // "sim-3": the configuration's name, unique in a refinement
  PointChoice choice;
  std::string configToml;
};

// The programs' simulated times: result[point][program] in ns, programs in
// the order of the refinement's programs. Throws StageError on a failure.
using Simulator = std::function<std::vector<std::vector<double>>(const std::vector<PointToSimulate>& points)>;

struct RefineOptions {
  size_t perRound = 0;  // points simulated a round (0: no refinement)
  size_t rounds = 2;
  double ridge = 1e-3;  // of the least squares of a simulated point's M_u (fit::ridgeFit)
  fit::MlpOptions mlp;  // the refit of the parametric model; simulatedWeight weighs the simulated points
};

struct SimulatedPoint {
  PointToSimulate point;
  size_t round = 0;      // 1-based
  PointValue predicted;  // the model's values when the point was chosen
  PointValue simulated;  // the same from the simulated times
};

struct Refinement {
  std::vector<SimulatedPoint> simulated;  // in the order simulated
  size_t chosen = 0;                      // index into simulated: the lowest simulated objective
  Model model;                            // the model with the refitted parametric model
  double simulateSeconds = 0, fitSeconds = 0;
};

// The refinement loop; `model` must have a parametric model and `programs`
// its representations. Stops early when every feasible point is simulated.
// Progress lines on `log` (none when null). Throws StageError (a failed
// simulation, a negative simulated time) and search's errors.
Refinement refineBySimulation(const DesignSpace& space, const Model& model, const std::vector<Program>& programs,
                              const ObjectiveOptions& objective, const SearchOptions& search,
                              const RefineOptions& options, const Simulator& simulate, std::ostream* log);

}  // namespace pv::dse
