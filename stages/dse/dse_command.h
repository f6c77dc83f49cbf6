// pv-dse's work once its command line is parsed: the space file, the model,
// the program representations, the search and its report written to the
// output (a file appears whole or not at all: runtime/output_file.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/dse/dse_report.h"
#include "stages/dse/refinement.h"
#include "stages/dse/search.h"
#include "stages/runtime/slurm_job.h"

namespace pv::dse {

struct DseOptions {
  std::string modelPath;             // -m: a model with a parametric model
  std::vector<std::string> inputs;   // R_p streams (pv-aggregate)
  std::string spacePath;             // --space
  std::string objective = "time";    // time, time-cost or an expression
  std::string cost = kOriginalCost;  // --cost
  bool geomean = false;
  SearchOptions search;
  size_t top = 10;
  ReportFormat format = ReportFormat::kText;
  std::string output = "-";
  std::string configsDir;  // --configs: the reported points' configuration files go here
  // Refinement by simulation (refinement.h): --simulate N points a round
  // (0: none), --rounds, the programs' instruction streams (--trace, one a
  // program, in the order of `inputs`), pv-uarch processes at once (--jobs).
  RefineOptions refine;
  std::vector<std::string> traces;
  unsigned jobs = 1;
  std::string simulator;  // the pv-uarch executable ("": beside pv-dse, else on PATH)
  bool quiet = false;     // no progress lines
  // On a Slurm cluster (README.md, "On a Slurm cluster"): each round's
  // pv-uarch runs as an array job, one task a program (slurm.submit), or
  // round 1's job script written and printed (slurm.print); the jobs'
  // files in slurm.dir ("": pv-dse-slurm in the current folder).
  runtime::slurm::Options slurm;
};

// The simulator of the refinement: pv-uarch on each program's trace with
// the points' configurations (written to a temporary folder), its --report
// read back (uarch_report.h). `programNames` and `traces` pair up.
Simulator pvUarchSimulator(const std::string& executable, std::vector<std::string> programNames,
                           std::vector<std::string> traces, unsigned jobs);

// How the refinement's rounds run on a Slurm cluster.
struct SlurmSimulation {
  std::string dir;  // the jobs' folder, on a file system the nodes share: round-R/, logs/, job
  std::vector<std::string> sbatchOptions;  // runtime::slurm::sbatchOptions
  unsigned maxRunning = 0;                 // > 0: at most this many tasks at once
  bool print = false;                      // write and print round 1's script, then throw ScriptPrinted
  bool quiet = false;                      // no line saying what was submitted
};

// Thrown by the Slurm simulator with `print` once round 1's script is
// printed: runDse ends there, successfully, writing no report.
struct ScriptPrinted {};

// pvUarchSimulator's runs on a Slurm cluster: each call (a round R) is one
// array job, DIR/round-R/job.sbatch, task i running pv-uarch with the same
// arguments on trace i, its report in DIR/round-R; pv-dse waits for the job
// (squeue; a signal cancels it: ExitStatus 128+N) and reads the reports
// back as the local simulator does. A task that left no report is a
// StageError naming its program, its Slurm log and the log's last lines.
Simulator slurmUarchSimulator(const std::string& executable, std::vector<std::string> programNames,
                              std::vector<std::string> traces, SlurmSimulation slurm);

// The objective flag's meaning: "time", "time-cost" or an expression.
ObjectiveOptions objectiveOf(const DseOptions& options);

// Reads one program representation stream (the whole-program sum; a
// stream's intervals are skipped). Throws StageError naming `path`.
Program readProgram(const std::string& path);

// Exit status 2 (runtime::ExitStatus) for a bad space file, a malformed
// --objective or --cost (runtime::UsageError); StageError for bad data.
void runDse(const DseOptions& options);

}  // namespace pv::dse
