// pv-tune: new microarchitectures for a trained model, encoder frozen.
//
//   pv-tune -m MODEL -o OUT --dataset DIR [--uarchs A,B]       least squares
//   pv-tune -m MODEL -o OUT --parametric                        MLP params -> M_u
//
// Least squares: the programs' representations (their intervals, or totals
// with --interval 0) and their measured or simulated times on the new
// microarchitecture give M_u (ridge towards the mean trained M). The
// parametric variant learns M_u from configuration parameters, so that
// pv-dot-predict --uarch CONFIG.toml predicts for configurations never
// simulated.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/program_summary.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/tool.h"
#include "stages/tune/uarch_fit.h"

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  std::string modelPath, output, dataset, uarchDir;
  std::vector<std::string> uarchList, programList;
  uint64_t interval = 16384;
  double ridge = 1e-3;
  bool parametric = false, replace = false, refit = false, quiet = false;
  int64_t maxRows = 0;
  int threads = pv::encode::availableCpus();
  pv::tune::MlpOptions mlp;
  pv::runtime::Tool tool("pv-tune", "pv-tune: adds microarchitectures to a trained model with the encoder frozen: least squares of "
               "M_u over programs' representations and times (--dataset), or a parametric MLP from configuration "
               "parameters to M_u (--parametric).");
  CLI::App& app = tool.cli();
  app.add_option("-m,--model", modelPath, "Trained model (.pvm)")->required();
  app.add_option("-o,--output", output, "The tuned model to write")->required();
  app.add_option("--dataset", dataset, "pv-dataset folder with the programs labelled on the new microarchitectures");
  app.add_option("--uarchs", uarchList, "Microarchitectures to fit (default: those labelled but not in the model)")
      ->delimiter(',');
  app.add_option("--programs", programList, "Programs to fit on (default: the model's training programs)")
      ->delimiter(',');
  app.add_option("--interval", interval, "Records per equation (interval sums); 0: one equation per program total")
      ->capture_default_str();
  app.add_option("--ridge", ridge, "Regularisation towards the mean trained M_u (relative)")->capture_default_str();
  app.add_option("--uarch-dir", uarchDir, "Configurations (NAME.toml) to record (default: DATASET/uarchs)");
  app.add_flag("--replace", replace, "Replace microarchitectures the model already has");
  app.add_flag("--refit", refit,
               "Also refit the model's own microarchitectures (calibration: least squares on the programs' "
               "intervals, towards each one's trained M_u; they keep their origin)");
  app.add_flag("--parametric", parametric, "Fit the parametric model (MLP from parameters to M_u)");
  app.add_option("--mlp-hidden", mlp.hidden, "Hidden units of the parametric MLP")->capture_default_str();
  app.add_option("--mlp-iterations", mlp.iterations, "Full-batch Adam iterations")->capture_default_str();
  app.add_option("--mlp-weight-decay", mlp.weightDecay, "Decoupled weight decay of the MLP's weights")
      ->capture_default_str();
  app.add_option("--max-rows", maxRows, "Use at most this many records of each program");
  app.add_option("-t,--threads", threads, "CPU threads for encoding")->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "Only errors");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  try {
    pv::Model model = pv::loadModel(modelPath);
    if (dataset.empty() && !parametric)
      throw pv::StageError("pv-tune", "", "nothing to do: give --dataset (least squares) or --parametric");
    if (!dataset.empty()) {
      const pv::dataset::Manifest manifest = pv::dataset::requireManifest(dataset);
      if (uarchDir.empty()) uarchDir = dataset + "/uarchs";
      std::vector<std::string> programs =
          programList.empty() ? model.training.programs : programList;
      const pv::encode::InstructionEncoder encoder = pv::encode::loadEncoder(model, modelPath);
      pv::encode::setCpuThreads(threads);
      std::vector<pv::eval::ProgramSummary> summaries;
      for (const pv::dataset::ManifestEntry* entry : manifest.finished()) {
        const pv::dataset::ManifestEntry& w = *entry;
        if (std::find(programs.begin(), programs.end(), w.name) == programs.end()) continue;
        if (!quiet) std::fprintf(stderr, "pv-tune: encoding %s\n", w.name.c_str());
        pv::eval::SummaryOptions so;
        so.interval = interval;
        so.maxRows = maxRows;
        summaries.push_back(pv::eval::summarize(model, encoder, pv::dataset::streamPath(dataset, w), w.name, so));
      }
      if (summaries.empty())
        throw pv::StageError(dataset, "", "none of the fitting programs is finished in this dataset");
      std::vector<std::string> uarchs = uarchList;
      if (uarchs.empty())
        for (const auto& u : summaries[0].uarchNames)
          if (!model.uarch(u) || refit) uarchs.push_back(u);
      if (refit) replace = true;
      if (uarchs.empty()) throw pv::StageError(dataset, "", "every labelled microarchitecture is in the model already");
      const size_t h = model.architecture.hidden, nt = model.targetNames.size();
      // Prior: the mean M of the trained microarchitectures.
      std::vector<double> prior(nt * h, 0.0);
      int trained = 0;
      for (const auto& u : model.uarchs)
        if (u.origin.empty() || u.origin == "trained") {
          for (size_t i = 0; i < prior.size(); ++i) prior[i] += u.representation[i];
          ++trained;
        }
      for (auto& p : prior) p /= std::max(1, trained);
      for (const auto& name : uarchs) {
        pv::Microarchitecture u;
        const std::string file = uarchDir + "/" + name + ".toml";
        if (std::filesystem::exists(file)) u = pv::readUarchConfig(file);
        u.name = name;
        u.origin = "tuned";
        // A microarchitecture the model has is refitted towards its own M_u.
        std::vector<double> own;
        if (const pv::Microarchitecture* old = model.uarch(name)) {
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
          for (const auto& s : summaries) {
            const int ui = s.uarchIndex(name), ti = s.targetIndex(model.targetNames[t]);
            if (ui < 0) throw pv::StageError(s.source, s.name, "no labels for microarchitecture '" + name + "'");
            if (ti < 0) throw pv::StageError(s.source, s.name, "no labels for target '" + model.targetNames[t] + "'");
            const size_t width = s.uarchNames.size() * s.targetNames.size();
            if (interval == 0) {
              x.insert(x.end(), s.representation.begin(), s.representation.end());
              y.push_back(s.labelSum(ui, ti));
            } else {
              for (size_t k = 0; k < s.intervalRecords.size(); ++k) {
                x.insert(x.end(), s.intervalRepresentation.begin() + k * h,
                         s.intervalRepresentation.begin() + (k + 1) * h);
                y.push_back(s.intervalLabelSums[k * width + ui * s.targetNames.size() + ti]);
              }
            }
          }
          const std::vector<double>& from = own.empty() ? prior : own;
          const std::vector<double> p(from.begin() + t * h, from.begin() + (t + 1) * h);
          const auto m = pv::tune::ridgeFit(x, y, h, p, ridge);
          for (size_t d = 0; d < h; ++d) u.representation[t * h + d] = static_cast<float>(m[d]);
        }
        if (auto it = std::find_if(model.uarchs.begin(), model.uarchs.end(),
                                   [&](const pv::Microarchitecture& x) { return x.name == name; });
            it != model.uarchs.end()) {
          if (!replace) throw pv::StageError(modelPath, name, "the model has this microarchitecture (--replace)");
          *it = u;
        } else {
          model.uarchs.push_back(u);
        }
        if (!quiet) std::fprintf(stderr, "pv-tune: %s fitted on %zu programs\n", name.c_str(), summaries.size());
      }
    }
    if (parametric) {
      const double err = pv::tune::fitParametricModel(model, mlp);
      if (!quiet)
        std::fprintf(stderr, "pv-tune: parametric model: %zu inputs, fit error %.4f of the variance of M_u\n",
                     model.uarchModel.inputs.size(), err);
    }
    pv::saveModel(model, output);
    if (!quiet) std::fprintf(stderr, "pv-tune: wrote %s (%zu microarchitectures)\n", output.c_str(), model.uarchs.size());
    return 0;
  } catch (const pv::StageError& e) {
    std::cerr << "pv-tune: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "pv-tune: " << e.what() << "\n";
    return 1;
  }
}
