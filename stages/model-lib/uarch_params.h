// Microarchitecture parameters as the model file records them: a pv-uarch
// configuration (stages/model-lib/uarch_config.h, the one reader of the
// format) flattened to "table.key" = "value" pairs, and the numeric input
// vector a parametric model (UarchParameterModel) maps to M_u. No LibTorch:
// pv-dot-predict evaluates the parametric model in plain C++.
#pragma once

#include <string>
#include <vector>

#include "stages/model-lib/model_file.h"
#include "stages/model-lib/uarch_config.h"

namespace pv {

// A configuration as a Microarchitecture: its name, every parameter of
// the configuration pv-uarch simulates (uarch::flattenedParameters: the
// defaults of keys the file leaves out included) and its clock
// (core.frequency_ghz); no representation.
Microarchitecture fromConfig(const uarch::UarchConfig& config);
// Reads and checks a configuration file (uarch::readConfig: the `name`
// key, or the file's base name) as above. Throws StageError naming the file
// and position.
Microarchitecture readUarchConfig(const std::string& path);
// The same for TOML text; `where` names it (and gives the default name).
Microarchitecture parseUarchConfig(const std::string& text, const std::string& where);

// Inputs of a parametric model over `uarchs`: every key whose value is a
// number in all of them ("core.rob"), and every "key=value" of keys whose
// value is text ("branch.predictor=tage"), sorted; keys whose value is the
// same everywhere are left out (they carry no information).
std::vector<std::string> parameterInputNames(const std::vector<Microarchitecture>& uarchs);
// The raw input vector of `u` (log2(1 + x) of numbers, 0/1 of text
// choices). Throws StageError naming `where` when a numeric input is
// missing or not a number.
std::vector<float> parameterInputs(const Microarchitecture& u, const std::vector<std::string>& names,
                                   const std::string& where);
// M_u of `u` from the model's parametric model (targets x hidden). Throws
// StageError when the model has none.
std::vector<float> parametricRepresentation(const Model& model, const Microarchitecture& u,
                                            const std::string& where);

}  // namespace pv
