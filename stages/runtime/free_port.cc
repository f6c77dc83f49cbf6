#include "stages/runtime/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace pv::runtime {

namespace {

constexpr int kLowestPort = 20000;
constexpr int kHighestPort = 65535;

sockaddr_in ipv4(const std::string& address) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("'" + address + "' is not an IPv4 address");
  return addr;
}

// Binds a fresh socket on `addr` at `port` (no SO_REUSEADDR: a port still
// held by a closing connection counts as taken) and releases it: the port
// bound, or -errno.
int tryBind(sockaddr_in addr, int port) {
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  int result;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    result = ntohs(addr.sin_port);
  else
    result = -errno;
  ::close(fd);
  return result;
}

[[noreturn]] void cannotBind(const std::string& address, int err) {
  // A stage on another host binds there: its ports cannot be probed from here.
  throw std::runtime_error("cannot find a free port on " + address + ": " + std::strerror(err) +
                           (err == EADDRNOTAVAIL
                                ? " (not an address of this machine: give --base-port, link i then "
                                  "uses BASE+i)"
                                : ""));
}

}  // namespace

PortRange ephemeralPortRange(const std::string& file) {
  std::ifstream in(file);
  PortRange range;
  if (in >> range.first >> range.last && range.first >= 1 && range.first <= range.last &&
      range.last <= kHighestPort)
    return range;
  return {32768, 60999};
}

std::vector<PortRange> portsOutside(PortRange ephemeral) {
  std::vector<PortRange> ranges;
  if (ephemeral.first > kLowestPort) ranges.push_back({kLowestPort, std::min(ephemeral.first - 1, kHighestPort)});
  if (ephemeral.last < kHighestPort) ranges.push_back({std::max(ephemeral.last + 1, kLowestPort), kHighestPort});
  return ranges;
}

int freeTcpPort(const std::string& address, const std::vector<int>& avoid) {
  const sockaddr_in addr = ipv4(address);
  const std::vector<PortRange> ranges = portsOutside(ephemeralPortRange());
  std::vector<int> sortedAvoid = avoid;
  std::sort(sortedAvoid.begin(), sortedAvoid.end());
  std::vector<int> candidates;
  for (const PortRange& r : ranges)
    for (int p = r.first; p <= r.last; ++p)
      if (!std::binary_search(sortedAvoid.begin(), sortedAvoid.end(), p)) candidates.push_back(p);
  if (candidates.empty()) {  // the ephemeral range is everything: the kernel's choice
    const int port = tryBind(addr, 0);
    if (port < 0) cannotBind(address, -port);
    return port;
  }
  // A random start, then onwards: each free port is as likely as the next.
  std::random_device seed;
  const size_t start = std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(seed);
  int lastError = EADDRINUSE;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int port = tryBind(addr, candidates[(start + i) % candidates.size()]);
    if (port > 0) return port;
    lastError = -port;
    if (lastError != EADDRINUSE) break;  // the address itself is the trouble
  }
  cannotBind(address, lastError);
}

}  // namespace pv::runtime
