// pv-dot-predict's flow: files in, predictions out.

#include "stages/dot-predict/dot_predict_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

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

void expectProgramStream(const runtime::StreamReader& reader) {
  if (reader.header().payload != PayloadKind::kProgram)
    throw StageError(reader.name(), "", "expected a program representation (from pv-aggregate)");
}

}  // namespace

std::set<std::string> uarchsSeenInTraining(const Model& model) {
  std::set<std::string> seen;
  if (model.training.programs.empty()) return seen;
  for (const auto& u : model.uarchs)
    if (uarchSeenInTraining(model, u)) seen.insert(u.name);
  return seen;
}

std::string trainingCaption(const Model& model, const std::string& program) {
  const auto& t = model.training;
  if (t.programs.empty()) return fmt::format("program '{}': the model records no training data", program);
  const bool trained = programSeenInTraining(model, program);
  const size_t seen = uarchsSeenInTraining(model).size();
  // A long list is cut: pv-model info lists every training workload.
  constexpr size_t kNamesShown = 12;
  const std::vector<std::string> programs = trainingPrograms(model);
  const size_t shown = std::min(programs.size(), kNamesShown);
  std::string names = fmt::format("{}", fmt::join(programs.begin(), programs.begin() + shown, ", "));
  if (programs.size() > kNamesShown) names += fmt::format(" and {} more", programs.size() - kNamesShown);
  const std::string regions =
      programs.size() == t.programs.size() ? "" : fmt::format(" in {} regions", t.programs.size());
  return fmt::format("program '{}': {} (the model trained on {} programs{}: {}); {} of its {} microarchitectures "
                     "were seen in training, {} not",
                     program, trained ? "one of the training programs" : "not seen in training", programs.size(),
                     regions, names, seen, model.uarchs.size(), model.uarchs.size() - seen);
}

void runDotPredict(const DotPredictOptions& o) {
  if (o.intervals && !o.truthPath.empty())
    throw runtime::UsageError("--truth holds whole-program times: it does not go with --intervals");
  const Model model = modelWithUarchs(o);
  TruthTimes truth;
  if (!o.truthPath.empty()) truth = readTruth(o.truthPath);
  auto reader = runtime::StreamReader::open(o.input);
  expectProgramStream(*reader);
  const std::string& encoderHash = reader->header().modelId;
  ReportOptions options;
  options.format = o.format;
  options.allTargets = o.allTargets;
  options.intervals = o.intervals;
  options.truth = o.truthPath.empty() ? nullptr : &truth;
  const std::set<std::string> seen = uarchsSeenInTraining(model);
  if (!seen.empty()) options.seenUarchs = &seen;
  if (!o.program.empty()) options.caption = trainingCaption(model, o.program);
  PredictionReport report(model.targetNames, options);
  // The output is committed only when the whole stream was read and
  // predicted; intervals are predicted and written as they stream in.
  runtime::OutputFile out(o.output);
  std::string text = report.begin();
  size_t programs = 0, intervals = 0;
  ProgramPart part;
  while (reader->next(part)) {
    if (auto* i = std::get_if<IntervalRepresentation>(&part)) {
      ++intervals;
      if (o.intervals) {
        report.add(predict(i->sum, i->firstIndex, i->instructions, encoderHash, model, reader->name()), text);
        out.write(text);
        text.clear();
      }
      continue;
    }
    if (++programs > 1) throw StageError(reader->name(), "", "more than one program representation in the stream");
    const auto& program = std::get<ProgramRepresentation>(part);
    if (!o.intervals)
      report.add(predict(program.sum, 0, program.instructions, encoderHash, model, reader->name()), text);
  }
  if (programs == 0) throw StageError(reader->name(), "", "stream holds no program representation");
  if (o.intervals && intervals == 0)
    throw StageError(reader->name(), "", "--intervals: the representation has no intervals");
  text += report.end();
  out.write(text);
  out.commit();
}

}  // namespace pv
