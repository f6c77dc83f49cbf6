// pv-model: creates and inspects model files (.pvm).
//   pv-model init -o model.pvm [--arch lstm --hidden 256 ...] [--stats stats.csv]
//   pv-model info model.pvm [--format text|json]
// `init` makes an untrained model (random weights, deterministic per seed):
// the starting point of training, and what the tests and benchmarks encode
// with. Training (pv-train) and tuning (pv-tune) write trained ones.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <random>

#include "stages/core/feature_layout.h"
#include "stages/core/json_text.h"
#include "stages/core/stage_error.h"
#include "stages/core/targets.h"
#include "stages/model-lib/feature_stats.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/runtime/tool.h"

namespace {

constexpr const char* kName = "pv-model";

struct InitOptions {
  std::string output, arch = "lstm", stats, name = "untrained", description;
  int hidden = 256, layers = 2, window = 256;
  uint32_t chunk = 1024;
  std::vector<std::string> uarchs;
  uint32_t uarchCount = 1;
  uint64_t seed = 1;
};

// "NAME" or "NAME@GHZ".
pv::Microarchitecture parseUarch(const std::string& spec) {
  pv::Microarchitecture u;
  auto at = spec.rfind('@');
  u.name = spec.substr(0, at);
  if (at != std::string::npos) {
    const std::string ghz = spec.substr(at + 1);
    char* end = nullptr;
    u.clockGhz = std::strtod(ghz.c_str(), &end);
    if (ghz.empty() || *end || !(u.clockGhz > 0) || !std::isfinite(u.clockGhz))
      throw pv::StageError("--uarch", spec, "the clock after '@' must be a positive number of GHz");
  }
  if (u.name.empty()) throw pv::StageError("--uarch", spec, "empty microarchitecture name");
  return u;
}

int init(const InitOptions& o) {
  pv::Model m;
  m.name = o.name;
  m.description = o.description.empty()
                      ? fmt::format("untrained {} {}x{} over {} instructions, seed {}", o.arch,
                                    o.layers, o.hidden, o.window, o.seed)
                      : o.description;
  pv::ModelArchitecture arch{o.arch, static_cast<uint32_t>(pv::features::kCount),
                             static_cast<uint32_t>(o.hidden), static_cast<uint32_t>(o.layers),
                             static_cast<uint32_t>(o.window), o.chunk};
  pv::encode::InstructionEncoder encoder(pv::encode::encoderConfigOf(arch, "--arch"));
  encoder.initRandom(o.seed);
  pv::encode::storeEncoder(encoder, o.chunk, m);
  m.featureColumns = pv::features::columnNames();
  if (o.stats.empty()) {
    m.featureMean.assign(m.featureColumns.size(), 0.0f);
    m.featureStd.assign(m.featureColumns.size(), 1.0f);
  } else {
    auto s = pv::readFeatureStatsCsv(o.stats, m.featureColumns.size());
    m.featureMean = s.mean;
    m.featureStd = s.stddev;
  }
  m.targetNames = pv::targetNames();
  std::vector<pv::Microarchitecture> uarchs;
  for (const auto& spec : o.uarchs) uarchs.push_back(parseUarch(spec));
  if (uarchs.empty())
    for (uint32_t i = 0; i < o.uarchCount; ++i) uarchs.push_back({fmt::format("uarch-{}", i), {}, 0, {}, "untrained"});
  // M_u like nn.Linear's default initialisation: uniform in +-1/sqrt(H).
  std::mt19937_64 rng(o.seed ^ 0x6d5f75ull);
  const float bound = 1.0f / std::sqrt(static_cast<float>(o.hidden));
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (auto& u : uarchs) {
    u.representation.resize(m.targetNames.size() * static_cast<size_t>(o.hidden));
    for (float& v : u.representation) v = dist(rng);
  }
  m.uarchs = std::move(uarchs);
  pv::validateModel(m, o.output);
  pv::saveModel(m, o.output);
  std::cerr << kName << ": wrote " << o.output << " (" << m.encoderHash << ")\n";
  return 0;
}

int info(const std::string& path, const std::string& format) {
  pv::Model m = pv::loadModel(path);
  const auto& a = m.architecture;
  size_t weights = 0;
  for (const auto& t : m.tensors) weights += t.values.size();
  if (format == "json") {
    std::string uarchs;
    for (const auto& u : m.uarchs) {
      std::string params;
      for (const auto& [k, v] : u.params) params += (params.empty() ? "" : ", ") + pv::jsonString(k) + ": " + pv::jsonString(v);
      uarchs += fmt::format("{}{{\"name\": {}, \"origin\": {}, \"clock_ghz\": {}, \"params\": {{{}}}}}",
                            uarchs.empty() ? "" : ", ", pv::jsonString(u.name), pv::jsonString(u.origin),
                            u.clockGhz, params);
    }
    std::string targets;
    for (const auto& t : m.targetNames) targets += (targets.empty() ? "" : ", ") + pv::jsonString(t);
    fmt::print("{{\"file\": {}, \"name\": {}, \"description\": {}, \"content_hash\": {}, "
               "\"encoder_hash\": {}, \"architecture\": {{\"kind\": {}, \"features\": {}, "
               "\"hidden\": {}, \"layers\": {}, \"window\": {}, \"chunk\": {}}}, \"weights\": {}, "
               "\"targets\": [{}], \"uarchs\": [{}]}}\n",
               pv::jsonString(path), pv::jsonString(m.name), pv::jsonString(m.description), pv::jsonString(m.contentHash),
               pv::jsonString(m.encoderHash), pv::jsonString(a.kind), a.features, a.hidden, a.layers, a.window,
               a.chunk, weights, targets, uarchs);
    return 0;
  }
  fmt::print("model        {}\n", path);
  fmt::print("name         {}\n", m.name);
  if (!m.description.empty()) fmt::print("description  {}\n", m.description);
  fmt::print("content      {}\n", m.contentHash);
  fmt::print("encoder      {}\n", m.encoderHash);
  fmt::print("architecture {} {} x {}, window {}, {}\n", a.kind, a.layers, a.hidden, a.window,
             a.chunk ? fmt::format("trained chunked, K = {}", a.chunk) : std::string("exact"));
  fmt::print("features     {}\n", m.featureColumns.size());
  fmt::print("weights      {} in {} tensors\n", weights, m.tensors.size());
  fmt::print("targets      {}\n", fmt::join(m.targetNames, ", "));
  const auto& t = m.training;
  if (t.steps > 0) {
    fmt::print("trained      {} steps ({:.2f} epochs, {} workers) on {} records of {} programs: {}\n", t.steps,
               t.epochs, t.workers, t.instructions, t.programs.size(), fmt::join(t.programs, ", "));
    if (!t.heldOutPrograms.empty()) fmt::print("held out     programs: {}\n", fmt::join(t.heldOutPrograms, ", "));
    if (!t.heldOutUarchs.empty()) fmt::print("held out     uarchs: {}\n", fmt::join(t.heldOutUarchs, ", "));
    if (!t.uarchSource.empty()) fmt::print("uarch set    {}\n", t.uarchSource);
    fmt::print("validation   loss {:.4f}\n", t.validationLoss);
  }
  if (!m.uarchModel.empty())
    fmt::print("parametric   MLP from {} configuration inputs to M_u\n", m.uarchModel.inputs.size());
  fmt::print("uarchs       {}\n", m.uarchs.size());
  for (const auto& u : m.uarchs) {
    std::string params;
    if (u.params.size() <= 8)
      for (const auto& [k, v] : u.params) params += fmt::format(" {}={}", k, v);
    else
      params = fmt::format(" ({} parameters; --format json lists them)", u.params.size());
    fmt::print("  {}{}{}{}\n", u.name, u.origin.empty() ? "" : " [" + u.origin + "]",
               u.clockGhz > 0 ? fmt::format(" @ {} GHz", u.clockGhz) : "", params);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool(kName, "Creates and inspects perfvec model files (.pvm).");
  CLI::App& app = tool.cli();
  // At most one subcommand for CLI11; "exactly one" is checked after parsing,
  // since CLI11 2.1 checks a required subcommand before --version.
  app.require_subcommand(0, 1);
  InitOptions io;
  auto* initCmd = app.add_subcommand("init", "Writes an untrained model: random weights (deterministic "
                                             "per seed), feature statistics, microarchitecture table");
  initCmd->add_option("-o,--output", io.output, "Model file to write")->required();
  initCmd->add_option("--arch", io.arch, "Encoder: lstm or gru")->capture_default_str()
      ->check(CLI::IsMember({"lstm", "gru"}));
  initCmd->add_option("--hidden", io.hidden, "Hidden width H (= width of R_i and M_u)")->capture_default_str()
      ->check(CLI::Range(1, 8192));
  initCmd->add_option("--layers", io.layers, "RNN layers")->capture_default_str()->check(CLI::Range(1, 64));
  initCmd->add_option("--window", io.window, "Instructions per window W")->capture_default_str()
      ->check(CLI::Range(1, 1 << 16));
  initCmd->add_option("--chunk", io.chunk, "K the model is (to be) trained with in chunked mode; 0: exact")
      ->capture_default_str()->check(CLI::Range(0u, 1u << 20));
  initCmd->add_option("--stats", io.stats,
                      "Feature statistics CSV (feature_index,mean,std); default: mean 0, std 1");
  initCmd->add_option("--uarch", io.uarchs, "A microarchitecture NAME or NAME@GHZ (repeatable)");
  initCmd->add_option("--uarchs", io.uarchCount, "Without --uarch: this many, named uarch-0, uarch-1, ...")
      ->capture_default_str()->check(CLI::Range(1u, 1u << 16));
  initCmd->add_option("--seed", io.seed, "Random seed")->capture_default_str();
  initCmd->add_option("--name", io.name, "Model name")->capture_default_str();
  initCmd->add_option("--description", io.description, "Free text");

  std::string infoPath, infoFormat = "text";
  auto* infoCmd = app.add_subcommand("info", "Prints what a model file holds");
  infoCmd->add_option("model", infoPath, "Model file")->required();
  infoCmd->add_option("--format", infoFormat, "text or json")->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));

  if (auto rc = tool.parse(argc, argv)) return *rc;
  int status = 0;
  int guarded = tool.guard([&] {
    if (app.get_subcommands().empty()) throw pv::runtime::UsageError("a subcommand is required: init or info");
    status = *initCmd ? init(io) : info(infoPath, infoFormat);
  });
  return guarded != 0 ? guarded : status;
}
