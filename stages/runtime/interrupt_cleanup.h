// Removes a process's partial output files when it is killed by SIGINT,
// SIGTERM or SIGHUP (as the zstd CLI does): a file that holds part of a
// stream has no end-of-stream record and must not be mistaken for a
// finished one, nor left behind when pv-launch dies (its stages get SIGTERM
// through PR_SET_PDEATHSIG) or a shell pipeline is interrupted; the
// temporary file of an atomic write (output_file.h) must not be left
// behind either. The process still dies of the signal, so its exit status
// says so.
#pragma once

#include <string>

namespace pv::runtime {

// From now on an interrupting signal unlinks `path` before it kills the
// process. A few files at once (a stage's output and a report being
// written); more are left as they are. A signal that is ignored stays
// ignored (a background job of a shell ignores SIGINT). `path` must be a
// regular file this process created, or the file of a socket it bound. Call from one thread at a time.
void removeOnInterrupt(const std::string& path);
// `path` is complete (or already handled): signals kill without removing it.
void keepOnInterrupt(const std::string& path);
// The same for every file.
void keepOnInterrupt();

}  // namespace pv::runtime
