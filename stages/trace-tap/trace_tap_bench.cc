// trace_tap_bench: instructions per second of Gem5TraceReader (and of the
// labels) on a trace file, without any stream output.
//
//   trace_tap_bench DIR/trace.txt [DIR/trace.sq.txt] [--labels] [--batch N] [--chunk BYTES]
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "stages/trace-readers/gem5_trace_reader.h"
#include "stages/trace-tap/labels.h"

namespace {

// A plain file read with read(2).
class FdSource : public pv::runtime::ByteSource {
 public:
  explicit FdSource(std::string path) : name_(std::move(path)) {
    fd_ = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw pv::StageError(name_, "", std::strerror(errno));
  }
  ~FdSource() override { ::close(fd_); }
  size_t read(void* buffer, size_t n) override {
    for (;;) {
      ssize_t k = ::read(fd_, buffer, n);
      if (k >= 0) return static_cast<size_t>(k);
      if (errno != EINTR) throw pv::StageError(name_, "", std::strerror(errno));
    }
  }
  const std::string& name() const override { return name_; }

 private:
  std::string name_;
  int fd_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  bool labels = false;
  size_t batchSize = 4096;
  pv::gem5::Gem5ReaderOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--labels") {
      labels = true;
    } else if (a == "--chunk" && i + 1 < argc) {
      options.chunkBytes = std::stoul(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      batchSize = std::stoul(argv[++i]);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty() || files.size() > 2) {
    std::fprintf(stderr, "usage: trace_tap_bench TRACE [SQ] [--labels] [--batch N] [--chunk BYTES]\n");
    return 2;
  }
  try {
    auto start = std::chrono::steady_clock::now();
    auto open = [](std::string path) -> pv::gem5::SourceOpener {
      return [path] { return std::make_unique<FdSource>(path); };
    };
    pv::gem5::Gem5TraceReader reader(open(files[0]),
                                     files.size() > 1 ? open(files[1])
                                                      : pv::gem5::SourceOpener{},
                                     options);
    pv::gem5::LabelBuilder builder;
    pv::InstructionBatch batch;
    std::vector<pv::gem5::StartMark> starts;
    std::vector<float> out;
    uint64_t n = 0;
    double sum = 0;
    while (reader.next(batch, batchSize, &starts)) {
      n += batch.rows.size();
      if (labels) {
        out.resize(batch.rows.size() * pv::kTargetCount);
        builder.addBatch(batch, starts, out.data(), pv::kTargetCount);
        starts.clear();
        for (size_t r = 0; r < batch.rows.size(); ++r)
          sum += out[r * pv::kTargetCount + pv::kTargetCommit];
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%llu instructions in %.3f s: %.2f M instructions/s%s\n",
                static_cast<unsigned long long>(n), s, n / s / 1e6,
                labels ? (" (commit sum " + std::to_string(sum) + ")").c_str() : "");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace_tap_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
