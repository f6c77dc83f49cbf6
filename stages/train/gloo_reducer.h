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
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// Connects (blocks until all `world` workers joined or the timeout passed).
// Throws std::runtime_error with the reason.
std::unique_ptr<GradientReducer> connectGloo(const GlooOptions& options);

// A TCP port that was free a moment ago on 127.0.0.1 (for local workers).
int freeLocalPort();

}  // namespace pv::train
