// pv-cat: print any perfvec stream as text, CSV or JSON Lines. Flags only;
// the work is pv::catStream (cat_command.h).

#include <CLI/CLI.hpp>
#include <map>

#include "stages/cat/cat_command.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-cat", "Prints a perfvec stream (features, instructions or labels) as text.");
  CLI::App& app = tool.cli();
  pv::CatOptions o;
  const std::map<std::string, pv::PrintFormat> formats{
      {"text", pv::PrintFormat::kText}, {"csv", pv::PrintFormat::kCsv}, {"json", pv::PrintFormat::kJson}};
  app.add_option("input", o.input, "Input stream: '-', a file (.zst), or a ZeroMQ endpoint")
      ->capture_default_str();
  app.add_option("-o,--output", o.output, "Text output file ('-': stdout; a file appears when complete)")
      ->capture_default_str();
  pv::runtime::addCurveOptions(app);
  app.add_option("--format", o.format,
                 "text: '%g ' per value, one record per line (PerfVec's dump format); "
                 "csv: with a header row; json: JSON Lines")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  app.add_flag("--labels", o.labels, "Print the label values instead of the records");
  app.add_flag("--header", o.headerOnly, "Print only the stream header");
  app.footer("Exit status: 0 success, 1 data error, 2 usage error.");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] { pv::catStream(o); });
}
