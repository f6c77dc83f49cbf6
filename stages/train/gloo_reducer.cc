// c10d Gloo gradient reduction.

#include "stages/train/gloo_reducer.h"

#include <ATen/ops/from_blob.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pv::train {
namespace {

class GlooReducer : public GradientReducer {
 public:
  explicit GlooReducer(const GlooOptions& o) : rank_(o.rank), world_(o.world) {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(o.masterPort);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<size_t>(o.world);
    so.waitWorkers = true;
    so.timeout = o.timeout;
    store_ = c10::make_intrusive<c10d::TCPStore>(o.masterHost, so);
    auto options = c10d::ProcessGroupGloo::Options::create(o.timeout);
    options->devices.push_back(o.interfaceName.empty()
                                   ? c10d::ProcessGroupGloo::createDeviceForHostname(o.interfaceHost)
                                   : c10d::ProcessGroupGloo::createDeviceForInterface(o.interfaceName));
    options->threads = 1;
    group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, o.rank, o.world, options);
  }

  void sum(float* data, int64_t count) override { allreduce(at::from_blob(data, {count}, at::kFloat)); }
  void sumDoubles(double* data, int64_t count) override { allreduce(at::from_blob(data, {count}, at::kDouble)); }
  int rank() const override { return rank_; }
  int world() const override { return world_; }

 private:
  void allreduce(at::Tensor t) {
    std::vector<at::Tensor> tensors{t};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    try {
      group_->allreduce(tensors, options)->wait();
    } catch (const std::exception& e) {
      throw PeerLost(std::string("a gradient sum failed (another worker is gone): ") + e.what());
    }
  }

  int rank_, world_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

std::unique_ptr<GradientReducer> connectGloo(const GlooOptions& options) {
  try {
    return std::make_unique<GlooReducer>(options);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot join the Gloo group (rank " + std::to_string(options.rank) + " of " +
                             std::to_string(options.world) + ", master " + options.masterHost + ":" +
                             std::to_string(options.masterPort) + "): " + e.what());
  }
}

std::string localAddressTowards(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  // Any port: a UDP socket's connect() sends nothing, it only picks the route.
  if (const int rc = ::getaddrinfo(host.c_str(), "9", &hints, &found); rc != 0)
    throw std::runtime_error("the master host " + host + " does not resolve: " + ::gai_strerror(rc));
  std::string address, error = "no address";
  for (const int family : {AF_INET, AF_INET6})
    for (const addrinfo* a = found; a && address.empty(); a = a->ai_next) {
      if (a->ai_family != family) continue;
      const int fd = ::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_storage local{};
      socklen_t len = sizeof local;
      char text[INET6_ADDRSTRLEN] = "";
      if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
          ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 &&
          ::inet_ntop(family, family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr)
                                                : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr),
                      text, sizeof text))
        address = text;
      else
        error = std::strerror(errno);
      if (fd >= 0) ::close(fd);
    }
  ::freeaddrinfo(found);
  if (address.empty()) throw std::runtime_error("no route to the master host " + host + ": " + error);
  return address;
}

}  // namespace pv::train
