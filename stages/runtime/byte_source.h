// Raw byte input for readers of foreign formats (gem5 text, later ChampSim):
// "-" (stdin), a file or named pipe, and zstd decompression when the name
// ends in ".zst" or the data starts with a zstd frame.
//
// read() blocks until at least one byte is available and returns 0 only at
// the end of the input; a FIFO written by a live producer is read as it
// grows. Failures throw pv::StageError naming the input.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace pv::runtime {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; returns 0 at end of input.
  virtual size_t read(void* buffer, size_t n) = 0;
  // The input's name for messages ("<stdin>" for "-").
  virtual const std::string& name() const = 0;
};

// Opens "-" or a path; decompresses zstd transparently (by suffix or magic).
std::unique_ptr<ByteSource> openByteSource(const std::string& spec);

// Raw reads from an open file descriptor, named `name` in errors; closes it
// when `owned`. No decompression.
std::unique_ptr<ByteSource> fdByteSource(int fd, std::string name, bool owned);

// Pipes between stages carry ~1 MB messages; with the default 64 KiB buffer
// every message costs a dozen context switches between writer and reader.
inline constexpr int kPipeBytes = 1 << 20;

// Grows the kernel buffer of `fd` to kPipeBytes when it is a pipe (best
// effort; nothing happens for other kinds of files).
void widenPipe(int fd);

// Wraps already-buffered bytes followed by the rest of `rest` (used after
// sniffing the first bytes of an input).
std::unique_ptr<ByteSource> prependBytes(std::string head,
                                         std::unique_ptr<ByteSource> rest);

}  // namespace pv::runtime
