// A TCP port to hand to a process that binds it a moment later (pv-launch's
// tcp links, pv-train's Gloo rendezvous): the one place perfvec picks one.
//
// Why not bind port 0 and take the kernel's answer: that port comes from
// the ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by
// default), the same range the kernel draws from for every other program's
// port-0 listener and outgoing connection. Between the probe and the bind
// any of them may take it: srun, for one, listens on ephemeral ports of all
// addresses, and a stage then fails with "Address already in use" (seen in
// CI, tests/cli/slurm_hosts.sh). A port outside that range is only ever
// taken by a program that asks for it by number.
//
//   int port = pv::runtime::freeTcpPort("127.0.0.1");   // e.g. 23817

#pragma once

#include <string>
#include <vector>

namespace pv::runtime {

// Ports [first, last], both included.
struct PortRange {
  int first = 0;
  int last = 0;
  bool operator==(const PortRange&) const = default;
};

// The kernel's ephemeral range, from `file` (Linux's
// /proc/sys/net/ipv4/ip_local_port_range: "FIRST<whitespace>LAST"); the
// default 32768-60999 when the file cannot be read or holds something else.
PortRange ephemeralPortRange(const std::string& file = "/proc/sys/net/ipv4/ip_local_port_range");

// The ports freeTcpPort draws from: those from 20000 to 65535 outside
// `ephemeral` (below 20000 live the services that are given fixed ports).
// Empty when the ephemeral range covers them all.
std::vector<PortRange> portsOutside(PortRange ephemeral);

// A port that `address` (an IPv4 address of this machine) can be bound on
// now, not one of `avoid` (those already handed to this run's other
// links), drawn at random from portsOutside(ephemeralPortRange()) so that
// two runs starting at once rarely probe the same ones. Where no port lies
// outside the ephemeral range, the kernel's port-0 answer. Throws
// std::runtime_error naming the address when it is not an IPv4 address,
// not one of this machine's (with a hint to give fixed ports), or has no
// free port.
int freeTcpPort(const std::string& address, const std::vector<int>& avoid = {});

}  // namespace pv::runtime
