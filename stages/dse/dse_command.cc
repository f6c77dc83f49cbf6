// pv-dse's flow: files in, the search, the report out.

#include "stages/dse/dse_command.h"

#include <filesystem>
#include <optional>
#include <variant>

#include "stages/core/stage_error.h"
#include "stages/model-lib/prediction.h"
#include "stages/runtime/output_file.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"

namespace pv::dse {

ObjectiveOptions objectiveOf(const DseOptions& o) {
  ObjectiveOptions objective;
  objective.cost = o.cost;
  objective.geomean = o.geomean;
  if (o.objective == "time") {
    objective.kind = ObjectiveKind::kTime;
  } else if (o.objective == "time-cost") {
    objective.kind = ObjectiveKind::kTimeCost;
  } else {
    objective.kind = ObjectiveKind::kExpression;
    objective.expression = o.objective;
  }
  return objective;
}

Program readProgram(const std::string& path) {
  auto reader = runtime::StreamReader::open(path);
  if (reader->header().payload != PayloadKind::kProgram)
    throw StageError(reader->name(), "", "expected a program representation (from pv-aggregate)");
  Program program;
  program.input = reader->name();
  program.name = std::filesystem::path(path).stem().string();
  std::string encoder = reader->header().modelId;
  size_t programs = 0;
  ProgramPart part;
  while (reader->next(part)) {
    if (std::holds_alternative<IntervalRepresentation>(part)) continue;
    if (++programs > 1) throw StageError(reader->name(), "", "more than one program representation in the stream");
    auto& p = std::get<ProgramRepresentation>(part);
    program.sum = std::move(p.sum);
    program.instructions = p.instructions;
  }
  if (programs == 0) throw StageError(reader->name(), "", "stream holds no program representation");
  // The encoder hash travels with the program for the model's check.
  program.encoderHash = std::move(encoder);
  return program;
}

namespace {

std::string describeObjective(const DseOptions& o) {
  const std::string time = o.geomean ? "the geometric mean of the programs' predicted times (ns)"
                                     : "the sum of the programs' predicted times (ns)";
  if (o.objective == "time") return "time = " + time;
  if (o.objective == "time-cost") return "time x cost, time = " + time + ", cost = " + o.cost;
  return o.objective + ", time = " + time + ", cost = " + o.cost;
}

// The reported points as pv-uarch configuration files, named by set and
// rank (best-1.toml, pareto-3.toml; `name` inside the same), each written
// whole or not at all.
void writeConfigs(const DesignSpace& space, const SearchOutcome& outcome, const DseOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(o.configsDir, ec);
  if (ec) throw StageError(o.configsDir, "", "cannot create the folder: " + ec.message());
  auto write = [&](const std::string& set, const std::vector<ScoredPoint>& points) {
    for (size_t r = 0; r < points.size(); ++r) {
      const std::string name = set + "-" + std::to_string(r + 1);
      runtime::OutputFile file((std::filesystem::path(o.configsDir) / (name + ".toml")).string());
      file.write("# pv-dse: " + space.describe(outcome.choiceOf(space, points[r])) + " on " + space.basePath() + "\n");
      file.write(space.configTomlAt(outcome.choiceOf(space, points[r]), name));
      file.commit();
    }
  };
  write("best", bestPoints(outcome, o.top));
  write("pareto", timeCostFront(outcome));
}

}  // namespace

void runDse(const DseOptions& o) {
  if (o.inputs.empty()) throw runtime::UsageError("no program representation given (R_p files from pv-aggregate)");
  if (o.search.samples == 0) throw runtime::UsageError("--samples must be at least 1");
  DesignSpace space;
  try {
    space = DesignSpace::read(o.spacePath);
  } catch (const StageError& e) {
    throw runtime::ExitStatus(2, e.what());
  }
  const Model model = loadModel(o.modelPath);
  if (model.uarchModel.empty())
    throw StageError(o.modelPath, "",
                     "the model has no parametric microarchitecture model: pv-dse needs one (pv-tune --parametric)");
  std::vector<Program> programs;
  for (const auto& input : o.inputs) {
    Program p = readProgram(input);
    checkRepresentation(p.sum, 0, p.instructions, p.encoderHash, model, p.input);
    for (const auto& q : programs)
      if (q.name == p.name)
        throw runtime::UsageError("two programs named '" + p.name + "': " + q.input + " and " + p.input);
    programs.push_back(std::move(p));
  }
  const ObjectiveOptions objective = objectiveOf(o);
  std::optional<PointEvaluator> evaluator;
  try {
    evaluator.emplace(space, model, std::move(programs), objective);
  } catch (const ExpressionError& e) {
    throw runtime::UsageError(e.what());
  }
  SearchOutcome outcome;
  try {
    outcome = searchSpace(*evaluator, o.search);
  } catch (const StageError& e) {
    // The space's own faults (no point satisfies the constraints, a point
    // the format refuses) are usage errors like its parse errors.
    if (e.input() == space.file()) throw runtime::ExitStatus(2, e.what());
    throw;
  }
  if (!o.configsDir.empty()) writeConfigs(space, outcome, o);
  ReportOptions report;
  report.format = o.format;
  report.top = o.top;
  report.objectiveText = describeObjective(o);
  runtime::OutputFile out(o.output);
  out.write(formatReport(*evaluator, outcome, report));
  out.commit();
}

}  // namespace pv::dse
