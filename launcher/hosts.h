// Stages on hosts: a pipeline file's `host` and `address` keys, the tcp
// links between the machines, and how a stage starts on its host.
//
//   [[stage]]
//   name = "encode"
//   run = "pv-encode"
//   host = "{encode_host}"   # the Slurm node it runs on; "" (or no key): here
//   address = "10.0.0.5"     # optional: its IPv4 address there (else its host name's)
//
// A pipeline with a stage on a host has tcp links (ipc and pipes do not
// leave a machine). Link i goes to stage i+1, which binds its input on its
// own address (the stages without a host on pv-launch's --host) and stage i
// connects there. pv-launch starts a hosted stage with srun, one task on
// its node, as a step of the allocation it runs in (kSrun), or prints the
// command for the user to start there (kPrint).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/pipeline_file.h"
#include "launcher/wiring.h"

namespace pv::launch {

struct Placement {
  std::string host;     // the Slurm node the stage runs on; "": this machine
  std::string address;  // the IPv4 address its input binds on and its producer connects to
  SourcePos pos;        // its host key (errors); the stage's name without one
};

// Each stage's host and address, parameters substituted: a stage without
// a host, or whose host is empty once substituted, runs here on
// `localAddress`; a hosted stage binds on its `address`, else on the IPv4
// address its host name resolves to on this machine. A PipelineError at
// the key for a host that is not a node name, an address that is not an
// IPv4 address, or a host name that does not resolve.
std::vector<Placement> placeStages(const PipelineSpec& spec, const ParamValues& values,
                                   const std::string& localAddress);

// True when some stage runs on a host.
bool anyHosted(const std::vector<Placement>& placements);

// The pipeline's transport: `given`, else ipc; with a hosted stage tcp, and
// a PipelineError at that stage's host when `given` is another.
Transport pipelineTransport(const PipelineSpec& spec, const std::vector<Placement>& placements,
                            std::optional<Transport> given);

// The addresses the links' consumers bind on (tcpLinkEndpoints).
std::vector<std::string> linkAddresses(const std::vector<Placement>& placements);

// How hosted stages start: srun (a step on their node, supervised like a
// local stage), or printed for the user to start there.
enum class RemoteMode { kSrun, kPrint };
std::optional<RemoteMode> parseRemoteMode(std::string_view name);

// srun's words before the stage's command: one task on `host`, overlapping
// the allocation's other steps (the stages run at once, more of them than
// the allocation may have CPUs), SIGINT forwarded to the stage
// (--disable-status), no informational lines, the step named `stepName`,
// and --unbuffered unless the stage's stdout carries data: srun otherwise
// holds stderr until a newline or 1 KiB, and a progress line ends with
// '\r', while --unbuffered makes the stage's stdout a terminal.
std::vector<std::string> srunCommand(const std::string& srun, const std::string& host,
                                     const std::string& stepName, bool unbuffered);

// True when a stage with these args writes its stream to stdout (no -o, or
// -o -): pv-launch's stdout for the last stage.
bool writesStdout(const std::vector<std::string>& args);

// Makes each hosted process start through srun (ProcessSpec::remote); its
// program must be a path its host reaches (an absolute one, on a shared
// file system).
void launchWithSrun(std::vector<ProcessSpec>& processes, const std::vector<Placement>& placements,
                    const std::string& srun, const std::string& pipelineName);

// The stage's own command line, quoted for a POSIX shell: its program as
// pv-launch would run it, and its arguments (what --remote print shows).
std::string stageCommandLine(const ProcessSpec& p);

}  // namespace pv::launch
