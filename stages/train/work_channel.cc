// Work records over pipes.

#include "stages/train/work_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace pv::train {
namespace {

struct ChunkHeader {
  int32_t program = 0;
  int32_t reserved = 0;
  int64_t index = 0;
  int64_t rows = 0;
  int64_t contextRows = 0;
  uint64_t features = 0;  // floats
  uint64_t labels = 0;    // floats
};

void writeAll(int fd, const void* data, size_t n, const WaitCheck& check) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      pollfd pfd{fd, POLLOUT, 0};
      if (::poll(&pfd, 1, 200) == 0 && check) check();
      continue;
    }
    if (w < 0 && errno == EPIPE) throw PipeClosed("the worker's pipe is closed");
    throw std::runtime_error(std::string("cannot write work: ") + std::strerror(errno));
  }
}

// False when the pipe ended before the first byte (when `atStart`).
bool readAll(int fd, void* data, size_t n, bool atStart) {
  char* p = static_cast<char*>(data);
  const size_t total = n;
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r > 0) {
      p += r;
      n -= static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && atStart && n == total) return false;
    throw std::runtime_error(r == 0 ? "the reading process ended in the middle of a work record"
                                    : std::string("cannot read work: ") + std::strerror(errno));
  }
  return true;
}

constexpr uint64_t kMaxFloats = uint64_t{1} << 34;  // 64 GiB: a sane bound for one chunk

}  // namespace

void writeWork(int fd, const WorkHeader& header, const Chunk* chunks, const std::string& text,
               const WaitCheck& check) {
  WorkHeader h = header;
  h.textBytes = text.size();
  writeAll(fd, &h, sizeof h, check);
  for (int64_t i = 0; i < h.chunks; ++i) {
    const Chunk& c = chunks[i];
    ChunkHeader ch;
    ch.program = c.program;
    ch.index = c.index;
    ch.rows = c.rows;
    ch.contextRows = c.contextRows;
    ch.features = c.features.size();
    ch.labels = c.labels.size();
    writeAll(fd, &ch, sizeof ch, check);
    writeAll(fd, c.features.data(), c.features.size() * sizeof(float), check);
    writeAll(fd, c.labels.data(), c.labels.size() * sizeof(float), check);
  }
  writeAll(fd, text.data(), text.size(), check);
}

bool readWork(int fd, WorkHeader& header, std::vector<Chunk>& chunks, std::string& text) {
  if (!readAll(fd, &header, sizeof header, true)) return false;
  if (header.magic != WorkHeader{}.magic || header.chunks < 0 || header.textBytes > (uint64_t{1} << 30))
    throw std::runtime_error("damaged work record");
  chunks.resize(static_cast<size_t>(header.chunks));
  for (auto& c : chunks) {
    ChunkHeader ch;
    readAll(fd, &ch, sizeof ch, false);
    if (ch.features > kMaxFloats || ch.labels > kMaxFloats) throw std::runtime_error("damaged work record");
    c.program = ch.program;
    c.index = ch.index;
    c.rows = ch.rows;
    c.contextRows = ch.contextRows;
    c.features.resize(ch.features);
    c.labels.resize(ch.labels);
    readAll(fd, c.features.data(), ch.features * sizeof(float), false);
    readAll(fd, c.labels.data(), ch.labels * sizeof(float), false);
  }
  text.resize(header.textBytes);
  readAll(fd, text.data(), text.size(), false);
  return true;
}

void writeReady(int fd, const WorkerReady& ready) {
  WorkerReady r = ready;
  r.magic = WorkerReady{}.magic;
  writeAll(fd, &r, sizeof r, {});
}

bool readReady(int fd, WorkerReady& ready, const WaitCheck& check) {
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    const int n = ::poll(&pfd, 1, 200);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (n > 0) break;
    if (check) check();
  }
  if (!readAll(fd, &ready, sizeof ready, true)) return false;
  if (ready.magic != WorkerReady{}.magic) throw std::runtime_error("damaged ready record from a worker");
  return true;
}

std::pair<int, int> workPipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  // As large as an unprivileged process may ask (/proc/sys/fs/pipe-max-size,
  // 1 MiB by default); a smaller pipe still works.
  ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
  ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);  // writes wait in poll (WaitCheck)
  return {fds[0], fds[1]};
}

}  // namespace pv::train
