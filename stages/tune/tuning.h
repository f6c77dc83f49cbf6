// pv-tune's flows: new (or refitted) microarchitectures by least squares on
// programs' representations and label sums, and the parametric model, with
// the encoder frozen (uarch_fit.h has the numerics).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"
#include "stages/model-lib/program_summary.h"
#include "stages/model-lib/uarch_fit.h"

namespace pv::tune {

struct LeastSquaresOptions {
  // The microarchitectures to fit; empty: those labelled in the first
  // summary and not in the model (with refit: every labelled one).
  std::vector<std::string> uarchs;
  double ridge = 1e-3;
  // Weigh each program's equations by 1 / its mean label sum per equation
  // (its relative error) instead of its time. Chosen on the validation
  // programs (docs/accuracy.md, round 4): 0.4-2.4 points lower mean error.
  bool relative = true;
  std::string uarchDir;  // NAME.toml configurations to record ("": none)
  bool replace = false;  // replace microarchitectures the model has
  bool refit = false;    // also refit the model's own (implies replace; they keep their origin)
};

// Fits M_u of each microarchitecture, target by target, on the summaries:
// one equation per interval when the summaries have intervals, else one per
// program total; towards the microarchitecture's own M_u when the model has
// it, else the mean M of the trained ones. New entries have origin "tuned"
// and the parameters and clock of UARCH_DIR/NAME.toml when it exists.
// Returns the names fitted. StageError for no summaries or every labelled
// microarchitecture being in the model already (naming `dataName`, where
// the summaries come from), missing labels (naming the summary), or one the
// model has without replace (naming `modelName`).
std::vector<std::string> fitLeastSquares(Model& model, const std::vector<eval::ProgramSummary>& summaries,
                                         const LeastSquaresOptions& options, const std::string& modelName,
                                         const std::string& dataName);

// What pv-tune's command line gives.
struct TuneOptions {
  std::string modelPath, output;
  std::string dataset;                // least squares on this pv-dataset folder
  std::vector<std::string> programs;  // fitting programs (empty: the model's training programs)
  uint64_t interval = 16384;          // records per equation; 0: one per program total
  int64_t maxRows = 0;
  int threads = 1;
  LeastSquaresOptions leastSquares;   // uarchDir "": DATASET/uarchs
  bool parametric = false;
  fit::MlpOptions mlp;
  // Make the model's microarchitectures non-negative (Model::nonNegativeUarchs):
  // every fit from here on is under m >= 0. UsageError where an M_u that is
  // not refitted (no --refit) is negative, or where a parametric model
  // fitted without the bound would stay (no --parametric).
  bool nonNegative = false;
  // The output's name and description ("": the input's). A calibrated or
  // extended model is another model than the one it came from.
  std::string name, description;
  bool quiet = false;
};

// Everything pv-tune does: loads the model, fits, writes the output (whole
// or not at all: runtime/output_file.h); progress lines on `log` unless
// quiet. UsageError when there is nothing to do (no dataset, no
// --parametric).
void runTune(const TuneOptions& options, std::ostream& log);

}  // namespace pv::tune
