// libFuzzer target: the model file loader (pv-model, pv-window, pv-encode,
// pv-dot-predict...): Cap'n Proto with limits, validation, stored hashes.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "stages/core/stage_error.h"
#include "stages/model-lib/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // loadModel reads a path: the input goes into an anonymous memory file.
  static int fd = ::memfd_create("model.pvm", 0);
  if (fd < 0 || ::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    return 0;
  try {
    pv::Model model = pv::loadModel("/proc/self/fd/" + std::to_string(fd));
  } catch (const pv::StageError&) {
  }
  return 0;
}
