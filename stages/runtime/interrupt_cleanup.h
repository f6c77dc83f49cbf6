// Removes a stage's partial output file when the stage is killed by
// SIGINT, SIGTERM or SIGHUP (as the zstd CLI does): a file that holds part
// of a stream has no end-of-stream record and must not be mistaken for a
// finished one, nor left behind when pv-launch dies (its stages get
// SIGTERM through PR_SET_PDEATHSIG) or a shell pipeline is interrupted.
// The process still dies of the signal, so its exit status says so.
#pragma once

#include <string>

namespace pv::runtime {

// From now on an interrupting signal unlinks `path` before it kills the
// process. Only one file per process; a signal that is ignored stays
// ignored (a background job of a shell ignores SIGINT). `path` must be a
// regular file this process created.
void removeOnInterrupt(const std::string& path);
// The output is complete (or already handled): signals kill without
// removing it.
void keepOnInterrupt();

}  // namespace pv::runtime
