// From resolved stage commands to the processes pv-launch starts: where the
// executables are, which endpoints join consecutive stages, and the argv of
// each process. Also the equivalent shell pipeline (--dry-run).
//
// Stage i (not the last) writes to link i and stage i+1 reads it:
//   ipc   "ipc://DIR/link-I.ipc"  (DIR: pv-launch's private temporary folder)
//   tcp   "tcp://HOST:PORT"       (PORT: --base-port + I, or a free port)
//   pipe  a pipe(2) from the producer's stdout to the consumer's stdin
// On a ZeroMQ link the consumer binds (its positional INPUT) and the
// producer connects (-o), the stages' defaults. The wiring arguments come
// first, then the common flags pv-launch gives the stages that have them
// (--no-progress or --progress, -q; see probeCommonFlags), then the stage's
// own args from the pipeline file:
//   pv-feature ipc://DIR/link-0.ipc -o ipc://DIR/link-1.ipc --no-progress ARGS...
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/pipeline_file.h"
#include "stages/runtime/process.h"

namespace pv::launch {

enum class Transport { kIpc, kPipe, kTcp };

std::optional<Transport> parseTransport(std::string_view name);
const char* transportName(Transport transport);

// The executable a stage's `run` names: a name with a '/' as it is
// (relative to the current folder); otherwise `selfDir`/NAME, then each
// folder of `pathEnv` (PATH). Only executable regular files count.
std::optional<std::string> findExecutable(const std::string& run, const std::string& selfDir,
                                          std::string_view pathEnv);

// The pipeline file the command line names: `file` when it exists (a path,
// relative to the current folder); otherwise, for a bare name (no '/'), the
// installed pipelines beside an installed pv-launch, `selfDir`/../share/perfvec/
// pipelines/NAME, then NAME.toml there (`pv-launch native-rp`). Throws
// PipelineError naming both places when a bare name is in neither; returns
// a path with '/' unchanged, for loadPipeline to report.
std::string findPipelineFile(const std::string& file, const std::string& selfDir);

// The endpoints of the `links` links between consecutive stages; empty
// strings for pipes. tcp with basePort 0 takes ports free now, outside the
// kernel's ephemeral range (runtime::freeTcpPort), each link its own: only
// a program that asks for such a port by number can take it before the
// stage binds it.
std::vector<std::string> linkEndpoints(Transport transport, size_t links,
                                       const std::string& socketDir, const std::string& host,
                                       int basePort);

// tcp links whose consumers bind on the given addresses: link i is
// "tcp://ADDRESSES[i]:PORT", PORT basePort + i, or with basePort 0 a port
// free now on that address (as linkEndpoints'), which must then be one of this machine's
// (std::runtime_error, with the hint to give a base port, otherwise).
std::vector<std::string> tcpLinkEndpoints(const std::vector<std::string>& addresses, int basePort);

// pv-launch's private folder for the ipc sockets of one run: TMP/pv-launch-XXXXXX
// (mode 0700), holding a file "launcher.pid" with this process's pid.
// Throws std::runtime_error naming the folder when it cannot be made.
std::string makeRunFolder(const std::string& tmp);
// Removes the run folders in `tmp` that belong to this user and whose
// pv-launch is gone (killed with SIGKILL, which leaves no chance to clean
// up): its pid is no running process. A folder without a readable pid (one
// being made, or made by an older pv-launch) is removed only when nothing
// in it has changed for 10 minutes. Returns the folders removed.
std::vector<std::string> removeStaleRunFolders(const std::string& tmp);

// Which of the stream stages' common flags (stages/runtime/stage.h) an
// executable accepts, from what its --help lists: pv-cat, for one, prints
// text and has no progress. An executable whose --help fails or takes
// longer than `timeout` has none. The default is long: a LibTorch stage
// answers in well under a second alone but took 5 s on a loaded 2-core
// machine, and one that loses its flags loses its [security] keys with them
// (a stage on another host then fails its CURVE handshake).
struct CommonFlags {
  bool progress = false;  // --progress / --no-progress
  bool quiet = false;     // -q
  bool curve = false;     // --curve-secret, --curve-server-key, --curve-authorized
};
CommonFlags probeCommonFlags(const std::string& program,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A stage started on another machine by a command of this one (srun; see
// hosts.h): pv-launch runs `command`, then the stage's program and
// argv[1..], and supervises that command as it would the stage.
struct RemoteLaunch {
  std::string host;                  // where the stage runs (reports)
  std::vector<std::string> command;  // its first word the launcher's path, e.g. srun ... --
  // What stops the stage: srun forwards SIGINT to it (with --disable-status),
  // while on SIGTERM it cancels the step, whose stage then dies of SIGKILL
  // without cleaning up. Also the launcher's parent-death signal.
  int stopSignal = SIGINT;
  // The launcher exits 128+N when the stage was killed by signal N, as srun
  // does: such a status counts as that signal (a crash is a crash there too).
  bool statusCarriesSignal = true;
};

struct ProcessSpec {
  std::string name;               // the stage's name in the pipeline file
  std::string program;            // executable path passed to execv
  std::vector<std::string> argv;  // argv[0]: the stage's run as written
  bool reportsProgress = false;   // runs with --progress (its lines are parsed)
  uint64_t memoryLimit = 0;       // bytes of data memory (setrlimit RLIMIT_DATA); 0: none
  std::optional<RemoteLaunch> remote{};  // none: a process of this machine
};

// The processes of a pipeline: `programs[i]` is stage i's executable,
// `links` come from linkEndpoints, `flags[i]` go to stage i.
std::vector<ProcessSpec> wire(const std::vector<StageCommand>& commands,
                              const std::vector<std::string>& programs,
                              const std::vector<std::string>& links,
                              const std::vector<std::vector<std::string>>& flags);

// A word quoted for a POSIX shell when it needs quoting (one definition for
// every tool: runtime/process.h).
using runtime::shellQuote;

// "run args... | run args... | ..." (what --dry-run prints).
std::string shellPipeline(const std::vector<StageCommand>& commands);

// The value of a stage's last output option (-o X, -oX, --output X,
// --output=X) before any "--"; none without one.
std::optional<std::string> outputArgument(const std::vector<std::string>& args);

// The file a stage writes (its -o / --output), when it is a plain file:
// not "-" and not a ZeroMQ endpoint.
std::optional<std::string> outputFile(const std::vector<std::string>& args);

}  // namespace pv::launch
