// Reads a whole (small) file: configuration files, checkpoints, manifests.
// Streams of any size go through runtime::ByteSource instead.
#pragma once

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "stages/core/stage_error.h"

namespace pv {

// The bytes of `path`; a StageError naming the file when it cannot be read.
inline std::string readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StageError(path, "", std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw StageError(path, "", std::string("cannot read: ") + std::strerror(errno));
  return bytes.str();
}

}  // namespace pv
