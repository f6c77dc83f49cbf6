// What pv-launch does once its command line is parsed: --keygen,
// --describe, --dry-run, or running the pipeline file: bind its parameters,
// find the stages' executables, wire consecutive stages (ZeroMQ ipc sockets
// in a private temporary folder, pipes, or tcp; tcp between the stages'
// addresses when some run on other hosts, started there by srun: hosts.h),
// run them under the supervisor, clean up, and report the first failure
// (launch_report.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "launcher/checkpointing.h"

namespace pv::launch {

struct LaunchOptions {
  std::string file;
  std::vector<std::string> assignments;  // KEY=VALUE
  std::string transport;  // "": ipc, or tcp when a stage has a host
  std::string host = "127.0.0.1";
  std::string remote;     // "srun", "print"; "": srun inside a Slurm allocation, else print
  int basePort = 0;
  double grace = 2.0;
  bool dryRun = false;
  bool describe = false;
  bool progress = false;
  bool noProgress = false;
  bool quiet = false;
  bool verbose = false;
  double stallTimeout = -1;  // -1: the file's stall_timeout, else 0 (never)
  std::string memoryLimit;   // "": the file's memory_limit keys
  CheckpointOptions checkpoint;
  std::string keygen;        // --keygen NAME
};

// Throws runtime::UsageError (exit status 2, with the hint to run --help)
// for a bad command line or parameter; runtime::ExitStatus 2 for a bad
// pipeline file or a missing executable (the message names the file, line
// and column); runtime::ExitStatus 1, 3, 4 or 5 with an empty message for a
// failed pipeline, whose report is printed; anything else for a failure of
// pv-launch itself (1). A pipeline stopped by SIGINT, SIGTERM or SIGHUP
// makes pv-launch die of the same signal, after cleaning up.
void launchPipeline(const LaunchOptions& options);

// The section --help adds after the usage when a pipeline file is given:
// "\n" and its parameters; "" without a file. ExitStatus 2 for a bad file.
std::string helpParameters(const std::string& file);

// Makes a closed stdin, stdout or stderr /dev/null: otherwise the first pipe
// pv-launch creates would take its place. Call first in main.
void ensureStandardFds();

}  // namespace pv::launch
