// pv-train checkpoints (schema/checkpoint.capnp): save atomically, load with
// validation. No LibTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"

namespace pv::train {

struct Checkpoint {
  std::string runKey;
  uint64_t step = 0;
  std::vector<NamedTensor> tensors;
  double validationLoss = 0;
  double elapsedSeconds = 0;
};

// Writes `path` through a temporary file renamed into place, so a crash
// leaves either the old or the new checkpoint, never half of one. Throws
// StageError naming the file.
void saveCheckpoint(const Checkpoint& checkpoint, const std::string& path);
// nullopt when `path` does not exist; throws StageError when it is not a
// valid checkpoint.
std::optional<Checkpoint> loadCheckpoint(const std::string& path);

}  // namespace pv::train
