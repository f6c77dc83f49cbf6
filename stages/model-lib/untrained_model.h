// An untrained model (pv-model init): random encoder weights (deterministic
// per seed on every machine), the feature layout of stages/core with its
// statistics, the 16 PerfVec targets, and a microarchitecture table with
// random M_u. The starting point of training, and what tests and benchmarks
// encode with; its predictions are meaningless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"

namespace pv::encode {

struct UntrainedModelOptions {
  std::string arch = "lstm";  // "lstm" or "gru"
  int hidden = 256, layers = 2, window = 256;
  uint32_t chunk = 1024;             // K the model is (to be) trained with; 0: exact
  std::string stats;                 // feature statistics CSV; "": mean 0, std 1
  std::vector<std::string> uarchs;   // "NAME" or "NAME@GHZ"
  uint32_t uarchCount = 1;           // without `uarchs`: uarch-0, uarch-1, ...
  uint64_t seed = 1;
  std::string name = "untrained";
  std::string description;           // "": says what the model is
};

// A microarchitecture of a table from "NAME" or "NAME@GHZ"; StageError
// naming --uarch and the spec for an empty name or a clock that is not a
// positive number.
Microarchitecture parseUarchSpec(const std::string& spec);

// The model, validated and with its hashes. M_u entries are uniform in
// +-1/sqrt(H), like nn.Linear's initialisation. Throws StageError for a bad
// architecture, statistics file or --uarch.
Model makeUntrainedModel(const UntrainedModelOptions& options);

}  // namespace pv::encode
