#include "stages/tune/tuning.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/tool.h"

namespace pv::tune {
namespace {

// The mean M of the trained microarchitectures: the prior of new ones.
std::vector<double> meanTrainedRepresentation(const Model& model) {
  std::vector<double> prior(model.targetNames.size() * model.architecture.hidden, 0.0);
  int trained = 0;
  for (const auto& u : model.uarchs)
    if (u.origin.empty() || u.origin == "trained") {
      for (size_t i = 0; i < prior.size(); ++i) prior[i] += u.representation[i];
      ++trained;
    }
  for (auto& p : prior) p /= std::max(1, trained);
  return prior;
}

// The equations of target `t` for microarchitecture `name`: rows of X (h
// values each) and y. With `relative`, each program's equations are divided
// by its mean label sum per equation, so that every program weighs by its
// relative error (what pv-eval reports), not by its time: in absolute terms
// a memory-bound program's intervals outweigh a fast loop's by 100 times.
void equations(const std::vector<eval::ProgramSummary>& summaries, const Model& model, const std::string& name,
               size_t t, bool relative, std::vector<double>& x, std::vector<double>& y) {
  const size_t h = model.architecture.hidden;
  // Per program: the microarchitecture's and the target's label column, and
  // the program's mean label sum per equation.
  std::vector<int> uarchOf(summaries.size()), targetOf(summaries.size());
  std::vector<double> scale(summaries.size(), 1.0);
  double largest = 0;
  for (size_t p = 0; p < summaries.size(); ++p) {
    const auto& s = summaries[p];
    uarchOf[p] = s.uarchIndex(name);
    targetOf[p] = s.targetIndex(model.targetNames[t]);
    if (uarchOf[p] < 0) throw StageError(s.source, s.name, "no labels for microarchitecture '" + name + "'");
    if (targetOf[p] < 0) throw StageError(s.source, s.name, "no labels for target '" + model.targetNames[t] + "'");
    const size_t equationsOfProgram = s.interval == 0 ? 1 : std::max<size_t>(1, s.intervalRecords.size());
    scale[p] = s.labelSum(uarchOf[p], targetOf[p]) / static_cast<double>(equationsOfProgram);
    largest = std::max(largest, scale[p]);
  }
  // Relative: divided by that mean. A program whose labels of this target
  // sum to (nearly) 0, a count it never has, is divided by 1/1000 of the
  // largest program's mean instead, so that its weight stays bounded.
  for (double& c : scale) c = relative && largest > 0 ? 1.0 / std::max(c, 1e-3 * largest) : 1.0;
  for (size_t p = 0; p < summaries.size(); ++p) {
    const auto& s = summaries[p];
    const size_t width = s.uarchNames.size() * s.targetNames.size();
    const double c = scale[p];
    auto add = [&](const double* row, double label) {
      for (size_t d = 0; d < h; ++d) x.push_back(c * row[d]);
      y.push_back(c * label);
    };
    if (s.interval == 0) {
      add(s.representation.data(), s.labelSum(uarchOf[p], targetOf[p]));
    } else {
      for (size_t k = 0; k < s.intervalRecords.size(); ++k)
        add(s.intervalRepresentation.data() + k * h,
            s.intervalLabelSums[k * width + uarchOf[p] * s.targetNames.size() + targetOf[p]]);
    }
  }
}

}  // namespace

std::vector<std::string> fitLeastSquares(Model& model, const std::vector<eval::ProgramSummary>& summaries,
                                         const LeastSquaresOptions& o, const std::string& modelName,
                                         const std::string& dataName) {
  if (summaries.empty()) throw StageError(dataName, "", "no programs to fit on");
  std::vector<std::string> uarchs = o.uarchs;
  if (uarchs.empty())
    for (const auto& u : summaries[0].uarchNames)
      if (!model.uarch(u) || o.refit) uarchs.push_back(u);
  if (uarchs.empty())
    throw StageError(dataName, "", "every labelled microarchitecture is in the model already");
  const bool replace = o.replace || o.refit;
  const size_t h = model.architecture.hidden, nt = model.targetNames.size();
  const std::vector<double> prior = meanTrainedRepresentation(model);
  for (const auto& name : uarchs) {
    Microarchitecture u;
    const std::string file = o.uarchDir.empty() ? "" : o.uarchDir + "/" + name + ".toml";
    if (!file.empty() && std::filesystem::exists(file)) u = readUarchConfig(file);
    u.name = name;
    u.origin = "tuned";
    // A microarchitecture the model has is refitted towards its own M_u.
    std::vector<double> own;
    if (const Microarchitecture* old = model.uarch(name)) {
      own.assign(old->representation.begin(), old->representation.end());
      if (!old->origin.empty()) u.origin = old->origin;
      if (u.params.empty()) {
        u.params = old->params;
        u.clockGhz = old->clockGhz;
      }
    }
    u.representation.assign(nt * h, 0.0f);
    for (size_t t = 0; t < nt; ++t) {
      std::vector<double> x, y;
      equations(summaries, model, name, t, o.relative, x, y);
      const std::vector<double>& from = own.empty() ? prior : own;
      const std::vector<double> p(from.begin() + t * h, from.begin() + (t + 1) * h);
      const auto m = model.nonNegativeUarchs ? fit::nonNegativeRidgeFit(x, y, h, p, o.ridge) : fit::ridgeFit(x, y, h, p, o.ridge);
      for (size_t d = 0; d < h; ++d) u.representation[t * h + d] = static_cast<float>(m[d]);
    }
    auto it = std::find_if(model.uarchs.begin(), model.uarchs.end(),
                           [&](const Microarchitecture& x) { return x.name == name; });
    if (it == model.uarchs.end()) {
      model.uarchs.push_back(u);
    } else {
      if (!replace) throw StageError(modelName, name, "the model has this microarchitecture (--replace)");
      *it = u;
    }
  }
  return uarchs;
}

void runTune(const TuneOptions& o, std::ostream& log) {
  if (o.dataset.empty() && !o.parametric && !o.nonNegative)
    throw runtime::UsageError("nothing to do: give --dataset (least squares), --parametric or --non-negative");
  Model model = loadModel(o.modelPath);
  if (o.nonNegative && !model.nonNegativeUarchs) {
    // Every M_u of the output must be fitted under the bound, or be
    // non-negative already; an MLP fitted without it must be fitted again.
    if (!o.leastSquares.refit || o.dataset.empty())
      for (const auto& u : model.uarchs)
        for (size_t k = 0; k < u.representation.size(); ++k)
          if (u.representation[k] < 0)
            throw runtime::UsageError(fmt::format(
                "--non-negative: microarchitecture '{}' of {} has negative entries in M_u (M_u[{}] = {}); "
                "add --dataset DIR --refit to refit every microarchitecture under the constraint",
                u.name, o.modelPath, k, u.representation[k]));
    if (!model.uarchModel.empty() && !o.parametric)
      throw runtime::UsageError("--non-negative: " + o.modelPath +
                                " has a parametric model fitted without the constraint; add --parametric to fit it again");
    model.nonNegativeUarchs = true;
  }
  if (!o.dataset.empty()) {
    const dataset::Manifest manifest = dataset::requireManifest(o.dataset);
    const std::vector<std::string>& programs = o.programs.empty() ? model.training.programs : o.programs;
    const encode::InstructionEncoder encoder = encode::loadEncoder(model, o.modelPath);
    encode::setCpuThreads(o.threads);
    std::vector<eval::ProgramSummary> summaries;
    for (const dataset::ManifestEntry* w : manifest.finished()) {
      if (std::find(programs.begin(), programs.end(), w->name) == programs.end()) continue;
      if (!o.quiet) log << "pv-tune: encoding " << w->name << std::endl;
      eval::SummaryOptions so;
      so.interval = o.interval;
      so.maxRows = o.maxRows;
      summaries.push_back(eval::summarize(model, encoder, dataset::streamPath(o.dataset, *w), w->name, so));
    }
    if (summaries.empty())
      throw StageError(o.dataset, "", "none of the fitting programs is finished in this dataset");
    LeastSquaresOptions ls = o.leastSquares;
    if (ls.uarchDir.empty()) ls.uarchDir = o.dataset + "/uarchs";
    for (const auto& name : fitLeastSquares(model, summaries, ls, o.modelPath, o.dataset))
      if (!o.quiet) log << fmt::format("pv-tune: {} fitted on {} programs", name, summaries.size()) << std::endl;
  }
  if (o.parametric) {
    const double err = fit::fitParametricModel(model, o.mlp);
    if (!o.quiet)
      log << fmt::format("pv-tune: parametric model: {} inputs, fit error {:.4f} of the variance of M_u",
                         model.uarchModel.inputs.size(), err)
          << std::endl;
  }
  if (!o.name.empty()) model.name = o.name;
  if (!o.description.empty()) model.description = o.description;
  saveModel(model, o.output);
  if (!o.quiet) log << fmt::format("pv-tune: wrote {} ({} microarchitectures)", o.output, model.uarchs.size()) << std::endl;
}

}  // namespace pv::tune
