// pv-tune: new microarchitectures for a trained model, encoder frozen.
//
//   pv-tune -m MODEL -o OUT --dataset DIR [--uarchs A,B]       least squares
//   pv-tune -m MODEL -o OUT --parametric                        MLP params -> M_u
//
// Least squares: the programs' representations (their intervals, or totals
// with --interval 0) and their measured or simulated times on the new
// microarchitecture give M_u (ridge towards the mean trained M), each
// program weighed by its relative error (--absolute: by its time). The
// parametric variant learns M_u from configuration parameters, so that
// pv-dot-predict --uarch CONFIG.toml predicts for configurations never
// simulated. In a non-negative model (--non-negative, or pv-train's models)
// every fit is under M_u >= 0. Flags only; the work is pv::tune::runTune
// (tuning.h).

#include <CLI/CLI.hpp>
#include <iostream>

#include "stages/model-lib/instruction_encoder.h"
#include "stages/runtime/tool.h"
#include "stages/tune/tuning.h"

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  pv::tune::TuneOptions o;
  o.threads = pv::encode::availableCpus();
  pv::tune::LeastSquaresOptions& ls = o.leastSquares;
  pv::runtime::Tool tool("pv-tune", "pv-tune: adds microarchitectures to a trained model with the encoder frozen: least squares of "
               "M_u over programs' representations and times (--dataset), or a parametric MLP from configuration "
               "parameters to M_u (--parametric).");
  CLI::App& app = tool.cli();
  app.add_option("-m,--model", o.modelPath, "Trained model (.pvm)")->required();
  app.add_option("-o,--output", o.output, "The tuned model to write (appears when complete)")->required();
  app.add_option("--dataset", o.dataset, "pv-dataset folder with the programs labelled on the new microarchitectures");
  app.add_option("--uarchs", ls.uarchs, "Microarchitectures to fit (default: those labelled but not in the model)")
      ->delimiter(',');
  app.add_option("--programs", o.programs, "Programs to fit on (default: the model's training programs)")
      ->delimiter(',');
  app.add_option("--interval", o.interval, "Records per equation (interval sums); 0: one equation per program total")
      ->capture_default_str();
  app.add_option("--ridge", ls.ridge, "Regularisation towards the mean trained M_u (relative)")->capture_default_str();
  app.add_flag("--relative,!--absolute", ls.relative,
               "Weigh each program by its relative error, its equations divided by its mean label sum per "
               "equation (default; pv-eval reports relative errors), or by its time (--absolute, before 0.17)")
      ->capture_default_str();
  app.add_option("--uarch-dir", ls.uarchDir, "Configurations (NAME.toml) to record (default: DATASET/uarchs)");
  app.add_flag("--replace", ls.replace, "Replace microarchitectures the model already has");
  app.add_flag("--refit", ls.refit,
               "Also refit the model's own microarchitectures (calibration: least squares on the programs' "
               "intervals, towards each one's trained M_u; they keep their origin)");
  app.add_flag("--parametric", o.parametric, "Fit the parametric model (MLP from parameters to M_u)");
  app.add_flag("--non-negative", o.nonNegative,
               "Constrain every M_u to >= 0 from now on, so that no prediction can be negative (models from "
               "pv-train 0.15 are; an older model needs --dataset DIR --refit, and --parametric if it has an MLP)");
  app.add_option("--mlp-hidden", o.mlp.hidden, "Hidden units of the parametric MLP")->capture_default_str();
  app.add_option("--mlp-iterations", o.mlp.iterations, "Full-batch Adam iterations")->capture_default_str();
  app.add_option("--mlp-weight-decay", o.mlp.weightDecay, "Decoupled weight decay of the MLP's weights")
      ->capture_default_str();
  app.add_option("--name", o.name, "The output model's name (default: the input's)");
  app.add_option("--description", o.description, "The output model's description (default: the input's)");
  app.add_option("--max-rows", o.maxRows, "Use at most this many records of each program");
  app.add_option("-t,--threads", o.threads, "CPU threads for encoding")->capture_default_str();
  app.add_flag("-q,--quiet", o.quiet, "Only errors");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] { pv::tune::runTune(o, std::cerr); });
}
