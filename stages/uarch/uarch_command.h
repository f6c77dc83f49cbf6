// pv-uarch's work once its command line is parsed: `pv-uarch sample` writes
// drawn configurations; labelling reads the configurations, runs the
// labeller through the stage driver and writes the report. Every file
// appears whole or not at all (runtime/output_file.h): a half-written TOML
// file can still parse, as another configuration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/runtime/stage.h"
#include "stages/uarch/run_report.h"

namespace pv::uarch {

struct SampleOptions {
  uint64_t seed = 1;
  uint32_t count = 1;
  uint32_t first = 0;  // index of the first configuration
  std::string dir;     // created when missing
};

// Writes DIR/NAME.toml (a comment line naming the draw, then writeToml) for
// the configurations first .. first + count - 1 of the seed; returns the
// paths in order. StageError naming a folder or file that cannot be made.
std::vector<std::string> writeSampledConfigs(const SampleOptions& options);

struct LabelOptions {
  std::vector<std::string> configFiles;
  unsigned threads = 1;
  std::string reportPath;            // "": none; "-": stderr
  std::string reportFormat = "auto";  // auto (from the report's name), text, csv, json
};

// The report format of --report-format `option` for a report named `path`.
ReportFormat reportFormatOf(const std::string& option, const std::string& path);

// Labels the stage's input with every configuration and writes the report.
void labelStream(runtime::Stage& stage, const LabelOptions& options);

}  // namespace pv::uarch
