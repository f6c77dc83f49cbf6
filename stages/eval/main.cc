// pv-eval: the PerfVec evaluation as a command. For every program of the
// given pv-dataset folders (or labelled streams) and every microarchitecture
// that both the model's table and the labels have, it predicts the execution
// time as R_p . M_u (commit target) and compares it with the ground truth
// (the sum of the commit labels), then reports the error per program (mean
// and max over microarchitectures) separately for seen / unseen programs
// and seen / unseen microarchitectures, as a table and optionally CSV.
// Flags only; the work is pv::eval::runEvaluation (evaluation.h).

#include <CLI/CLI.hpp>
#include <iostream>

#include "stages/eval/evaluation.h"
#include "stages/model-lib/instruction_encoder.h"
#include "stages/runtime/slurm_job.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  pv::eval::EvaluationOptions o;
  o.threads = pv::encode::availableCpus();
  pv::runtime::Tool tool("pv-eval", "pv-eval: predicts total execution time R_p . M_u for (program, microarchitecture) pairs with ground truth "
      "(pv-dataset folders or labelled feature streams) and reports the error per program, for seen and unseen "
      "programs and microarchitectures.");
  CLI::App& app = tool.cli();
  app.add_option("-m,--model", o.modelPath, "Model file (.pvm)")->required();
  app.add_option("--dataset", o.datasets, "pv-dataset folder(s): their finished workloads");
  app.add_option("streams", o.streams, "Labelled feature streams (name = file base name)");
  app.add_option("--programs", o.programs, "Only these programs (comma-separated)")->delimiter(',');
  app.add_option("--split", o.split, "With --dataset: only the workloads of this split of the suite")
      ->capture_default_str()
      ->check(CLI::IsMember({"train", "validation", "test", "all"}));
  app.add_option("--csv", o.csvPath,
                 "Also write every pair as CSV to this file ('-': stdout, no table; a file appears when complete)");
  app.add_option("--max-rows", o.maxRows, "Use at most this many records of each program");
  app.add_option("-t,--threads", o.threads, "CPU threads for encoding")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_flag("-q,--quiet", o.quiet, "No progress lines");
  pv::runtime::slurm::addOptions(
      app, o.slurm,
      "Evaluate the programs on a Slurm cluster as an array job (one program per task), wait for it and merge "
      "the tasks' pairs into the same table and CSV; a rerun submits only the programs not evaluated yet",
      "Write the job script to DIR/job.sbatch, print it and exit: submit nothing");
  pv::runtime::slurm::addDirOption(app, o.slurm, "script, parts, Slurm logs", "pv-eval-slurm");
  // What each array task runs (README.md, "On a Slurm cluster").
  app.add_option("--slurm-task", o.slurmTask)->group("");
  app.add_option("--slurm-name", o.slurmName)->group("");
  pv::runtime::addCurveOptions(app);
  if (auto rc = tool.parse(argc, argv)) return *rc;
  o.threadsGiven = app.count("--threads") > 0;
  return tool.guard([&] { pv::eval::runEvaluation(o, std::cout, std::cerr); });
}
