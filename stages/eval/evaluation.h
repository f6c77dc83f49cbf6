// pv-eval's evaluation: for every program with ground truth and every
// microarchitecture that both the model's table and the program's labels
// have, the predicted execution time R_p . M_u (the commit target) against
// the truth (the sum of the commit labels), and the tables of the errors
// per program and per group (seen / unseen programs x seen / unseen
// microarchitectures).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"
#include "stages/model-lib/program_summary.h"
#include "stages/runtime/slurm_job.h"

namespace pv::eval {

// One (program, microarchitecture) pair; times in the commit target's
// unit, 0.1 ns.
struct EvaluatedPair {
  std::string program, uarch;
  bool programSeen = false;  // the model's training record lists the program
  bool uarchSeen = false;    // its M_u was trained (origin "trained" or unknown)
  double truth = 0, predicted = 0;
  double error() const { return (predicted - truth) / truth; }
};

struct Evaluation {
  std::vector<std::string> programs;  // in input order
  std::vector<EvaluatedPair> pairs;   // by program, then in the model's table order
};

// The pairs of one encoded program (`source` names its stream in errors):
// StageError when the model or the labels have no commit target, or a
// truth is 0.
std::vector<EvaluatedPair> evaluateProgram(const Model& model, const ProgramSummary& summary,
                                           const std::string& source);

// program,uarch,program_seen,uarch_seen,truth_ns,predicted_ns,error
// (times in ns with 3 decimals, error (predicted - truth) / truth with 6).
std::string formatEvaluationCsv(const Evaluation& evaluation);
// The model line, a line per program (pairs, mean and max |error| over its
// seen and its unseen microarchitectures), then a line per group.
std::string formatEvaluationTable(const Model& model, const Evaluation& evaluation);

// What pv-eval's command line gives.
struct EvaluationOptions {
  std::string modelPath;
  std::vector<std::string> datasets;  // pv-dataset folders: their finished workloads
  std::vector<std::string> streams;   // labelled feature streams (name: the file's base name)
  std::vector<std::string> programs;  // only these (empty: all)
  std::string split = "all";          // with datasets: only their workloads of this split
  std::string csvPath;                // also the pairs as CSV ("-": stdout instead of the table)
  int64_t maxRows = 0;                // records of each program (0: all)
  int threads = 1;
  bool threadsGiven = false;          // -t given: Slurm tasks get it too (else each uses its node's CPUs)
  bool quiet = false;                 // no progress lines
  // On a Slurm cluster (README.md, "On a Slurm cluster"; eval_slurm.h): the
  // programs as an array job, one task a program (slurm.submit), or its
  // script written and printed (slurm.print); the job's files in
  // slurm.dir ("": pv-eval-slurm in the current folder).
  runtime::slurm::Options slurm;
  // One task of such a job (hidden --slurm-task PART --slurm-name NAME
  // STREAM): evaluates the one stream as program NAME and writes its pairs
  // to PART instead of the table.
  std::string slurmTask, slurmName;
};

// A stream to evaluate and the program's name.
struct EvaluationInput {
  std::string spec, name;
};
// The datasets' finished workloads and the streams, those of `programs`
// only. UsageError when none is given; StageError when a dataset has no
// manifest, the datasets have no finished workload, or the filter leaves
// none.
std::vector<EvaluationInput> evaluationInputs(const EvaluationOptions& options);

// One input's pairs: its stream encoded with the model (encoder,
// maxRows), its labels summed.
std::vector<EvaluatedPair> evaluateInput(const Model& model, const encode::InstructionEncoder& encoder,
                                         const EvaluationInput& input, int64_t maxRows);

// Everything pv-eval does: loads the model, encodes every input, writes the
// CSV (a file appears whole or not at all: runtime/output_file.h) and the
// table on `out`; progress lines on `log` unless quiet.
void runEvaluation(const EvaluationOptions& options, std::ostream& out, std::ostream& log);

}  // namespace pv::eval
