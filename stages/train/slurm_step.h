// pv-train as a task of a Slurm job step (`srun -n N pv-train ...`): its
// rank, the step's task count and the rendezvous address, from the
// variables srun gives every task, so that the same command line on every
// task makes one run of N ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pv::train {

// What a task knows of its step.
struct SlurmStep {
  int rank = 0;       // SLURM_PROCID
  int tasks = 1;      // SLURM_STEP_NUM_TASKS
  std::string jobId, stepId;  // SLURM_JOB_ID, SLURM_STEP_ID (for messages)
  // Steps of several tasks: where rank 0 serves the rendezvous.
  std::string masterHost;  // MASTER_ADDR, else the first host of the step's nodes
  int masterPort = 0;      // MASTER_PORT, else slurmMasterPort(SLURM_JOB_ID)
};

// Reads a variable ("" when unset or empty); a test passes its own.
using Environment = std::function<std::string(const char* name)>;
Environment processEnvironment();

// The step of this task, or nullopt when the process is not a task of a
// Slurm step: SLURM_PROCID and SLURM_STEP_NUM_TASKS are set only by srun
// (a batch script of -n N has SLURM_PROCID=0 and SLURM_NTASKS=N but is one
// process: reading those would make it wait for N-1 ranks that never
// come). Throws runtime::UsageError naming the variable and its value when
// one is not a number, SLURM_PROCID is not below SLURM_STEP_NUM_TASKS, or
// the host list cannot be read.
std::optional<SlurmStep> slurmStep(const Environment& env);

// A rank's index among the ranks on its machine: torchrun's LOCAL_RANK,
// else a Slurm step task's SLURM_LOCALID, else 0. Throws
// runtime::UsageError naming the variable when it is not a number.
int localRank(const Environment& env);

// The tasks of the Slurm job (SLURM_NTASKS) when this process belongs to a
// job of several tasks without being a task of a step (a batch script run
// without srun); 0 otherwise. For pv-train's note.
int slurmJobTasksOutsideAStep(const Environment& env);

// The first host of a Slurm host list ("node[01-03,07],gpu5" -> "node01").
// The whole list is checked; `variable` names it in the error
// (runtime::UsageError) on a list Slurm would not write.
std::string firstHost(const std::string& hostlist, const std::string& variable);

// The rendezvous port of a job without MASTER_PORT: 29500 + job id mod
// 1000. Every task computes it alone, from the one number they share.
int slurmMasterPort(uint64_t jobId);

}  // namespace pv::train
