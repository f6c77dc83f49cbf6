#include "stages/trace-readers/compressed_source.h"

#include <lzma.h>
#include <zlib.h>

#include <cstring>
#include <vector>

#include "stages/core/stage_error.h"

namespace pv::trace {
namespace {

constexpr unsigned char kXzMagic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
constexpr unsigned char kGzMagic[2] = {0x1F, 0x8B};
constexpr size_t kInBytes = size_t{1} << 18;

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class XzSource : public runtime::ByteSource {
 public:
  explicit XzSource(std::unique_ptr<runtime::ByteSource> in) : in_(std::move(in)), buf_(kInBytes) {
    // LZMA_CONCATENATED: read every .xz stream of the file, like xzcat.
    if (lzma_stream_decoder(&strm_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
      throw StageError(name(), "", "xz: cannot initialise the decoder");
  }
  ~XzSource() override { lzma_end(&strm_); }
  size_t read(void* out, size_t n) override {
    if (done_) return 0;
    strm_.next_out = static_cast<uint8_t*>(out);
    strm_.avail_out = n;
    while (strm_.avail_out == n) {
      lzma_action action = LZMA_RUN;
      if (strm_.avail_in == 0 && !eof_) {
        size_t got = in_->read(buf_.data(), buf_.size());
        consumed_ += got;
        strm_.next_in = buf_.data();
        strm_.avail_in = got;
        if (got == 0) eof_ = true;
      }
      if (eof_) action = LZMA_FINISH;
      lzma_ret ret = lzma_code(&strm_, action);
      if (ret == LZMA_STREAM_END) {
        done_ = true;
        break;
      }
      if (ret != LZMA_OK) {
        const char* why = ret == LZMA_BUF_ERROR ? "truncated xz data (input ends inside a stream)"
                          : ret == LZMA_DATA_ERROR ? "corrupt xz data"
                          : ret == LZMA_FORMAT_ERROR ? "not xz data"
                          : ret == LZMA_MEM_ERROR ? "out of memory"
                                                  : "xz decoder error";
        throw StageError(name(), "compressed byte " + std::to_string(consumed_ - strm_.avail_in),
                         why);
      }
    }
    return n - strm_.avail_out;
  }
  const std::string& name() const override { return in_->name(); }

 private:
  std::unique_ptr<runtime::ByteSource> in_;
  std::vector<uint8_t> buf_;
  lzma_stream strm_ = LZMA_STREAM_INIT;
  bool eof_ = false, done_ = false;
  uint64_t consumed_ = 0;
};

class GzSource : public runtime::ByteSource {
 public:
  explicit GzSource(std::unique_ptr<runtime::ByteSource> in) : in_(std::move(in)), buf_(kInBytes) {
    std::memset(&strm_, 0, sizeof strm_);
    if (inflateInit2(&strm_, 16 + MAX_WBITS) != Z_OK)  // 16: gzip header
      throw StageError(name(), "", "gzip: cannot initialise the decoder");
  }
  ~GzSource() override { inflateEnd(&strm_); }
  size_t read(void* out, size_t n) override {
    strm_.next_out = static_cast<Bytef*>(out);
    strm_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    const uInt want = strm_.avail_out;
    while (strm_.avail_out == want) {
      if (strm_.avail_in == 0) {
        size_t got = in_->read(buf_.data(), buf_.size());
        consumed_ += got;
        if (got == 0) {
          if (inMember_)
            throw StageError(name(), "compressed byte " + std::to_string(consumed_),
                             "truncated gzip data (input ends inside a member)");
          break;
        }
        strm_.next_in = buf_.data();
        strm_.avail_in = static_cast<uInt>(got);
      }
      inMember_ = true;
      int ret = inflate(&strm_, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) {
        // Another member may follow (zcat reads them all).
        inMember_ = false;
        inflateReset(&strm_);
        continue;
      }
      if (ret != Z_OK && ret != Z_BUF_ERROR)
        throw StageError(name(), "compressed byte " + std::to_string(consumed_ - strm_.avail_in),
                         std::string("corrupt gzip data: ") + (strm_.msg ? strm_.msg : "?"));
    }
    return want - strm_.avail_out;
  }
  const std::string& name() const override { return in_->name(); }

 private:
  std::unique_ptr<runtime::ByteSource> in_;
  std::vector<Bytef> buf_;
  z_stream strm_;
  bool inMember_ = false;
  uint64_t consumed_ = 0;
};

}  // namespace

std::unique_ptr<runtime::ByteSource> decompressing(std::unique_ptr<runtime::ByteSource> raw,
                                                    const std::string& nameForSuffix) {
  std::string head(6, '\0');
  size_t have = 0;
  while (have < head.size()) {
    size_t got = raw->read(head.data() + have, head.size() - have);
    if (got == 0) break;
    have += got;
  }
  head.resize(have);
  const bool xz = have == 6 && std::memcmp(head.data(), kXzMagic, 6) == 0;
  const bool gz = have >= 2 && std::memcmp(head.data(), kGzMagic, 2) == 0;
  const std::string& name = raw->name();
  if (endsWith(nameForSuffix, ".xz") && !xz)
    throw StageError(name, "", have == 0 ? "empty file (expected xz data)"
                                         : "not xz data (no xz stream magic)");
  if (endsWith(nameForSuffix, ".gz") && !gz)
    throw StageError(name, "", have == 0 ? "empty file (expected gzip data)"
                                         : "not gzip data (no gzip magic)");
  auto source = runtime::prependBytes(std::move(head), std::move(raw));
  if (xz) return std::make_unique<XzSource>(std::move(source));
  if (gz) return std::make_unique<GzSource>(std::move(source));
  return source;
}

std::unique_ptr<runtime::ByteSource> openCompressedSource(const std::string& spec) {
  // The runtime handles "-", files, named pipes and zstd.
  return decompressing(runtime::openByteSource(spec), spec);
}

}  // namespace pv::trace
