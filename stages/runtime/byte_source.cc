// Byte sources: plain file descriptors and zstd decompression over them.

#include "stages/runtime/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "stages/core/stage_error.h"

namespace pv::runtime {
namespace {

constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

class FdByteSource : public ByteSource {
 public:
  FdByteSource(int fd, std::string name, bool owned)
      : fd_(fd), name_(std::move(name)), owned_(owned) {}
  ~FdByteSource() override {
    if (owned_) ::close(fd_);
  }
  size_t read(void* buffer, size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_, buffer, n);
      if (got >= 0) return static_cast<size_t>(got);
      if (errno == EINTR) continue;
      throw StageError(name_, "", std::string("read failed: ") + std::strerror(errno));
    }
  }
  const std::string& name() const override { return name_; }

 private:
  int fd_;
  std::string name_;
  bool owned_;
};

class PrefixedByteSource : public ByteSource {
 public:
  PrefixedByteSource(std::string head, std::unique_ptr<ByteSource> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}
  size_t read(void* buffer, size_t n) override {
    if (pos_ < head_.size()) {
      size_t take = std::min(n, head_.size() - pos_);
      std::memcpy(buffer, head_.data() + pos_, take);
      pos_ += take;
      return take;
    }
    return rest_->read(buffer, n);
  }
  const std::string& name() const override { return rest_->name(); }

 private:
  std::string head_;
  size_t pos_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

// Streaming zstd decompression; any number of concatenated frames.
class ZstdByteSource : public ByteSource {
 public:
  explicit ZstdByteSource(std::unique_ptr<ByteSource> compressed)
      : in_(std::move(compressed)), buffer_(ZSTD_DStreamInSize()) {
    stream_ = ZSTD_createDStream();
    ZSTD_initDStream(stream_);
  }
  ~ZstdByteSource() override { ZSTD_freeDStream(stream_); }

  size_t read(void* out, size_t n) override {
    ZSTD_outBuffer output{out, n, 0};
    while (output.pos == 0) {
      if (input_.pos == input_.size) {
        size_t got = in_->read(buffer_.data(), buffer_.size());
        if (got == 0) {
          if (frameOpen_)
            throw StageError(name(), "byte " + std::to_string(consumed_),
                             "truncated zstd frame (input ends inside a frame)");
          return 0;
        }
        consumed_ += got;
        input_ = ZSTD_inBuffer{buffer_.data(), got, 0};
      }
      size_t ret = ZSTD_decompressStream(stream_, &output, &input_);
      if (ZSTD_isError(ret))
        throw StageError(name(), "byte " + std::to_string(consumed_),
                         std::string("zstd: ") + ZSTD_getErrorName(ret));
      frameOpen_ = ret != 0;
    }
    return output.pos;
  }
  const std::string& name() const override { return in_->name(); }

 private:
  std::unique_ptr<ByteSource> in_;
  std::vector<char> buffer_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  ZSTD_DStream* stream_;
  bool frameOpen_ = false;
  uint64_t consumed_ = 0;
};

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void widenPipe(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
    // Best effort: the limit is /proc/sys/fs/pipe-max-size (1 MiB by default).
    (void)::fcntl(fd, F_SETPIPE_SZ, kPipeBytes);
  }
}

std::unique_ptr<ByteSource> prependBytes(std::string head,
                                         std::unique_ptr<ByteSource> rest) {
  if (head.empty()) return rest;
  return std::make_unique<PrefixedByteSource>(std::move(head), std::move(rest));
}

std::unique_ptr<ByteSource> fdByteSource(int fd, std::string name, bool owned) {
  return std::make_unique<FdByteSource>(fd, std::move(name), owned);
}

std::unique_ptr<ByteSource> openByteSource(const std::string& spec) {
  std::unique_ptr<ByteSource> raw;
  if (spec == "-") {
    widenPipe(0);
    raw = std::make_unique<FdByteSource>(0, "<stdin>", false);
  } else {
    int fd = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw StageError(spec, "", std::string("cannot open: ") + std::strerror(errno));
    raw = std::make_unique<FdByteSource>(fd, spec, true);
  }
  // Sniff the zstd magic (a blocking read on a FIFO waits for the writer).
  std::string head(4, '\0');
  size_t have = 0;
  while (have < head.size()) {
    size_t got = raw->read(head.data() + have, head.size() - have);
    if (got == 0) break;
    have += got;
  }
  head.resize(have);
  bool zstd = have == 4 && std::memcmp(head.data(), kZstdMagic, 4) == 0;
  if (endsWith(spec, ".zst") && !zstd)
    throw StageError(spec, "", have == 0 ? "empty file (expected zstd data)"
                                         : "not zstd data (no zstd frame magic)");
  auto source = prependBytes(std::move(head), std::move(raw));
  if (zstd) return std::make_unique<ZstdByteSource>(std::move(source));
  return source;
}

}  // namespace pv::runtime
