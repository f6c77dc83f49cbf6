#include "stages/uarch/uarch_command.h"

#include <filesystem>
#include <iostream>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/output_file.h"
#include "stages/uarch/config_sampler.h"
#include "stages/uarch/uarch_labeller.h"

namespace pv::uarch {

std::vector<std::string> writeSampledConfigs(const SampleOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  if (ec) throw StageError(o.dir, "", ec.message());
  std::vector<std::string> paths;
  for (uint64_t i = o.first; i < uint64_t{o.first} + o.count; ++i) {
    const UarchConfig c = sampleConfig(o.seed, static_cast<uint32_t>(i));
    const std::string path = (std::filesystem::path(o.dir) / (c.name + ".toml")).string();
    runtime::writeOutputFile(path, "# pv-uarch sample --seed " + std::to_string(o.seed) + " (index " +
                                       std::to_string(i) + ")\n" + writeToml(c));
    paths.push_back(path);
  }
  return paths;
}

ReportFormat reportFormatOf(const std::string& option, const std::string& path) {
  if (option == "text") return ReportFormat::kText;
  if (option == "csv") return ReportFormat::kCsv;
  if (option == "json") return ReportFormat::kJson;
  return reportFormatFor(path);
}

void labelStream(runtime::Stage& stage, const LabelOptions& o) {
  std::vector<UarchConfig> configs;
  for (const auto& f : o.configFiles) configs.push_back(parseConfig(readFileBytes(f), f));
  UarchLabeller labeller(std::move(configs), o.threads);
  auto reader = runtime::StreamReader::open(stage.options().input);
  stage.runOn(*reader, labeller);
  if (o.reportPath.empty()) return;
  const std::string text = formatReports(labeller.reports(), reportFormatOf(o.reportFormat, o.reportPath));
  if (o.reportPath == "-")
    std::cerr << text;
  else
    runtime::writeOutputFile(o.reportPath, text);
}

}  // namespace pv::uarch
