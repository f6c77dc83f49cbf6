// pv-dse's flow: files in, the search, the report out.

#include "stages/dse/dse_command.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <variant>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/prediction.h"
#include "stages/model-lib/uarch_report.h"
#include "stages/runtime/output_file.h"
#include "stages/runtime/process.h"
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

// A folder of its own under $TMPDIR (or /tmp), removed with everything in
// it when the object goes.
class ScratchFolder {
 public:
  ScratchFolder() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/pv-dse-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw StageError(pattern, "", "cannot create a temporary folder");
    path_ = pattern;
  }
  ~ScratchFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The last `lines` lines of `text`, without its final newline: a failed
// child's last words.
std::string lastLines(std::string text, size_t lines) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t at = text.size();
  for (size_t n = 0; n < lines && at != std::string::npos && at > 0; ++n) at = text.rfind('\n', at - 1);
  return at == std::string::npos || at == 0 ? text : text.substr(at + 1);
}

}  // namespace

Simulator pvUarchSimulator(const std::string& executable, std::vector<std::string> programNames,
                           std::vector<std::string> traces, unsigned jobs) {
  return [executable, programNames = std::move(programNames), traces = std::move(traces),
          jobs](const std::vector<PointToSimulate>& points) {
    ScratchFolder scratch;
    const std::filesystem::path dir = scratch.path();
    std::vector<std::string> configArgs;
    for (const auto& p : points) {
      const std::string file = (dir / (p.name + ".toml")).string();
      std::ofstream out(file, std::ios::binary);
      out << p.configToml;
      if (!out.flush()) throw StageError(file, "", "cannot write the configuration");
      configArgs.insert(configArgs.end(), {"-c", file});
    }
    // One pv-uarch a program (every point in its one pass), `jobs` at once.
    std::vector<runtime::Child> running;
    std::vector<size_t> programOf;
    auto reportOf = [&](size_t i) { return (dir / fmt::format("program-{}.json", i)).string(); };
    auto errorsOf = [&](size_t i) { return (dir / fmt::format("program-{}.err", i)).string(); };
    auto finish = [&](size_t slot) {
      const runtime::ProcessEnd end = running[slot].wait();
      const size_t i = programOf[slot];
      if (!end.ok()) {
        std::string errors;
        try {
          errors = lastLines(readFileBytes(errorsOf(i)), 3);
        } catch (const std::exception&) {
        }
        throw StageError(traces[i], "",
                         fmt::format("simulating program '{}' with {} failed ({}){}", programNames[i], executable,
                                     end.describe(), errors.empty() ? "" : ": " + errors));
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(slot));
      programOf.erase(programOf.begin() + static_cast<std::ptrdiff_t>(slot));
    };
    for (size_t i = 0; i < traces.size(); ++i) {
      if (running.size() >= std::max(1u, jobs)) finish(*runtime::waitAny(running));
      std::vector<std::string> args = configArgs;
      args.insert(args.end(), {"--report", reportOf(i), "-o", "/dev/null", "-q", "--no-progress", traces[i]});
      runtime::Command command(executable, std::move(args));
      command.err = runtime::Redirect::writeFile(errorsOf(i));
      try {
        running.push_back(runtime::spawn(command));
      } catch (const runtime::SpawnError& e) {
        throw StageError("pv-dse --simulate", "", e.what());
      }
      programOf.push_back(i);
    }
    while (!running.empty()) finish(*runtime::waitAny(running));
    std::vector<std::vector<double>> times(points.size(), std::vector<double>(traces.size()));
    for (size_t i = 0; i < traces.size(); ++i) {
      const TruthTimes truth = readTruth(reportOf(i));
      for (size_t k = 0; k < points.size(); ++k) {
        auto t = truth.find(points[k].name);
        if (t == truth.end())
          throw StageError(traces[i], "", fmt::format("pv-uarch's report has no time for point {}", points[k].name));
        times[k][i] = t->second;
      }
    }
    return times;
  };
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
// rank (best-1.toml, pareto-3.toml; `name` inside the same), and the
// simulated points by name, each written whole or not at all.
void writeConfigs(const DesignSpace& space, const SearchOutcome& outcome, const DseOptions& o,
                  const Refinement* refinement) {
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
  // A refinement's simulated points under their names (sim-N.toml): what
  // pv-uarch simulated.
  if (refinement)
    for (const auto& p : refinement->simulated) {
      runtime::OutputFile file((std::filesystem::path(o.configsDir) / (p.point.name + ".toml")).string());
      file.write("# pv-dse: " + space.describe(p.point.choice) + " on " + space.basePath() + " (simulated)\n");
      file.write(p.point.configToml);
      file.commit();
    }
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
    evaluator.emplace(space, model, programs, objective);
  } catch (const ExpressionError& e) {
    throw runtime::UsageError(e.what());
  }
  std::optional<Refinement> refinement;
  if (o.refine.perRound > 0) {
    if (o.traces.size() != programs.size())
      throw runtime::UsageError(fmt::format(
          "--simulate needs each program's instruction stream: {} program(s), {} --trace file(s) (one a program, in "
          "the same order)",
          programs.size(), o.traces.size()));
    if (o.refine.rounds == 0) throw runtime::UsageError("--rounds must be at least 1");
    std::vector<std::string> names;
    for (const auto& p : programs) names.push_back(p.name);
    std::string simulator = o.simulator;
    if (simulator.empty()) {
      const std::filesystem::path beside = std::filesystem::path(runtime::executableDir()) / "pv-uarch";
      simulator = std::filesystem::exists(beside) ? beside.string() : "pv-uarch";
    }
    try {
      refinement = refineBySimulation(space, model, programs, objective, o.search, o.refine,
                                      pvUarchSimulator(simulator, std::move(names), o.traces, o.jobs),
                                      o.quiet ? nullptr : &std::cerr);
    } catch (const StageError& e) {
      if (e.input() == space.file()) throw runtime::ExitStatus(2, e.what());
      throw;
    }
    // The search the report gives is the refitted model's.
    evaluator.reset();
    evaluator.emplace(space, refinement->model, std::move(programs), objective);
  } else if (!o.traces.empty()) {
    throw runtime::UsageError("--trace is for --simulate N (refinement by simulation)");
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
  if (!o.configsDir.empty()) writeConfigs(space, outcome, o, refinement ? &*refinement : nullptr);
  ReportOptions report;
  report.refinement = refinement ? &*refinement : nullptr;
  report.format = o.format;
  report.top = o.top;
  report.objectiveText = describeObjective(o);
  runtime::OutputFile out(o.output);
  out.write(formatReport(*evaluator, outcome, report));
  out.commit();
}

}  // namespace pv::dse
