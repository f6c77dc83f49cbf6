// GuestProcess: runs a program under the pvtap Valgrind tool
// (valgrind/pvtap.c) and hands over the tool's record stream, for
// ValgrindTraceReader. The process side of `pv-trace-tap --valgrind`.
//
// valgrind runs with VALGRIND_LIB set to the tool folder (the tool plus
// links to Valgrind's own core files, laid out by the build beside the
// executables as pv-valgrind/), the stream on an inherited pipe
// (--pvtap-fd), and the guest's stdout sent to stderr or a file (stdout is
// the tap's binary output). The guest's stdin and stderr are the tap's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stages/runtime/byte_source.h"
#include "stages/runtime/process.h"
#include "stages/trace-readers/valgrind_trace_reader.h"

namespace pv::valgrind {

struct RunOptions {
  std::vector<std::string> command;  // program and arguments
  uint64_t skip = 0;                 // guest instructions to skip
  uint64_t count = 0;                // instructions to trace (0: to the end)
  std::string toolDir;               // VALGRIND_LIB folder ("" = defaultToolDir())
  std::string valgrind = "valgrind";  // launcher (searched in PATH)
  std::string guestStdout;           // file for the guest's stdout ("" = stderr)
};

// $PV_VALGRIND_LIB when set, else pv-valgrind/ beside the running
// executable (where the build puts it), else ../lib/perfvec/pv-valgrind/
// from its folder when that exists (an installed tree, docs/install.md).
std::string defaultToolDir();

// Checks that `toolDir` holds the tool and that it was built for the
// installed valgrind (the tool binary embeds one release's core and has no
// interface check). Throws StageError saying what is wrong.
void checkTool(const std::string& toolDir, const std::string& valgrind);

class GuestProcess {
 public:
  // Starts valgrind; throws StageError when it cannot be started.
  explicit GuestProcess(RunOptions options);
  // Kills (SIGKILL) and reaps a guest still running.
  ~GuestProcess();
  GuestProcess(const GuestProcess&) = delete;
  GuestProcess& operator=(const GuestProcess&) = delete;

  // The record stream (once), named "valgrind:PROGRAM".
  std::unique_ptr<runtime::ByteSource> takeStream();

  // After the stream's end: waits for valgrind and throws StageError when
  // the guest crashed or exited non-zero, or traced nothing.
  void finish(const std::optional<EndRecord>& end);

  // After a failure reading the stream: gives valgrind a few seconds to
  // end, kills it otherwise, and rethrows a StageError about the guest
  // when it died abnormally (its death explains a truncated stream),
  // else `cause`.
  [[noreturn]] void failed(const std::exception_ptr& cause);

  const std::string& program() const { return program_; }

 private:
  RunOptions options_;
  std::string program_;
  runtime::Child child_;  // valgrind
  int readFd_ = -1;
};

}  // namespace pv::valgrind
