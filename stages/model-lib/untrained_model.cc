#include "stages/model-lib/untrained_model.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"
#include "stages/core/targets.h"
#include "stages/model-lib/feature_stats.h"
#include "stages/model-lib/model_encoder.h"

namespace pv::encode {

Microarchitecture parseUarchSpec(const std::string& spec) {
  Microarchitecture u;
  auto at = spec.rfind('@');
  u.name = spec.substr(0, at);
  if (at != std::string::npos) {
    const std::string ghz = spec.substr(at + 1);
    char* end = nullptr;
    u.clockGhz = std::strtod(ghz.c_str(), &end);
    if (ghz.empty() || *end || !(u.clockGhz > 0) || !std::isfinite(u.clockGhz))
      throw StageError("--uarch", spec, "the clock after '@' must be a positive number of GHz");
  }
  if (u.name.empty()) throw StageError("--uarch", spec, "empty microarchitecture name");
  return u;
}

Model makeUntrainedModel(const UntrainedModelOptions& o) {
  Model m;
  m.name = o.name;
  m.description = o.description.empty()
                      ? fmt::format("untrained {} {}x{} over {} instructions, seed {}", o.arch, o.layers,
                                    o.hidden, o.window, o.seed)
                      : o.description;
  ModelArchitecture arch{o.arch, static_cast<uint32_t>(features::kCount), static_cast<uint32_t>(o.hidden),
                         static_cast<uint32_t>(o.layers), static_cast<uint32_t>(o.window), o.chunk};
  InstructionEncoder encoder(encoderConfigOf(arch, "--arch"));
  encoder.initRandom(o.seed);
  storeEncoder(encoder, o.chunk, m);
  m.featureColumns = features::columnNames();
  if (o.stats.empty()) {
    m.featureMean.assign(m.featureColumns.size(), 0.0f);
    m.featureStd.assign(m.featureColumns.size(), 1.0f);
  } else {
    auto s = readFeatureStatsCsv(o.stats, m.featureColumns.size());
    m.featureMean = s.mean;
    m.featureStd = s.stddev;
  }
  m.targetNames = targetNames();
  std::vector<Microarchitecture> uarchs;
  for (const auto& spec : o.uarchs) uarchs.push_back(parseUarchSpec(spec));
  if (uarchs.empty())
    for (uint32_t i = 0; i < o.uarchCount; ++i) uarchs.push_back({fmt::format("uarch-{}", i), {}, 0, {}, "untrained"});
  std::mt19937_64 rng(o.seed ^ 0x6d5f75ull);
  const float bound = 1.0f / std::sqrt(static_cast<float>(o.hidden));
  // M_u >= 0 like a trained model's (pv-train's default), so that even an
  // untrained model predicts no negative time.
  std::uniform_real_distribution<float> dist(0.0f, bound);
  m.nonNegativeUarchs = true;
  for (auto& u : uarchs) {
    u.representation.resize(m.targetNames.size() * static_cast<size_t>(o.hidden));
    for (float& v : u.representation) v = dist(rng);
  }
  m.uarchs = std::move(uarchs);
  validateModel(m, "the new model");
  m.encoderHash = computeEncoderHash(m);
  m.contentHash = computeContentHash(m);
  return m;
}

}  // namespace pv::encode
