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
#include <string>
#include <utility>

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

// Two stage libraries as one transform: what `first` emits goes into
// `second` by a function call instead of a stream between two processes.
// describe() records `firstStage` between them in the header's stage list,
// as the stream would, so that the output is the two stages' byte for byte
// (the caller's driver records the second's name after it).
template <class First, class Second>
class ComposedTransform : public Transform<typename First::Input, typename Second::Output> {
 public:
  using Middle = typename First::Output;
  using Input = typename First::Input;
  using Output = typename Second::Output;

  ComposedTransform(First& first, std::string firstStage, Second& second)
      : first_(first), firstStage_(std::move(firstStage)), second_(second) {}

  StreamHeader describe(const StreamHeader& in) override {
    StreamHeader h = first_.describe(in);
    h.stages.push_back(firstStage_);
    return second_.describe(h);
  }
  void process(Input&& batch, const Emit<Output>& emit) override {
    first_.process(std::move(batch), [&](Middle&& m) { second_.process(std::move(m), emit); });
  }
  void finish(const Emit<Output>& emit) override {
    first_.finish([&](Middle&& m) { second_.process(std::move(m), emit); });
    second_.finish(emit);
  }

 private:
  First& first_;
  std::string firstStage_;
  Second& second_;
};

}  // namespace pv
