// What pv-launch prints about a pipeline: its parameters (--describe, FILE
// --help), its stages (--describe), and the report of a failed run (the
// stage to blame, why, its last stderr lines, how the others ended), with
// pv-launch's exit status for each fault.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/pipeline_file.h"
#include "launcher/supervisor.h"

namespace pv::launch {

// 0 success, 1 a stage failed, 3 crashed, 4 hung, 5 out of memory.
int exitStatusOf(PipelineOutcome::Fault fault);

// "512M", "4G", or "N bytes".
std::string memoryText(uint64_t bytes);

// "Parameters of FILE (override with KEY=VALUE after the file):" and one
// line per parameter (its default, or "(required)"), its help below it.
std::string paramsText(const PipelineSpec& spec);

// The pipeline's name, file and description, its parameters and its stages'
// command templates.
std::string describeText(const PipelineSpec& spec);

// The lines pv-launch prints on stderr after a failed run, each starting
// "pv-launch: ": the stage to blame and why, its last stderr lines, and how
// the other stages ended.
std::string failureReport(const PipelineSpec& spec, const std::vector<ProcessSpec>& processes,
                          const PipelineOutcome& outcome);

}  // namespace pv::launch
