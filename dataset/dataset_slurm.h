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
// --slurm-print; it can be edited and submitted by hand.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
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
  // The #SBATCH options after the job's own: --partition=P, --time=T,
  // --mem=M, then each --slurm-opt as given.
  std::vector<std::string> options;
};

// The sbatch script (bash): #SBATCH lines, then the workloads as a bash
// array and `exec pv-dataset ... -w "${workloads[$SLURM_ARRAY_TASK_ID]}"`.
std::string formatScript(const JobScript& job);

// The --slurm-opt arguments and the pass-through options as #SBATCH options
// ("--partition=debug"); throws ExitStatus 2 for an option that does not
// start with '-' or holds a line break.
std::vector<std::string> sbatchOptions(const std::string& partition, const std::string& time,
                                       const std::string& mem, const std::vector<std::string>& extra);

// OUT/slurm/parts/NAME.toml: where the task of workload NAME records it.
std::filesystem::path partPath(const std::filesystem::path& out, const std::string& name);

// Merges the parts in OUT/slurm/parts into `manifest`: an entry that is
// done or failed replaces the manifest's entry of the same name and key
// (a done one only when its file has the recorded size and hash; else it
// is failed, saying so). Parts of other configurations or keys, pending
// entries and unreadable parts are left out. Returns the part files read,
// to be removed once the manifest is written.
std::vector<std::filesystem::path> mergeParts(const std::filesystem::path& out, Manifest& manifest);

// Whether `name` is an executable on $PATH (runtime::findOnPath).
bool onPath(const std::string& name);

// Throws ExitStatus 2 naming the Debian package when sbatch, squeue or
// scancel is not in PATH.
void requireClients();

// Submits the script (sbatch --parsable SCRIPT) and returns the job id;
// throws ExitStatus 1 with sbatch's message when it refuses.
// `scratch` is a folder for the clients' stderr.
std::string submit(const std::filesystem::path& script, const std::filesystem::path& scratch);

// Whether the job still has tasks pending or running (squeue -h -j ID);
// nullopt when squeue cannot say (its message in `error`). A job the
// controller has forgotten is not active.
std::optional<bool> active(const std::string& jobId, const std::filesystem::path& scratch, std::string& error);

// Waits until the job has no task left in squeue, asking squeue every
// second at first, a second less often each minute, at most every 10 s. `tick` is called
// about every 50 ms (a progress line); `interrupted` as run()'s: a signal
// cancels the job (scancel), waits for its tasks to stop and returns the
// signal's number (0: the job ended). Throws ExitStatus 1 when squeue has
// failed for `giveUp`.
int wait(const std::string& jobId, const std::filesystem::path& scratch, const std::function<int()>& interrupted,
         const std::function<void()>& tick,
         std::chrono::seconds giveUp = std::chrono::seconds(600));

}  // namespace pv::dataset::slurm
