// pv-uarch: labels an instruction stream with the 16 PerfVec targets of
// simulated microarchitectures (a trace-driven timing model per TOML
// configuration, all in one pass), and writes whole-run totals.
// `pv-uarch sample` draws random configurations as TOML files.
// Flags and files only; the work is pv::uarch::UarchLabeller.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "stages/runtime/stage.h"
#include "stages/uarch/config_sampler.h"
#include "stages/uarch/uarch_labeller.h"

namespace {

constexpr const char* kName = "pv-uarch";

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw pv::StageError(path, "", std::string("cannot write: ") + std::strerror(errno));
}

// pv-uarch sample --seed S --count N --out DIR
int sampleMain(int argc, char** argv) {
  CLI::App app(
      "Draws random microarchitectures from the sampling space (stages/uarch/README.md) and "
      "writes each as DIR/NAME.toml, NAME = s<seed>-<index>. The same seed gives the same "
      "configurations; a larger count adds to them.",
      "pv-uarch sample");
  uint64_t seed = 1;
  uint32_t count = 1;
  uint32_t first = 0;
  std::string dir;
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.add_option("--seed", seed, "Seed of the draw")->capture_default_str();
  app.add_option("--count", count, "Configurations to write")->capture_default_str()->check(CLI::Range(1u, 1000000u));
  app.add_option("--first", first, "Index of the first configuration")->capture_default_str();
  app.add_option("--out", dir, "Folder to write to (created when missing)")->required();
  app.footer("Prints the paths written, one a line. Exit status: 0 success, 1 a file cannot be written, 2 usage error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << kName << " sample: " << e.what() << "\nRun '" << kName << " sample --help' for usage.\n";
    return 2;
  }
  try {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw pv::StageError(dir, "", ec.message());
    for (uint32_t i = first; i < first + count; ++i) {
      pv::uarch::UarchConfig c = pv::uarch::sampleConfig(seed, i);
      const std::string path = (std::filesystem::path(dir) / (c.name + ".toml")).string();
      writeFile(path, "# pv-uarch sample --seed " + std::to_string(seed) + " (index " + std::to_string(i) + ")\n" +
                          pv::uarch::writeToml(c));
      std::cout << path << "\n";
    }
  } catch (const pv::StageError& e) {
    std::cerr << kName << " sample: " << e.what() << "\n";
    return 1;
  }
  return 0;
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
  std::vector<std::string> configFiles;
  std::string reportPath;
  std::string reportFormat = "auto";
  unsigned threads = 1;
  stage.cli()
      .add_option("-c,--config", configFiles, "Microarchitecture configuration (TOML); repeat for more")
      ->required()
      ->allow_extra_args(false)
      ->type_name("FILE");
  stage.cli()
      .add_option("--report", reportPath,
                  "Write whole-run totals per configuration (cycles, time, CPI, cache and branch "
                  "statistics) to FILE ('-': stderr) at end of stream")
      ->type_name("FILE");
  stage.cli()
      .add_option("--report-format", reportFormat, "text, csv or json (auto: from the file name's suffix)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "text", "csv", "json"}));
  stage.cli()
      .add_option("-j,--threads", threads, "Threads that run the configurations of a batch")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  stage.cli().footer(
      "Exit status: 0 success, 1 data or runtime error (a bad configuration names its "
      "file:line:column), 2 usage error.");
  if (auto rc = stage.parse(argc, argv)) return *rc;

  return stage.guard([&] {
    std::vector<pv::uarch::UarchConfig> configs;
    for (const auto& f : configFiles) configs.push_back(pv::uarch::readConfig(f));
    pv::uarch::UarchLabeller labeller(std::move(configs), threads);
    auto reader = pv::runtime::StreamReader::open(stage.options().input);
    stage.runOn(*reader, labeller);
    if (reportPath.empty()) return;
    pv::uarch::ReportFormat format = pv::uarch::reportFormatFor(reportPath);
    if (reportFormat == "text") format = pv::uarch::ReportFormat::kText;
    if (reportFormat == "csv") format = pv::uarch::ReportFormat::kCsv;
    if (reportFormat == "json") format = pv::uarch::ReportFormat::kJson;
    const std::string text = pv::uarch::formatReports(labeller.reports(), format);
    if (reportPath == "-") std::cerr << text;
    else writeFile(reportPath, text);
  });
}
