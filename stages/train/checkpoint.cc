// Checkpoint files: one Cap'n Proto message, written atomically.

#include "stages/train/checkpoint.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <kj/exception.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "schema/checkpoint.capnp.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/byte_source.h"

namespace pv::train {

void saveCheckpoint(const Checkpoint& c, const std::string& path) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<wire::TrainingCheckpoint>();
  root.setFormatVersion(wire::CHECKPOINT_FORMAT_VERSION);
  root.setRunKey(c.runKey);
  root.setStep(c.step);
  root.setValidationLoss(c.validationLoss);
  root.setElapsedSeconds(c.elapsedSeconds);
  auto tensors = root.initTensors(c.tensors.size());
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const NamedTensor& t = c.tensors[i];
    tensors[i].setName(t.name);
    auto shape = tensors[i].initShape(t.shape.size());
    for (size_t d = 0; d < t.shape.size(); ++d) shape.set(d, t.shape[d]);
    tensors[i].setValues(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(t.values.data()), t.values.size() * sizeof(float)));
  }
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StageError(path, "", std::string("cannot create: ") + std::strerror(errno));
  try {
    capnp::writeMessageToFd(fd, message);
  } catch (const kj::Exception& e) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw StageError(path, "", std::string("write failed: ") + e.getDescription().cStr());
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw StageError(path, "", std::string("cannot write: ") + std::strerror(err));
  }
}

std::optional<Checkpoint> loadCheckpoint(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw StageError(path, "", std::string("cannot read: ") + std::strerror(errno));
  }
  std::string bytes;
  {
    auto source = runtime::openByteSource(path);
    char buffer[1 << 16];
    for (size_t got; (got = source->read(buffer, sizeof buffer)) > 0;) bytes.append(buffer, got);
  }
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
    throw StageError(path, "", fmt::format("not a pv-train checkpoint ({} bytes)", bytes.size()));
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  Checkpoint c;
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1ull << 30;
    capnp::FlatArrayMessageReader reader(words, options);
    auto root = reader.getRoot<wire::TrainingCheckpoint>();
    if (root.getFormatVersion() != wire::CHECKPOINT_FORMAT_VERSION)
      throw StageError(path, "", fmt::format("checkpoint format version {}, this build reads {}",
                                             root.getFormatVersion(), wire::CHECKPOINT_FORMAT_VERSION));
    c.runKey = root.getRunKey();
    c.step = root.getStep();
    c.validationLoss = root.getValidationLoss();
    c.elapsedSeconds = root.getElapsedSeconds();
    for (auto t : root.getTensors()) {
      NamedTensor n;
      n.name = t.getName();
      // The element count in 64 bits, refused before it wraps around (a
      // shape of 65536^4 once matched empty data).
      uint64_t count = 1;
      for (auto d : t.getShape()) {
        n.shape.push_back(d);
        if (__builtin_mul_overflow(count, uint64_t{d}, &count) || count > bytes.size())
          throw StageError(path, "tensor " + n.name, "its shape holds more values than the file has bytes");
      }
      auto data = t.getValues();
      if (data.size() != count * sizeof(float))
        throw StageError(path, "tensor " + n.name, "its data does not match its shape");
      n.values.resize(count);
      if (count) std::memcpy(n.values.data(), data.begin(), data.size());
      c.tensors.push_back(std::move(n));
    }
  } catch (const kj::Exception& e) {
    throw StageError(path, "", std::string("not a valid pv-train checkpoint: ") + e.getDescription().cStr());
  }
  return c;
}

}  // namespace pv::train
