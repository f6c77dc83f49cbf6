// ReferenceRnn: a direct, loop-by-loop re-implementation of the encoder's
// model for tests (no LibTorch): nn.LSTM / nn.GRU cell equations in double
// over the flat weight arrays, and PerfVec's window loop (one fresh window of
// the last W rows per instruction). Slow on purpose; small sizes only.
#pragma once

#include <cstdint>
#include <vector>

#include "stages/model-lib/instruction_encoder.h"

namespace pv::encode {

class ReferenceRnn {
 public:
  // Copies the weights of `encoder` (through its flat parameter arrays).
  explicit ReferenceRnn(const InstructionEncoder& encoder);

  // The model over `steps` rows of F floats from a zero state: ReLU of the
  // last layer's output at every step, steps x H.
  std::vector<double> run(const float* rows, int64_t steps) const;

  // PerfVec's definition: R_i for each of the n instructions at rows
  // [C, C + n) of `rows`, each from a fresh window of rows [i, i + W).
  // n x H.
  std::vector<double> exact(const float* rows, int64_t n) const;

 private:
  struct Layer {
    int64_t in = 0;
    std::vector<double> wih, whh, bih, bhh;
  };
  EncoderConfig config_;
  std::vector<Layer> layers_;
};

}  // namespace pv::encode
