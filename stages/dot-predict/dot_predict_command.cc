// pv-dot-predict's flow: files in, predictions out.

#include "stages/dot-predict/dot_predict_command.h"

#include "stages/core/stage_error.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/output_file.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"

namespace pv {
namespace {

// The model with the microarchitectures the options add or swap in.
Model modelWithUarchs(const DotPredictOptions& o) {
  Model model = loadModel(o.modelPath);
  if (!o.uarchTablePath.empty()) {
    Model table = loadModel(o.uarchTablePath);
    if (table.encoderHash != model.encoderHash || table.targetNames != model.targetNames)
      throw StageError(o.uarchTablePath, "", "microarchitecture table of encoder " + table.encoderHash +
                                                 ", the model's encoder is " + model.encoderHash);
    model.uarchs = table.uarchs;
  }
  for (const auto& path : o.configPaths) {
    Microarchitecture u = readUarchConfig(path);
    u.representation = parametricRepresentation(model, u, path);
    u.origin = "parametric";
    if (model.uarch(u.name)) u.name += " (parametric)";
    model.uarchs.push_back(std::move(u));
  }
  return model;
}

// The one program representation of the input stream.
ProgramRepresentation readProgram(runtime::StreamReader& reader) {
  if (reader.header().payload != PayloadKind::kProgram)
    throw StageError(reader.name(), "", "expected a program representation (from pv-aggregate)");
  ProgramRepresentation program;
  if (!reader.next(program)) throw StageError(reader.name(), "", "stream holds no program representation");
  ProgramRepresentation extra;
  if (reader.next(extra)) throw StageError(reader.name(), "", "more than one program representation in the stream");
  return program;
}

}  // namespace

void runDotPredict(const DotPredictOptions& o) {
  if (o.intervals && !o.truthPath.empty())
    throw runtime::UsageError("--truth holds whole-program times: it does not go with --intervals");
  const Model model = modelWithUarchs(o);
  TruthTimes truth;
  if (!o.truthPath.empty()) truth = readTruth(o.truthPath);
  auto reader = runtime::StreamReader::open(o.input);
  const ProgramRepresentation program = readProgram(*reader);
  const std::string& encoderHash = reader->header().modelId;
  std::vector<Prediction> predictions;
  if (o.intervals) {
    if (program.intervals.empty())
      throw StageError(reader->name(), "", "--intervals: the representation has no intervals");
    for (const auto& i : program.intervals)
      predictions.push_back(predict(i.sum, i.firstIndex, i.instructions, encoderHash, model, reader->name()));
  } else {
    predictions.push_back(predict(program.sum, 0, program.instructions, encoderHash, model, reader->name()));
  }
  ReportOptions report;
  report.format = o.format;
  report.allTargets = o.allTargets;
  report.intervals = o.intervals;
  report.truth = o.truthPath.empty() ? nullptr : &truth;
  runtime::writeOutputFile(o.output, formatPredictions(predictions, model.targetNames, report));
}

}  // namespace pv
