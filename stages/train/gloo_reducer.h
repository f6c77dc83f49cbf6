// Gradient reduction across worker processes with LibTorch's own distributed
// engine (c10d): a TCPStore for the rendezvous (rank 0 serves it) and a
// ProcessGroupGloo whose allreduce sums every step's gradient buffer. The
// workers may sit on several machines: they only need the master's address.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "stages/train/trainer.h"

namespace pv::train {

struct GlooOptions {
  int rank = 0;
  int world = 1;
  std::string masterHost = "127.0.0.1";  // where rank 0 serves the store
  int masterPort = 0;
  std::string interfaceHost = "127.0.0.1";  // the address this worker's Gloo device binds
  std::string interfaceName;  // else a network interface's (GLOO_SOCKET_IFNAME), when given
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// Connects (blocks until all `world` workers joined or the timeout passed).
// Throws std::runtime_error with the reason.
std::unique_ptr<GradientReducer> connectGloo(const GlooOptions& options);

// The address of this machine that its packets to `host` leave from (the
// source address of the route there): the one a worker on another machine
// reaches this one at, whichever machine the master is (IPv4 first).
// Throws std::runtime_error naming the host when it does not resolve or no
// route leads there.
std::string localAddressTowards(const std::string& host);

}  // namespace pv::train
