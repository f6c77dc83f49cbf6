// Shared by the libFuzzer targets of tests/fuzz: the input as a ByteSource
// read in uneven pieces, and the rule of what counts as a finding.
//
// A parser may refuse its input only with a StageError (or the error type
// its interface documents: PipelineError for pipeline files) naming the
// input and the position; anything else that escapes (std::bad_alloc,
// std::out_of_range, a kj::Exception, ...) aborts the target and is a
// finding, as are sanitizer reports, leaks and timeouts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "stages/runtime/byte_source.h"

namespace pv::fuzz {

// A copy of the fuzzer's bytes, handed out at most `piece` bytes per read
// (so that records straddle reads as they do on a pipe). A copy, because a
// reader may leave its input thread to end after the call returns (the gem5
// reader does, for live pipes), when the fuzzer's buffer is gone.
class MemorySource : public runtime::ByteSource {
 public:
  MemorySource(std::string name, const uint8_t* data, size_t size, size_t piece)
      : name_(std::move(name)), data_(reinterpret_cast<const char*>(data), size),
        piece_(std::max<size_t>(piece, 1)) {}
  size_t read(void* buffer, size_t n) override {
    size_t k = std::min({n, piece_, data_.size() - pos_});
    if (k) std::memcpy(buffer, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  std::string data_;
  size_t piece_;
  size_t pos_ = 0;
};

// A read size from the first input byte (1..4096 or 1 MiB), so that the
// fuzzer also explores how the input is split.
inline size_t pieceOf(const uint8_t* data, size_t size) {
  if (size == 0) return 1 << 20;
  uint8_t b = data[0];
  return b < 0x80 ? (1 << 20) : size_t{1} << (b & 0x0f) % 13;
}

}  // namespace pv::fuzz
