#include "stages/model-lib/model_encoder.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>
#include <stdexcept>

#include "stages/core/stage_error.h"

namespace pv::encode {

EncoderConfig encoderConfigOf(const ModelArchitecture& arch, const std::string& where) {
  EncoderConfig c;
  auto kind = parseArch(arch.kind);
  if (!kind) throw StageError(where, "", "unknown encoder architecture '" + arch.kind + "' (lstm or gru)");
  c.arch = *kind;
  c.features = static_cast<int>(arch.features);
  c.hidden = static_cast<int>(arch.hidden);
  c.layers = static_cast<int>(arch.layers);
  c.window = static_cast<int>(arch.window);
  try {
    c.validate();
  } catch (const std::invalid_argument& e) {
    throw StageError(where, "", e.what());
  }
  return c;
}

ModelArchitecture architectureOf(const EncoderConfig& config, uint32_t chunk) {
  ModelArchitecture a;
  a.kind = std::string(archName(config.arch));
  a.features = static_cast<uint32_t>(config.features);
  a.hidden = static_cast<uint32_t>(config.hidden);
  a.layers = static_cast<uint32_t>(config.layers);
  a.window = static_cast<uint32_t>(config.window);
  a.chunk = chunk;
  return a;
}

InstructionEncoder loadEncoder(const Model& model, const std::string& where) {
  InstructionEncoder encoder(encoderConfigOf(model.architecture, where));
  std::set<std::string> expected;
  for (const auto& p : encoder.parameters()) {
    expected.insert(p.name);
    const NamedTensor* t = model.tensor(p.name);
    if (!t)
      throw StageError(where, "", fmt::format("no weight '{}' for the {} encoder", p.name,
                                              model.architecture.kind));
    std::vector<int64_t> shape(t->shape.begin(), t->shape.end());
    if (shape != p.shape)
      throw StageError(where, "", fmt::format("weight '{}' has shape [{}], the encoder needs [{}]",
                                              p.name, fmt::join(shape, ", "),
                                              fmt::join(p.shape, ", ")));
    encoder.setParameter(p.name, t->values);
  }
  for (const auto& t : model.tensors)
    if (!expected.count(t.name))
      throw StageError(where, "", fmt::format("weight '{}' is not a parameter of the {} encoder",
                                              t.name, model.architecture.kind));
  return encoder;
}

void storeEncoder(const InstructionEncoder& encoder, uint32_t chunk, Model& model) {
  model.architecture = architectureOf(encoder.config(), chunk);
  model.tensors.clear();
  for (const auto& p : encoder.parameters()) {
    NamedTensor t;
    t.name = p.name;
    t.shape.assign(p.shape.begin(), p.shape.end());
    t.values = encoder.parameter(p.name);
    model.tensors.push_back(std::move(t));
  }
}

FeatureNormaliser normaliserOf(const Model& model) {
  return FeatureNormaliser(std::vector<double>(model.featureMean.begin(), model.featureMean.end()),
                           std::vector<double>(model.featureStd.begin(), model.featureStd.end()));
}

}  // namespace pv::encode
