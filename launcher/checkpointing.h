// pv-launch --checkpoint: the options that make a pipeline's pv-aggregate
// save its running sum, and resume from it with pv-window cutting the
// feature stream where the checkpoint stopped (stages/aggregate/checkpoint.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/pipeline_file.h"

namespace pv::launch {

struct CheckpointOptions {
  std::string file;        // --checkpoint FILE ("": none)
  uint64_t every = 0;      // --checkpoint-every N instructions
  double seconds = 0;      // --checkpoint-seconds T
  bool resume = false;     // --resume
};

// The 'skip S' of a pv-aggregate checkpoint (pv-aggregate checks the rest);
// std::runtime_error naming the file when it has none.
uint64_t checkpointSkip(const std::string& path);

// Removes a completed reduction's checkpoint FILE and the closed intervals
// pv-aggregate keeps beside it (FILE.intervals, stages/aggregate/checkpoint.h).
void removeCheckpoint(const std::string& path);

// Gives the pipeline's pv-aggregate its checkpoint options and, resuming
// from an existing FILE, --resume FILE, and pv-window --start-at S. Returns
// the line to print ("" for none). UsageError without a pv-aggregate stage,
// with two, for an existing FILE without --resume, or when the checkpoint
// needs a pv-window before pv-aggregate that the pipeline lacks.
std::string addCheckpointing(const CheckpointOptions& options, std::vector<StageCommand>& commands);

}  // namespace pv::launch
