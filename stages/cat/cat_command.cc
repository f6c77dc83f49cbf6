#include "stages/cat/cat_command.h"

#include "stages/runtime/output_file.h"
#include "stages/runtime/stream.h"

namespace pv {

void catStream(const CatOptions& o) {
  // The output first, so that one that cannot be created fails before any input is read.
  runtime::OutputFile out(o.output);
  auto reader = runtime::StreamReader::open(o.input);
  std::string text;
  if (o.headerOnly) {
    StreamPrinter::describe(reader->header(), o.format, text);
    out.write(text);
    out.commit();
    return;
  }
  StreamPrinter printer(o.format, o.labels ? PrintWhat::kLabels : PrintWhat::kRecords);
  printer.begin(reader->header(), text);
  auto printAll = [&](auto batch) {
    while (reader->next(batch)) {
      printer.print(batch, text);
      out.write(text);
      text.clear();
    }
  };
  switch (reader->header().payload) {
    case PayloadKind::kInstructions: printAll(InstructionBatch{}); break;
    case PayloadKind::kFeatures:
    case PayloadKind::kWindows: printAll(FeatureBatch{}); break;
    case PayloadKind::kRepresentations: printAll(RepresentationBatch{}); break;
    case PayloadKind::kProgram: printAll(ProgramPart{}); break;
  }
  out.write(text);  // a CSV header row of an empty stream
  out.commit();
}

}  // namespace pv
