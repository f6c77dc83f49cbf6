// libFuzzer target: pv-train's checkpoint files (Cap'n Proto, validated:
// schema/checkpoint.capnp), through loadCheckpoint as pv-train resumes.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "stages/core/stage_error.h"
#include "stages/train/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // loadCheckpoint reads a path: the input goes into an anonymous memory file.
  static int fd = ::memfd_create("model.pvm.ckpt", 0);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    return 0;
  try {
    (void)pv::train::loadCheckpoint("/proc/self/fd/" + std::to_string(fd));
  } catch (const pv::StageError&) {
  }
  return 0;
}
