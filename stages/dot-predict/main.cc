// pv-dot-predict: predicted execution time of a program on every
// microarchitecture of a model: T = R_p . M_u. Flags only; the work is
// pv::runDotPredict (dot_predict_command.h).

#include <CLI/CLI.hpp>
#include <map>

#include "stages/dot-predict/dot_predict_command.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-dot-predict", "Predicts a program's execution time on every microarchitecture of a model: "
               "T = R_p . M_u (R_p from pv-aggregate).");
  CLI::App& app = tool.cli();
  pv::DotPredictOptions o;
  const std::map<std::string, pv::PredictionFormat> formats{
      {"text", pv::PredictionFormat::kText}, {"csv", pv::PredictionFormat::kCsv}, {"json", pv::PredictionFormat::kJson}};
  app.add_option("input", o.input, "Program representation: '-', a file, or a ZeroMQ endpoint")->capture_default_str();
  app.add_option("-m,--model", o.modelPath, "Model file (.pvm) with the microarchitecture table")->required();
  app.add_option("--uarchs", o.uarchTablePath,
                 "Take the microarchitecture table from this model file instead (same encoder)");
  app.add_option("-o,--output", o.output, "Text output file ('-': stdout; a file appears when complete)")
      ->capture_default_str();
  pv::runtime::addCurveOptions(app);
  app.add_option("--format", o.format, "text (a table), csv, or json (JSON Lines)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  app.add_flag("--all-targets", o.allTargets, "Also print every target's T (in the target's units)");
  app.add_flag("--intervals", o.intervals, "Predict each interval sum too (pv-aggregate --interval)");
  app.add_option("--uarch", o.configPaths,
                 "Also predict for this configuration (pv-uarch TOML), with M_u from the model's parametric "
                 "model (pv-tune --parametric)");
  app.add_option("--truth", o.truthPath,
                 "A pv-uarch --report (JSON) of the same program: print its times and the error next to the "
                 "prediction (not with --intervals)");
  app.add_option("--program", o.program,
                 "The program's name: in text, a caption before the summary says whether the model trained on it "
                 "and how many of its microarchitectures it saw in training");
  app.footer("Exit status: 0 success, 1 data error (e.g. a representation of another encoder), 2 usage error.");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] { pv::runDotPredict(o); });
}
