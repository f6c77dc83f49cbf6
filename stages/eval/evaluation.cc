#include "stages/eval/evaluation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "stages/core/stage_error.h"
#include "stages/eval/eval_slurm.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/runtime/output_file.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"

namespace pv::eval {
namespace {

// Pairs, and the mean and max of |error| over them.
struct ErrorGroup {
  int pairs = 0;
  double sumAbs = 0, maxAbs = 0;
  void add(double e) {
    ++pairs;
    sumAbs += std::fabs(e);
    maxAbs = std::max(maxAbs, std::fabs(e));
  }
  double mean() const { return pairs ? sumAbs / pairs : 0; }
};

std::string percent(double x) { return fmt::format("{:.2f}%", 100 * x); }

size_t commitTarget(const Model& model, const std::string& modelName) {
  const auto it = std::find(model.targetNames.begin(), model.targetNames.end(), "commit");
  if (it == model.targetNames.end())
    throw StageError(modelName, "", "the model has no 'commit' target (execution time)");
  return static_cast<size_t>(it - model.targetNames.begin());
}

}  // namespace

std::vector<EvaluatedPair> evaluateProgram(const Model& model, const ProgramSummary& s, const std::string& source) {
  const size_t commit = commitTarget(model, "the model");
  const int target = s.targetIndex("commit");
  if (target < 0) throw StageError(source, "header", "no 'commit' labels (no ground truth)");
  const bool programSeen = programSeenInTraining(model, s.name);
  const size_t h = model.architecture.hidden;
  std::vector<EvaluatedPair> pairs;
  for (const auto& u : model.uarchs) {
    const int ui = s.uarchIndex(u.name);
    if (ui < 0) continue;
    EvaluatedPair p;
    p.program = s.name;
    p.uarch = u.name;
    p.programSeen = programSeen;
    p.uarchSeen = uarchSeenInTraining(model, u);
    p.truth = s.labelSum(ui, target);
    for (size_t d = 0; d < h; ++d) p.predicted += s.representation[d] * u.representation[commit * h + d];
    if (p.truth <= 0) throw StageError(source, u.name, "a ground-truth time of 0");
    pairs.push_back(p);
  }
  return pairs;
}

std::string formatEvaluationCsv(const Evaluation& evaluation) {
  std::string out = "program,uarch,program_seen,uarch_seen,truth_ns,predicted_ns,error\n";
  for (const auto& p : evaluation.pairs)
    fmt::format_to(std::back_inserter(out), "{},{},{},{},{:.3f},{:.3f},{:.6f}\n", p.program, p.uarch,
                   p.programSeen ? 1 : 0, p.uarchSeen ? 1 : 0, p.truth / 10, p.predicted / 10, p.error());
  return out;
}

std::string formatEvaluationTable(const Model& model, const Evaluation& evaluation) {
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "model {} ({})\n", model.name, model.contentHash);
  fmt::format_to(it, "{:<16} {:<7} | {:<28} | {:<28}\n", "program", "program", "seen microarchitectures",
                 "unseen microarchitectures");
  fmt::format_to(it, "{:<16} {:<7} | {:>6} {:>10} {:>10} | {:>6} {:>10} {:>10}\n", "", "", "n", "mean", "max", "n",
                 "mean", "max");
  std::map<std::pair<bool, bool>, ErrorGroup> groups;  // (program seen, uarch seen)
  auto cells = [](const ErrorGroup& g) {
    return g.pairs ? fmt::format("{:6d} {:>10} {:>10}", g.pairs, percent(g.mean()), percent(g.maxAbs))
                   : fmt::format("{:6d} {:>10} {:>10}", 0, "-", "-");
  };
  for (const auto& name : evaluation.programs) {
    ErrorGroup seen, unseen;
    bool programSeen = false;
    for (const auto& p : evaluation.pairs) {
      if (p.program != name) continue;
      programSeen = p.programSeen;
      (p.uarchSeen ? seen : unseen).add(p.error());
      groups[{p.programSeen, p.uarchSeen}].add(p.error());
    }
    fmt::format_to(it, "{:<16} {:<7} | {} | {}\n", name, programSeen ? "seen" : "unseen", cells(seen),
                   cells(unseen));
  }
  fmt::format_to(it, "\n{:<8} {:<8} {:>6} {:>12} {:>12}\n", "programs", "uarchs", "pairs", "mean |err|",
                 "max |err|");
  for (bool programSeen : {true, false})
    for (bool uarchSeen : {true, false}) {
      auto g = groups.find({programSeen, uarchSeen});
      if (g == groups.end()) continue;
      fmt::format_to(it, "{:<8} {:<8} {:6d} {:>12} {:>12}\n", programSeen ? "seen" : "unseen",
                     uarchSeen ? "seen" : "unseen", g->second.pairs, percent(g->second.mean()),
                     percent(g->second.maxAbs));
    }
  // An impossible time is the model's fault and must not hide in a mean.
  const auto negative = std::count_if(evaluation.pairs.begin(), evaluation.pairs.end(),
                                      [](const EvaluatedPair& p) { return p.predicted < 0; });
  if (negative > 0)
    fmt::format_to(it, "\nNEGATIVE predicted times: {} of {} pairs (the model's M_u are unconstrained: pv-tune "
                   "--refit --non-negative)\n",
                   negative, evaluation.pairs.size());
  return out;
}

std::vector<EvaluationInput> evaluationInputs(const EvaluationOptions& o) {
  if (o.datasets.empty() && o.streams.empty())
    throw runtime::UsageError("no programs to evaluate: give --dataset DIR or labelled streams");
  std::vector<EvaluationInput> inputs;
  for (const auto& d : o.datasets) {
    const dataset::Manifest manifest = dataset::requireManifest(d);
    for (const dataset::ManifestEntry* w : manifest.finished())
      if (o.split == "all" || w->split == o.split) inputs.push_back({dataset::streamPath(d, *w), w->name});
  }
  for (const auto& s : o.streams) inputs.push_back({s, runtime::streamBaseName(s)});
  if (inputs.empty())
    throw StageError(fmt::format("{}", fmt::join(o.datasets, ", ")), "",
                     o.split == "all" ? "no finished workload to evaluate"
                                      : "no finished workload of split " + o.split + " to evaluate");
  if (!o.programs.empty()) {
    std::erase_if(inputs, [&](const EvaluationInput& in) {
      return std::find(o.programs.begin(), o.programs.end(), in.name) == o.programs.end();
    });
  }
  if (inputs.empty())
    throw StageError("--programs", "", "none of these programs is among the finished workloads and streams given");
  return inputs;
}

std::vector<EvaluatedPair> evaluateInput(const Model& model, const encode::InstructionEncoder& encoder,
                                         const EvaluationInput& input, int64_t maxRows) {
  SummaryOptions so;
  so.maxRows = maxRows;
  return evaluateProgram(model, summarize(model, encoder, input.spec, input.name, so), input.spec);
}

void runEvaluation(const EvaluationOptions& o, std::ostream& out, std::ostream& log) {
  if (o.datasets.empty() && o.streams.empty()) evaluationInputs(o);  // the usage error, before any work
  runtime::slurm::sbatchOptions(o.slurm);                            // the same for Slurm's options
  if (o.slurm.submit && !o.slurm.print) runtime::slurm::requireClients();
  const Model model = loadModel(o.modelPath);
  commitTarget(model, o.modelPath);
  if (!o.slurmTask.empty()) return runSlurmTask(o, model);
  const std::vector<EvaluationInput> inputs = evaluationInputs(o);
  Evaluation evaluation;
  if (o.slurm.any()) {
    std::optional<Evaluation> merged = evaluateOnSlurm(o, model, inputs, log);
    if (!merged) return;  // --slurm-print
    evaluation = std::move(*merged);
  } else {
    const encode::InstructionEncoder encoder = encode::loadEncoder(model, o.modelPath);
    encode::setCpuThreads(o.threads);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!o.quiet) log << fmt::format("pv-eval: {} ({} of {})", inputs[i].name, i + 1, inputs.size()) << std::endl;
      evaluation.programs.push_back(inputs[i].name);
      for (auto& p : evaluateInput(model, encoder, inputs[i], o.maxRows)) evaluation.pairs.push_back(std::move(p));
    }
  }
  if (evaluation.pairs.empty())
    throw StageError(o.modelPath, "", "no microarchitecture of the model is labelled in these programs");
  if (!o.csvPath.empty()) runtime::writeOutputFile(o.csvPath, formatEvaluationCsv(evaluation));
  if (o.csvPath != "-") out << formatEvaluationTable(model, evaluation) << std::flush;
}

}  // namespace pv::eval
