// pv-model's two commands once their command lines are parsed: `init`
// writes an untrained model (stages/model-lib/untrained_model.h), `info`
// prints what a model file holds, as text or as one JSON object.
#pragma once

#include <string>

#include "stages/model-lib/model_file.h"
#include "stages/model-lib/untrained_model.h"

namespace pv {

// Writes the untrained model to `output` (whole or not at all:
// runtime/output_file.h) and returns the line pv-model prints on stderr.
std::string initModel(const encode::UntrainedModelOptions& options, const std::string& output);

// pv-model info of `model`, read from `path`: "text" (aligned "key value"
// lines, the training record when trained, one line per microarchitecture)
// or "json" (one line: file, name, description, content_hash,
// encoder_hash, architecture, weights, targets, uarchs).
std::string formatModelInfo(const Model& model, const std::string& path, const std::string& format);

}  // namespace pv
