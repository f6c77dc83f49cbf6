// pv-eval on a Slurm cluster (README.md, "On a Slurm cluster"). Encoding
// each program's stream is the cost, and the programs are independent, so
// they become one array job, one program per task. Task i runs
// `pv-eval --slurm-task PART --slurm-name NAME -m MODEL STREAM`: the same
// evaluateInput as a local run, whose pairs it writes to its part,
// DIR/parts/INDEX.part (INDEX: the program's place among the inputs), at
// full precision. The pv-eval that submitted the job waits for it
// (squeue), then reads the parts in the inputs' order, so the table and
// the CSV are a local run's, byte for byte. A part is taken only when it
// was written for the same model, input, name, --max-rows and stream file
// (size and modification time): a rerun, or the run after a job submitted
// by hand (--slurm-print), submits only the programs without one. The job
// itself is runtime/slurm_job.h's.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "stages/eval/evaluation.h"

namespace pv::eval {

// What a part says besides its pairs: what they were computed from.
struct PartKey {
  std::string model;  // the model's content hash
  std::string input, name;
  int64_t maxRows = 0;
  std::string stream;  // "SIZE MTIME_NS" of the input file ("": it cannot be read)
};

// PartKey::stream of the file `spec`.
std::string streamIdentity(const std::string& spec);

// The part's text; StageError for a name with a tab or a line break.
std::string formatPart(const PartKey& key, const std::vector<EvaluatedPair>& pairs);
// The pairs of a part written for `key`; nullopt for another key, a
// damaged or a missing part.
std::optional<std::vector<EvaluatedPair>> readPart(const std::filesystem::path& file, const PartKey& key);

// The task's work (EvaluationOptions::slurmTask): writes the part of its
// one stream.
void runSlurmTask(const EvaluationOptions& options, const Model& model);

// The submitter's work: the evaluation of `inputs`, from the parts of
// earlier tasks and of the job it submits and waits for; nullopt with
// --slurm-print (the script written and printed). ExitStatus 1 naming each
// program whose task left no part, with its Slurm log; 128+N when signal N
// cancelled the job.
std::optional<Evaluation> evaluateOnSlurm(const EvaluationOptions& options, const Model& model,
                                          const std::vector<EvaluationInput>& inputs, std::ostream& log);

}  // namespace pv::eval
