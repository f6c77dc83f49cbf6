// pv-dse's flow: files in, the search, the report out.

#include "stages/dse/dse_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
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

namespace {

// The points' configurations as files in `dir`, and pv-uarch's arguments
// before a program's report and trace: the same for a local run and a
// Slurm task.
std::vector<std::string> uarchArguments(const std::vector<PointToSimulate>& points, const std::filesystem::path& dir) {
  std::vector<std::string> args;
  for (const auto& p : points) {
    const std::string file = (dir / (p.name + ".toml")).string();
    std::ofstream out(file, std::ios::binary);
    out << p.configToml;
    if (!out.flush()) throw StageError(file, "", "cannot write the configuration");
    args.insert(args.end(), {"-c", file});
  }
  args.insert(args.end(), {"-o", "/dev/null", "-q", "--no-progress", "--report"});
  return args;
}

// result[point][program]: each program's time on each point, from its
// pv-uarch report.
std::vector<std::vector<double>> readTimes(const std::vector<PointToSimulate>& points,
                                           const std::vector<std::string>& traces,
                                           const std::function<std::string(size_t)>& reportOf) {
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
}

}  // namespace

Simulator pvUarchSimulator(const std::string& executable, std::vector<std::string> programNames,
                           std::vector<std::string> traces, unsigned jobs) {
  return [executable, programNames = std::move(programNames), traces = std::move(traces),
          jobs](const std::vector<PointToSimulate>& points) {
    ScratchFolder scratch;
    const std::filesystem::path dir = scratch.path();
    const std::vector<std::string> uarchArgs = uarchArguments(points, dir);
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
      std::vector<std::string> args = uarchArgs;
      args.insert(args.end(), {reportOf(i), traces[i]});
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
    return readTimes(points, traces, reportOf);
  };
}

Simulator slurmUarchSimulator(const std::string& executable, std::vector<std::string> programNames,
                              std::vector<std::string> traces, SlurmSimulation slurm) {
  auto rounds = std::make_shared<size_t>(0);
  return [executable, programNames = std::move(programNames), traces = std::move(traces), slurm = std::move(slurm),
          rounds](const std::vector<PointToSimulate>& points) {
    namespace fs = std::filesystem;
    const size_t round = ++*rounds;
    const fs::path top = slurm.dir;
    const fs::path dir = top / fmt::format("round-{}", round);
    // A round's folder holds this run's files only: no report of an
    // earlier run can pass for one of this job's.
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    if (ec) throw StageError(dir.string(), "", "cannot create the folder: " + ec.message());
    fs::create_directories(top / "logs", ec);
    auto reportOf = [&](size_t i) { return (dir / fmt::format("program-{}.json", i)).string(); };
    std::vector<std::string> reports;
    for (size_t i = 0; i < traces.size(); ++i) reports.push_back(reportOf(i));
    std::vector<runtime::slurm::CommandWord> words{executable};
    for (const auto& a : uarchArguments(points, dir)) words.push_back(a);
    words.push_back(runtime::slurm::CommandWord::element("reports"));
    words.push_back(runtime::slurm::CommandWord::element("traces"));
    runtime::slurm::ArrayJob job;
    job.name = "pv-dse";
    job.about = fmt::format(
        "pv-dse --simulate, round {}: {} point(s) simulated on {} program(s) as a Slurm\n"
        "array job, one program per task (stages/dse/README.md, \"On a Slurm cluster\"):\n"
        "task i runs pv-uarch on trace i with every point's configuration and\n"
        "writes its report, which pv-dse reads when the job has ended. Written by pv-dse.",
        round, points.size(), traces.size());
    job.tasks = traces.size();
    job.maxRunning = slurm.maxRunning;
    job.workDir = fs::current_path().string();
    job.logDir = (top / "logs").string();
    job.options = slurm.sbatchOptions;
    job.body = runtime::slurm::bashArray("traces", traces) + runtime::slurm::bashArray("reports", reports) +
               runtime::slurm::execLine(words);
    const std::string script = runtime::slurm::formatScript(job);
    const fs::path scriptFile = dir / "job.sbatch";
    runtime::writeOutputFile(scriptFile.string(), script);
    if (slurm.print) {
      std::fputs(script.c_str(), stdout);
      std::fflush(stdout);
      if (!slurm.quiet)
        std::fprintf(stderr,
                     "pv-dse: wrote %s (round 1 of the refinement, %zu array task%s); the later rounds' points "
                     "depend on round 1's times, so --slurm-print stops here\n",
                     scriptFile.c_str(), traces.size(), traces.size() == 1 ? "" : "s");
      throw ScriptPrinted{};
    }
    const std::string id = runtime::slurm::submit(scriptFile, top);
    runtime::writeOutputFile((top / "job").string(), id + "\n");
    if (!slurm.quiet)
      std::fprintf(stderr, "pv-dse: round %zu: submitted Slurm job %s: %zu array task%s (%s); their logs: %s\n", round,
                   id.c_str(), traces.size(), traces.size() == 1 ? "" : "s",
                   fmt::format("{}", fmt::join(programNames, " ")).c_str(),
                   (top / "logs" / ("slurm-" + id + "_*.out")).c_str());
    int sig = 0;
    {
      runtime::slurm::SignalWatch watch;
      sig = runtime::slurm::wait("pv-dse", id, top, [&] { return watch.signal(); }, nullptr,
                                 "rerun pv-dse: nothing of this run is kept");
    }
    fs::remove(top / "job", ec);
    if (sig) throw runtime::ExitStatus(128 + sig, fmt::format("interrupted: Slurm job {} cancelled", id));
    // A task that left no report failed: pv-uarch's own words, or Slurm's
    // (a time or memory limit, a cancel), are at the end of its log.
    for (size_t i = 0; i < traces.size(); ++i) {
      if (fs::exists(reportOf(i), ec)) continue;
      const fs::path log = runtime::slurm::taskLog(top / "logs", id, i);
      const std::vector<std::string> tail = runtime::slurm::logTail(log, 3, {"pv-uarch:"});
      throw StageError(traces[i], "",
                       fmt::format("simulating program '{}' with {} failed: Slurm task {}_{} left no report (log {}){}",
                                   programNames[i], executable, id, i, log.string(),
                                   tail.empty() ? "" : ": " + fmt::format("{}", fmt::join(tail, "\n"))));
    }
    return readTimes(points, traces, reportOf);
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
  const std::vector<std::string> sbatchOptions = runtime::slurm::sbatchOptions(o.slurm);
  if (o.slurm.any() && o.refine.perRound == 0)
    throw runtime::UsageError(
        "--slurm and --slurm-print run the simulations of --simulate N on a Slurm cluster: give --simulate");
  if (o.slurm.submit && !o.slurm.print) runtime::slurm::requireClients();
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
    Simulator simulate;
    if (o.slurm.any()) {
      SlurmSimulation slurm;
      slurm.dir = std::filesystem::absolute(o.slurm.dir.empty() ? "pv-dse-slurm" : o.slurm.dir).string();
      slurm.sbatchOptions = sbatchOptions;
      slurm.maxRunning = o.jobs > 1 ? o.jobs : 0;
      slurm.print = o.slurm.print;
      slurm.quiet = o.quiet;
      // The folder's last job must have ended: its tasks write there.
      runtime::slurm::checkPreviousJob("pv-dse", slurm.dir, slurm.dir, !o.slurm.print);
      simulate = slurmUarchSimulator(simulator, std::move(names), o.traces, std::move(slurm));
    } else {
      simulate = pvUarchSimulator(simulator, std::move(names), o.traces, o.jobs);
    }
    try {
      refinement = refineBySimulation(space, model, programs, objective, o.search, o.refine, simulate,
                                      o.quiet ? nullptr : &std::cerr);
    } catch (const StageError& e) {
      if (e.input() == space.file()) throw runtime::ExitStatus(2, e.what());
      throw;
    } catch (const ScriptPrinted&) {
      return;
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
