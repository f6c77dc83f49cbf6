// Stages on hosts: placement, link addresses, srun command lines.

#include "launcher/hosts.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

#include "stages/runtime/process.h"

namespace pv::launch {

namespace {

bool isIpv4(const std::string& text) {
  in_addr addr{};
  return ::inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

// A Slurm node name: one node, not a list or a range ("node[1-4]", "a,b").
bool isNodeName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// The first IPv4 address `host` resolves to here; "" when none.
std::string resolveIpv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) return "";
  char text[INET_ADDRSTRLEN] = {};
  const auto* addr = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  const bool ok = ::inet_ntop(AF_INET, &addr->sin_addr, text, sizeof text) != nullptr;
  ::freeaddrinfo(found);
  return ok ? text : "";
}

std::string substituted(const PipelineSpec& spec, const SourceString& s, const ParamValues& values,
                        const std::string& what) {
  try {
    return substitute(s.text, values);
  } catch (const std::invalid_argument& e) {  // checked by parsePipeline already
    throw PipelineError(spec.file, s.pos, what + ": " + e.what());
  }
}

}  // namespace

std::vector<Placement> placeStages(const PipelineSpec& spec, const ParamValues& values,
                                   const std::string& localAddress) {
  std::vector<Placement> placements;
  for (const StageSpec& stage : spec.stages) {
    const std::string what = "stage '" + stage.name + "'";
    Placement p;
    p.pos = stage.host ? stage.host->pos : stage.pos;
    if (stage.host) p.host = substituted(spec, *stage.host, values, what + ": host");
    if (p.host.empty()) {
      if (stage.address)
        throw PipelineError(spec.file, stage.address->pos,
                            what + ": address without a host (its host is empty: the stage runs "
                                   "here, on pv-launch --host)");
      p.address = localAddress;
      placements.push_back(std::move(p));
      continue;
    }
    if (!isNodeName(p.host))
      throw PipelineError(spec.file, p.pos,
                          what + ": host '" + p.host +
                              "' is not a node name (one Slurm node: letters, digits, '-', '_', '.')");
    if (stage.address) {
      p.address = substituted(spec, *stage.address, values, what + ": address");
      if (!isIpv4(p.address))
        throw PipelineError(spec.file, stage.address->pos,
                            what + ": address '" + p.address + "' is not an IPv4 address");
    } else {
      p.address = resolveIpv4(p.host);
      if (p.address.empty())
        throw PipelineError(spec.file, p.pos,
                            what + ": host '" + p.host +
                                "' has no IPv4 address here: give the stage address = \"A.B.C.D\", "
                                "its address on the network the stages share");
    }
    placements.push_back(std::move(p));
  }
  return placements;
}

bool anyHosted(const std::vector<Placement>& placements) {
  return std::any_of(placements.begin(), placements.end(), [](const Placement& p) { return !p.host.empty(); });
}

Transport pipelineTransport(const PipelineSpec& spec, const std::vector<Placement>& placements,
                            std::optional<Transport> given) {
  for (size_t i = 0; i < placements.size(); ++i) {
    if (placements[i].host.empty()) continue;
    if (given && *given != Transport::kTcp)
      throw PipelineError(spec.file, placements[i].pos,
                          "stage '" + spec.stages[i].name + "' runs on host '" + placements[i].host +
                              "', and only tcp links join stages on several hosts: --transport " +
                              transportName(*given) + " cannot run this pipeline");
    return Transport::kTcp;
  }
  return given.value_or(Transport::kIpc);
}

std::vector<std::string> linkAddresses(const std::vector<Placement>& placements) {
  std::vector<std::string> addresses;
  for (size_t i = 1; i < placements.size(); ++i) addresses.push_back(placements[i].address);
  return addresses;
}

std::optional<RemoteMode> parseRemoteMode(std::string_view name) {
  if (name == "srun") return RemoteMode::kSrun;
  if (name == "print") return RemoteMode::kPrint;
  return std::nullopt;
}

std::vector<std::string> srunCommand(const std::string& srun, const std::string& host,
                                     const std::string& stepName, bool unbuffered) {
  std::vector<std::string> words = {srun,        "--nodes=1",        "--ntasks=1",
                                    "--nodelist=" + host, "--overlap", "--disable-status",
                                    "--quiet",   "--job-name=" + stepName};
  if (unbuffered) words.push_back("--unbuffered");
  words.push_back("--");
  return words;
}

bool writesStdout(const std::vector<std::string>& args) {
  const std::optional<std::string> output = outputArgument(args);
  return !output || *output == "-";
}

void launchWithSrun(std::vector<ProcessSpec>& processes, const std::vector<Placement>& placements,
                    const std::string& srun, const std::string& pipelineName) {
  for (size_t i = 0; i < processes.size(); ++i) {
    if (placements.at(i).host.empty()) continue;
    ProcessSpec& p = processes[i];
    const bool last = i + 1 == processes.size();
    const std::vector<std::string> args(p.argv.begin() + 1, p.argv.end());
    RemoteLaunch remote;
    remote.host = placements[i].host;
    remote.command = srunCommand(srun, remote.host, pipelineName + "." + p.name, !(last && writesStdout(args)));
    p.remote = std::move(remote);
  }
}

std::string stageCommandLine(const ProcessSpec& p) {
  std::string line = runtime::shellQuote(p.program);
  for (size_t a = 1; a < p.argv.size(); ++a) line += " " + runtime::shellQuote(p.argv[a]);
  return line;
}

}  // namespace pv::launch
