// pv-dataset on a Slurm cluster (dataset/README.md, "On a Slurm cluster").
//
// The workloads a run has left to do become one array job, one workload
// per task. Task i runs `pv-dataset --slurm-task -w NAME_i` with the
// caller's options, in the caller's folder: the same code as a local run
// (dataset_runner.cc's run() and its JobRunner), so the files are the same
// bytes. The only difference is where the task records its entry: in
// OUT/slurm/parts/NAME.toml (a manifest holding that workload alone), not
// OUT/manifest.toml, which the tasks never write. The pv-dataset that
// submitted the job waits for it (squeue), then merges the parts into the
// manifest; any later run of the folder merges the parts it finds first,
// so a finished task is never lost when its submitter is gone, and a rerun
// resubmits only what is missing.
//
// The job script is a plain sbatch file, OUT/slurm/job.sbatch (partition,
// time, memory and any other option as #SBATCH lines), printed by
// --slurm-print; it can be edited and submitted by hand. Submitting,
// waiting and cancelling are runtime/slurm_job.h's, shared with pv-dse and
// pv-eval.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "stages/model-lib/dataset_manifest.h"

namespace pv::dataset::slurm {

// What the job script says.
struct JobScript {
  std::string dataset;                // the folder, absolute (for the comment)
  std::string workDir;                // --chdir: the caller's folder
  std::string logDir;                 // --output=LOGDIR/slurm-%A_%a.out
  std::vector<std::string> workloads;  // task i labels workloads[i]
  std::vector<std::string> command;    // pv-dataset and its options, without -w
  // The submitter's TMPDIR (nullopt: unset), set or unset so in the task:
  // the programs get it (workloadEnvironment), so it is part of their
  // bytes, and Slurm sets TMPDIR=/tmp when it is unset.
  std::optional<std::string> tmpdir;
  unsigned maxRunning = 0;             // > 0: --array=0-N%maxRunning
  // The #SBATCH options after the job's own (runtime::slurm::sbatchOptions).
  std::vector<std::string> options;
};

// The sbatch script (bash): #SBATCH lines, then the workloads as a bash
// array and `exec pv-dataset ... -w "${workloads[$SLURM_ARRAY_TASK_ID]}"`.
std::string formatScript(const JobScript& job);

// OUT/slurm/parts/NAME.toml: where the task of workload NAME records it.
std::filesystem::path partPath(const std::filesystem::path& out, const std::string& name);

// Merges the parts in OUT/slurm/parts into `manifest`: an entry that is
// done or failed replaces the manifest's entry of the same name and key
// (a done one only when its file has the recorded size and hash; else it
// is failed, saying so). Parts of other configurations or keys, pending
// entries and unreadable parts are left out. Returns the part files read,
// to be removed once the manifest is written.
std::vector<std::filesystem::path> mergeParts(const std::filesystem::path& out, Manifest& manifest);

}  // namespace pv::dataset::slurm
