// pv-uarch: labels an instruction stream with the 16 PerfVec targets of
// simulated microarchitectures (a trace-driven timing model per TOML
// configuration, all in one pass), and writes whole-run totals.
// `pv-uarch sample` draws random configurations as TOML files.
// Flags only; the work is in uarch_command.h.

#include <iostream>
#include <string>

#include "stages/runtime/stage.h"
#include "stages/uarch/uarch_command.h"

namespace {

constexpr const char* kName = "pv-uarch";

// pv-uarch sample --seed S --count N --out DIR
int sampleMain(int argc, char** argv) {
  pv::runtime::Tool tool(
      std::string(kName) + " sample",
      "Draws random microarchitectures from the sampling space (stages/uarch/README.md) and "
      "writes each as DIR/NAME.toml, NAME = s<seed>-<index>. The same seed gives the same "
      "configurations; a larger count adds to them.");
  CLI::App& app = tool.cli();
  pv::uarch::SampleOptions o;
  app.add_option("--seed", o.seed, "Seed of the draw")->capture_default_str();
  app.add_option("--count", o.count, "Configurations to write")->capture_default_str()->check(CLI::Range(1u, 1000000u));
  app.add_option("--first", o.first, "Index of the first configuration")->capture_default_str();
  app.add_option("--out", o.dir, "Folder to write to (created when missing)")->required();
  app.footer("Prints the paths written, one a line. Exit status: 0 success, 1 a file cannot be written, 2 usage error.");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] {
    for (const auto& path : pv::uarch::writeSampledConfigs(o)) std::cout << path << "\n";
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "sample") return sampleMain(argc - 1, argv + 1);

  pv::runtime::Stage stage(
      kName,
      "Labels an instruction stream with the 16 PerfVec training targets of each configured "
      "microarchitecture, from a trace-driven timing model (in-order and out-of-order cores, "
      "branch predictors, caches, prefetchers, DRAM), all in one pass.\n"
      "An already labelled input keeps its labels; these are appended.\n"
      "'pv-uarch sample --help': draw random configurations.");
  pv::uarch::LabelOptions o;
  stage.cli()
      .add_option("-c,--config", o.configFiles, "Microarchitecture configuration (TOML); repeat for more")
      ->required()
      ->allow_extra_args(false)
      ->type_name("FILE");
  stage.cli()
      .add_option("--report", o.reportPath,
                  "Write whole-run totals per configuration (cycles, time, CPI, cache and branch "
                  "statistics) to FILE ('-': stderr) at end of stream; the file appears when complete")
      ->type_name("FILE");
  stage.cli()
      .add_option("--report-format", o.reportFormat, "text, csv or json (auto: from the file name's suffix)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "text", "csv", "json"}));
  stage.cli()
      .add_option("-j,--threads", o.threads, "Threads that run the configurations of a batch")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  stage.cli().footer(
      "Exit status: 0 success, 1 data or runtime error (a bad configuration names its "
      "file:line:column), 2 usage error.");
  if (auto rc = stage.parse(argc, argv)) return *rc;
  return stage.guard([&] { pv::uarch::labelStream(stage, o); });
}
