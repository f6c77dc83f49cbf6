// The transform contract every stage library implements: batches in,
// batches out, no I/O. The runtime (stages/runtime) feeds batches from
// whatever transport the stage was given and writes what is emitted.
//
//   describe(in)       once, before any batch: the header this stage emits
//   process(batch, e)  any number of times; emit zero or more output batches
//   finish(e)          once at end of stream; emit what is still buffered
//
// A transform must give the same concatenated output however its input is
// split into batches (tests/ check this law for every stage).
#pragma once

#include <functional>

#include "stages/core/stream_header.h"

namespace pv {

template <class Out>
using Emit = std::function<void(Out&&)>;

template <class In, class Out>
class Transform {
 public:
  using Input = In;
  using Output = Out;
  virtual ~Transform() = default;
  virtual StreamHeader describe(const StreamHeader& in) = 0;
  virtual void process(In&& batch, const Emit<Out>& emit) = 0;
  virtual void finish(const Emit<Out>& /*emit*/) {}
};

}  // namespace pv
