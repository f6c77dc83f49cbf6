// What pv-train does with its command line: resolve the inputs (streams or
// a dataset), find the normalisation statistics (a pass over files, or the
// first fill of the shuffle buffer from a live stream), fork the workers,
// deal them the batches, and have rank 0 write the model.
//
// Processes: this one reads and deals (dealer.h); each local worker is a
// forked process that only computes (training_run.h) and reads its work
// from a pipe. Workers on several machines (--rank/--world/--master,
// torchrun's RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, or the tasks of a
// Slurm step: slurm_step.h) each have their own reading process: with at least as many streams as ranks it reads only its
// own (i mod world = rank) and the workers sum what the ranks read before
// the first step; with fewer, it reads them all and deals only its worker's
// share, so every rank sees the same global batches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/train/dealer.h"
#include "stages/train/slurm_step.h"
#include "stages/train/training_data.h"

namespace pv::train {

struct TrainOptions {
  std::vector<std::string> inputs;  // stream endpoints
  std::vector<std::string> programs;  // their program names, in order ("" or missing: the file's base name)
  std::string dataset, split = "train", uarchDir, output, checkpoint, name, description;
  std::vector<std::string> targets, uarchs, excludeUarchs, weights;
  int holdoutUarchs = 0;
  std::string arch = "lstm";
  int hidden = 64, layers = 2;
  int64_t maxRows = 0;
  int workers = 1, threads = 1;
  int rank = -1, world = 0;  // several machines (-1: local workers only)
  std::string master;        // HOST:PORT
  int localRank = 0;         // the rank's index on its machine (LOCAL_RANK, SLURM_LOCALID): its CUDA device
  std::string device = "cpu";
  bool exact = false, progress = false, quiet = false;
  int64_t window = 64, chunk = 192, batch = 64;
  double epochs = 10;
  bool epochsGiven = false;
  uint64_t maxSteps = 0, maxInstructions = 0;
  Schedule schedule;
  double validationFraction = 0.05;
  bool validationFractionGiven = false;
  std::vector<std::string> validationStreams;  // a validation split of programs
  std::string validationSplit;  // with dataset: its workloads of this split are validation streams
  size_t validationChunks = 256;
  uint64_t validateEvery = 0;
  std::string shuffleBuffer = "256MiB";  // chunks ("512") or bytes ("256MiB", "2GiB")
  int openStreams = 8;
  uint64_t seed = 1;
  uint64_t checkpointEvery = 200;
  double checkpointSeconds = 300;
  double clipNorm = 1.0, weightDecay = 0, chunkSumWeight = 0, dropout = 0;
  // Weigh each program's rows by (its mean time on the microarchitecture)^-P
  // (relativeLossWeights; 0: off, 2: by relative error).
  double relativeLoss = 0;
  // PerfVec's unconstrained M_u (can predict negative times) instead of the
  // default M_u >= 0.
  bool signedUarchs = false;
  // Feature columns (names, or the groups perfvec and locality); empty: all.
  std::vector<std::string> features;
  std::string command;  // recorded in the model
};

// The shuffle buffer's capacity in chunks for a --shuffle-buffer value
// ("512": chunks; "256MiB", "2GiB", "100MB": bytes, divided by the bytes of
// one chunk). Throws StageError naming the option on a bad value.
size_t shuffleChunks(const std::string& value, size_t chunkBytes);

// Where rendezvousFromEnvironment found the rank: "" (the flags, or a run
// on one machine), "torchrun", or "Slurm job J, step S"; and a note for a
// process of a Slurm job of several tasks that is not a task of a step.
struct RendezvousSource {
  std::string from, note;
};

// Rank, world and master where the flags leave them unset, from torchrun's
// environment variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), else
// from a Slurm step's (slurmStep: SLURM_PROCID, SLURM_STEP_NUM_TASKS, the
// step's first node, MASTER_PORT or a port derived from SLURM_JOB_ID); a
// step of one task stays a run on one machine (-j workers). The local rank
// from LOCAL_RANK, else SLURM_LOCALID. Throws runtime::UsageError naming
// a variable whose value is not what torchrun or srun would set.
RendezvousSource rendezvousFromEnvironment(TrainOptions& options, const Environment& env = processEnvironment());

// Runs the whole training; returns the exit status (0; 1 on a failure, with
// the message printed). Throws StageError / runtime::UsageError on bad
// options (exit 2 by the driver).
int runTrain(TrainOptions options);

}  // namespace pv::train
