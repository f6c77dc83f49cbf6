// pv-cat: print any perfvec stream as text, CSV or JSON Lines.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>

#include "stages/cat/stream_printer.h"
#include "stages/runtime/stage.h"
#include "stages/runtime/stream.h"

namespace {

void flush(std::string& text, std::FILE* out) {
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), out) != text.size())
    throw pv::StageError("<output>", "", "write failed");
  text.clear();
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-cat", "Prints a perfvec stream (features, instructions or labels) as text.");
  CLI::App& app = tool.cli();
  std::string input = "-", output = "-";
  pv::PrintFormat format = pv::PrintFormat::kText;
  bool labels = false, headerOnly = false;
  std::map<std::string, pv::PrintFormat> formats{
      {"text", pv::PrintFormat::kText}, {"csv", pv::PrintFormat::kCsv}, {"json", pv::PrintFormat::kJson}};
  app.add_option("input", input, "Input stream: '-', a file (.zst), or a ZeroMQ endpoint")
      ->capture_default_str();
  app.add_option("-o,--output", output, "Text output file ('-': stdout)")->capture_default_str();
  pv::runtime::addCurveOptions(app);
  app.add_option("--format", format,
                 "text: '%g ' per value, one record per line (PerfVec's dump format); "
                 "csv: with a header row; json: JSON Lines")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  app.add_flag("--labels", labels, "Print the label values instead of the records");
  app.add_flag("--header", headerOnly, "Print only the stream header");
  app.footer("Exit status: 0 success, 1 data error, 2 usage error.");
  if (auto rc = tool.parse(argc, argv)) return *rc;

  std::FILE* out = stdout;
  try {
    if (output != "-") {
      out = std::fopen(output.c_str(), "w");
      if (!out) throw pv::StageError(output, "", "cannot create");
    }
    auto reader = pv::runtime::StreamReader::open(input);
    std::string text;
    if (headerOnly) {
      pv::StreamPrinter::describe(reader->header(), format, text);
      flush(text, out);
      return 0;
    }
    pv::StreamPrinter printer(format, labels ? pv::PrintWhat::kLabels : pv::PrintWhat::kRecords);
    printer.begin(reader->header(), text);
    auto printAll = [&](auto batch) {
      while (reader->next(batch)) {
        printer.print(batch, text);
        flush(text, out);
      }
    };
    switch (reader->header().payload) {
      case pv::PayloadKind::kInstructions: printAll(pv::InstructionBatch{}); break;
      case pv::PayloadKind::kFeatures:
      case pv::PayloadKind::kWindows: printAll(pv::FeatureBatch{}); break;
      case pv::PayloadKind::kRepresentations: printAll(pv::RepresentationBatch{}); break;
      case pv::PayloadKind::kProgram: printAll(pv::ProgramRepresentation{}); break;
    }
    if (std::fflush(out) != 0) throw pv::StageError("<output>", "", "write failed");
    return 0;
  } catch (const pv::runtime::UpstreamError& e) {
    std::cerr << "pv-cat: upstream stage " << e.stage() << " failed: " << e.what() << "\n";
  } catch (const pv::StageError& e) {
    std::cerr << "pv-cat: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "pv-cat: " << e.what() << "\n";
  }
  std::fflush(out);
  return 1;
}
