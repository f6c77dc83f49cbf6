// Test helpers: in-memory ByteSources (whole strings read in small pieces,
// and a bounded pipe that blocks its writer like a named pipe does), and
// the example trace (examples/gem5-arm-21: the same files as
// ../shared/data/gem5-example; tests run from the repository root).
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/byte_source.h"
#include "stages/trace-readers/gem5_trace_reader.h"

namespace pv::gem5::testing {

// Tests run from the repository root.
inline const std::string kExampleDir = "examples/gem5-arm-21";

using pv::readFileBytes;
inline std::string readFile(const std::string& path) { return readFileBytes(path); }

// A string read at most `piece` bytes at a time.
class StringSource : public runtime::ByteSource {
 public:
  StringSource(std::string name, std::string data, size_t piece = 1 << 20)
      : name_(std::move(name)), data_(std::move(data)), piece_(std::max<size_t>(piece, 1)) {}
  size_t read(void* buffer, size_t n) override {
    size_t k = std::min({n, piece_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_, data_;
  size_t piece_;
  size_t pos_ = 0;
};

inline SourceOpener stringSource(std::string name, std::string data,
                                 size_t piece = 1 << 20) {
  return openedSource(
      std::make_unique<StringSource>(std::move(name), std::move(data), piece));
}

// A reader of the example trace.
inline std::unique_ptr<Gem5TraceReader> exampleReader(Gem5ReaderOptions options = {}) {
  return std::make_unique<Gem5TraceReader>(
      stringSource("trace.txt", readFile(kExampleDir + "/trace.txt")),
      stringSource("trace.sq.txt", readFile(kExampleDir + "/trace.sq.txt")),
      options);
}

// A pipe holding at most `capacity` bytes: write() blocks while it is full,
// as a writer of a named pipe does.
class BoundedPipe {
 public:
  explicit BoundedPipe(size_t capacity) : capacity_(capacity) {}
  void write(std::string_view s) {
    std::unique_lock lock(mutex_);
    while (!s.empty()) {
      changed_.wait(lock, [&] { return data_.size() < capacity_; });
      size_t k = std::min(s.size(), capacity_ - data_.size());
      data_.append(s.substr(0, k));
      s.remove_prefix(k);
      changed_.notify_all();
    }
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  size_t read(void* buffer, size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !data_.empty() || closed_; });
    size_t k = std::min(n, data_.size());
    std::memcpy(buffer, data_.data(), k);
    data_.erase(0, k);
    changed_.notify_all();
    return k;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string data_;
  size_t capacity_;
  bool closed_ = false;
};

class PipeSource : public runtime::ByteSource {
 public:
  PipeSource(std::string name, std::shared_ptr<BoundedPipe> pipe)
      : name_(std::move(name)), pipe_(std::move(pipe)) {}
  size_t read(void* buffer, size_t n) override { return pipe_->read(buffer, n); }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  std::shared_ptr<BoundedPipe> pipe_;
};

// Runs `body` and returns the StageError text it throws ("" if none).
template <class F>
std::string errorOf(F&& body) {
  try {
    body();
  } catch (const StageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace pv::gem5::testing
