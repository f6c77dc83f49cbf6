// pv-dot-predict's work once its command line is parsed: the model and its
// microarchitecture table (another model's, parametric configurations),
// the program representation, the prediction, and its text written to the
// output (a file appears whole or not at all: runtime/output_file.h).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "stages/dot-predict/prediction_report.h"

namespace pv {

struct DotPredictOptions {
  std::string input = "-";               // the R_p stream
  std::string modelPath;                 // -m
  std::string uarchTablePath;            // --uarchs: the table of this model file instead
  std::vector<std::string> configPaths;  // --uarch: parametric M_u of these configurations
  std::string truthPath;                 // --truth: a pv-uarch --report (JSON)
  std::string output = "-";
  PredictionFormat format = PredictionFormat::kText;
  bool allTargets = false;
  bool intervals = false;
  std::string program;  // --program: the caption says whether the model saw it
};

struct Model;

// The microarchitectures of `model` whose M_u was learned with the encoder:
// the model's training record names programs, and the microarchitecture's
// origin is "trained" (or unknown, as pv-eval counts it) and it is not among
// the record's held-out ones (not "tuned" by pv-tune, not parametric).
// Empty when the model records no training (pv-model init).
std::set<std::string> uarchsSeenInTraining(const Model& model);

// One line on what `model` saw of `program` and of its microarchitectures,
// e.g. "program 'stencil': not seen in training (the model trained on 16
// programs: xz, gzip, ...); 64 of its 74 microarchitectures were seen in
// training, 10 not".
std::string trainingCaption(const Model& model, const std::string& program);

// Throws runtime::UsageError for --truth with --intervals (the truth is of
// the whole program), StageError for bad input (naming it).
void runDotPredict(const DotPredictOptions& options);

}  // namespace pv
