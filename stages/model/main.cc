// pv-model: creates and inspects model files (.pvm).
//   pv-model init -o model.pvm [--arch lstm --hidden 256 ...] [--stats stats.csv]
//   pv-model info model.pvm [--format text|json]
// `init` makes an untrained model (random weights, deterministic per seed):
// the starting point of training, and what the tests and benchmarks encode
// with. Training (pv-train) and tuning (pv-tune) write trained ones. Flags
// only; the work is in model_commands.h.

#include <CLI/CLI.hpp>
#include <iostream>

#include "stages/model/model_commands.h"
#include "stages/runtime/tool.h"

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-model", "Creates and inspects perfvec model files (.pvm).");
  CLI::App& app = tool.cli();
  // At most one subcommand for CLI11; "exactly one" is checked after parsing,
  // since CLI11 2.1 checks a required subcommand before --version.
  app.require_subcommand(0, 1);
  pv::encode::UntrainedModelOptions io;
  std::string output;
  auto* initCmd = app.add_subcommand("init", "Writes an untrained model: random weights (deterministic "
                                             "per seed), feature statistics, microarchitecture table");
  initCmd->add_option("-o,--output", output, "Model file to write (appears when complete)")->required();
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
  return tool.guard([&] {
    if (app.get_subcommands().empty()) throw pv::runtime::UsageError("a subcommand is required: init or info");
    if (*initCmd)
      tool.warn(pv::initModel(io, output));
    else
      std::cout << pv::formatModelInfo(pv::loadModel(infoPath), infoPath, infoFormat) << std::flush;
  });
}
