// The bridge between a model file (stages/model) and the LibTorch encoder:
// which EncoderConfig a model's architecture means, building an encoder with
// the model's weights, storing an encoder's weights into a model, and the
// model's feature normalisation.
#pragma once

#include <cstdint>
#include <string>

#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_file.h"

namespace pv::encode {

// Throws StageError naming `where` for an unknown kind or a size of 0.
EncoderConfig encoderConfigOf(const ModelArchitecture& arch, const std::string& where);
// `chunk`: the K a chunked model is trained with (0: exact).
ModelArchitecture architectureOf(const EncoderConfig& config, uint32_t chunk);

// An encoder with the model's weights. Every parameter of the architecture
// must be in the model's tensors with its exact shape, and no other tensor
// may be there (a misnamed or missing weight is an error naming `where`,
// never a silently random one).
InstructionEncoder loadEncoder(const Model& model, const std::string& where);

// Replaces the model's tensors by the encoder's parameters and its
// architecture by the encoder's (keeping `chunk`).
void storeEncoder(const InstructionEncoder& encoder, uint32_t chunk, Model& model);

// The model's per-feature normalisation.
FeatureNormaliser normaliserOf(const Model& model);

}  // namespace pv::encode
