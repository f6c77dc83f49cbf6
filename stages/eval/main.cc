// pv-eval: the PerfVec evaluation as a command. For every program of the
// given pv-dataset folders (or labelled streams) and every microarchitecture
// that both the model's table and the labels have, it predicts the execution
// time as R_p . M_u (commit target) and compares it with the ground truth
// (the sum of the commit labels), then reports the error per program (mean
// and max over microarchitectures) separately for seen / unseen programs
// and seen / unseen microarchitectures, as a table and optionally CSV.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/program_summary.h"
#include "stages/runtime/stage.h"
#include "stages/runtime/stream.h"

namespace {

struct Pair {
  std::string program, uarch;
  bool programSeen = false, uarchSeen = false;
  double truth = 0, predicted = 0;
  double error() const { return (predicted - truth) / truth; }
};

struct Group {
  int pairs = 0;
  double sumAbs = 0, maxAbs = 0;
  void add(double e) {
    ++pairs;
    sumAbs += std::fabs(e);
    maxAbs = std::max(maxAbs, std::fabs(e));
  }
  double mean() const { return pairs ? sumAbs / pairs : 0; }
};

std::string pct(double x) { return fmt::format("{:.2f}%", 100 * x); }

}  // namespace

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  std::string modelPath, csvPath;
  std::vector<std::string> programsFilter;
  std::vector<std::string> datasets, streams;
  int threads = pv::encode::availableCpus();
  int64_t maxRows = 0;
  bool quiet = false;
  pv::runtime::Tool tool("pv-eval", "pv-eval: predicts total execution time R_p . M_u for (program, microarchitecture) pairs with ground truth "
      "(pv-dataset folders or labelled feature streams) and reports the error per program, for seen and unseen "
      "programs and microarchitectures.");
  CLI::App& app = tool.cli();
  app.add_option("-m,--model", modelPath, "Model file (.pvm)")->required();
  app.add_option("--dataset", datasets, "pv-dataset folder(s): their finished workloads");
  app.add_option("streams", streams, "Labelled feature streams (name = file base name)");
  app.add_option("--programs", programsFilter, "Only these programs (comma-separated)")->delimiter(',');
  app.add_option("--csv", csvPath, "Also write every pair as CSV to this file ('-': stdout, no table)");
  app.add_option("--max-rows", maxRows, "Use at most this many records of each program");
  app.add_option("-t,--threads", threads, "CPU threads for encoding")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_flag("-q,--quiet", quiet, "No progress lines");
  pv::runtime::addCurveOptions(app);
  if (auto rc = tool.parse(argc, argv)) return *rc;
  try {
    const pv::Model model = pv::loadModel(modelPath);
    const pv::encode::InstructionEncoder encoder = pv::encode::loadEncoder(model, modelPath);
    pv::encode::setCpuThreads(threads);
    const auto commitIt = std::find(model.targetNames.begin(), model.targetNames.end(), "commit");
    if (commitIt == model.targetNames.end())
      throw pv::StageError(modelPath, "", "the model has no 'commit' target (execution time)");
    const size_t commit = commitIt - model.targetNames.begin();
    const size_t h = model.architecture.hidden;

    std::vector<std::pair<std::string, std::string>> inputs;  // spec, name
    for (const auto& d : datasets) {
      const pv::dataset::Manifest manifest = pv::dataset::requireManifest(d);
      for (const pv::dataset::ManifestEntry* w : manifest.finished())
        inputs.emplace_back(pv::dataset::streamPath(d, *w), w->name);
    }
    for (const auto& s : streams) inputs.emplace_back(s, pv::runtime::streamBaseName(s));
    if (!programsFilter.empty()) {
      std::vector<std::pair<std::string, std::string>> kept;
      for (const auto& in : inputs)
        if (std::find(programsFilter.begin(), programsFilter.end(), in.second) != programsFilter.end())
          kept.push_back(in);
      inputs = kept;
    }
    if (inputs.empty()) throw pv::StageError("pv-eval", "", "no programs to evaluate (--dataset or streams)");

    const auto& tr = model.training;
    auto seenProgram = [&](const std::string& p) {
      return std::find(tr.programs.begin(), tr.programs.end(), p) != tr.programs.end();
    };
    std::vector<Pair> pairs;
    std::vector<std::string> order;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!quiet) std::fprintf(stderr, "pv-eval: %s (%zu of %zu)\n", inputs[i].second.c_str(), i + 1, inputs.size());
      pv::eval::SummaryOptions so;
      so.maxRows = maxRows;
      const auto s = pv::eval::summarize(model, encoder, inputs[i].first, inputs[i].second, so);
      const int target = s.targetIndex("commit");
      if (target < 0) throw pv::StageError(inputs[i].first, "header", "no 'commit' labels (no ground truth)");
      order.push_back(s.name);
      for (const auto& u : model.uarchs) {
        const int ui = s.uarchIndex(u.name);
        if (ui < 0) continue;
        Pair p;
        p.program = s.name;
        p.uarch = u.name;
        p.programSeen = seenProgram(s.name);
        p.uarchSeen = u.origin.empty() || u.origin == "trained";
        p.truth = s.labelSum(ui, target);
        for (size_t d = 0; d < h; ++d) p.predicted += s.representation[d] * u.representation[commit * h + d];
        if (p.truth <= 0) throw pv::StageError(inputs[i].first, u.name, "a ground-truth time of 0");
        pairs.push_back(p);
      }
    }
    if (pairs.empty())
      throw pv::StageError(modelPath, "", "no microarchitecture of the model is labelled in these programs");

    if (!csvPath.empty()) {
      std::ofstream file;
      if (csvPath != "-") {
        file.open(csvPath);
        if (!file) throw pv::StageError(csvPath, "", "cannot write");
      }
      std::ostream& out = csvPath == "-" ? std::cout : file;
      out << "program,uarch,program_seen,uarch_seen,truth_ns,predicted_ns,error\n";
      for (const auto& p : pairs)
        out << fmt::format("{},{},{},{},{:.3f},{:.3f},{:.6f}\n", p.program, p.uarch, p.programSeen ? 1 : 0,
                           p.uarchSeen ? 1 : 0, p.truth / 10, p.predicted / 10, p.error());
      if (csvPath == "-") return 0;
    }

    // Per program: mean and max |error| over seen and over unseen uarchs.
    std::printf("model %s (%s)\n", model.name.c_str(), model.contentHash.c_str());
    std::printf("%-16s %-7s | %-28s | %-28s\n", "program", "program", "seen microarchitectures",
                "unseen microarchitectures");
    std::printf("%-16s %-7s | %6s %10s %10s | %6s %10s %10s\n", "", "", "n", "mean", "max", "n", "mean", "max");
    std::map<std::pair<bool, bool>, Group> groups;
    for (const auto& name : order) {
      Group seen, unseen;
      bool programSeen = false;
      for (const auto& p : pairs) {
        if (p.program != name) continue;
        programSeen = p.programSeen;
        (p.uarchSeen ? seen : unseen).add(p.error());
        groups[{p.programSeen, p.uarchSeen}].add(p.error());
      }
      auto cells = [](const Group& g) {
        return g.pairs ? fmt::format("{:6d} {:>10} {:>10}", g.pairs, pct(g.mean()), pct(g.maxAbs))
                       : fmt::format("{:6d} {:>10} {:>10}", 0, "-", "-");
      };
      std::printf("%-16s %-7s | %s | %s\n", name.c_str(), programSeen ? "seen" : "unseen", cells(seen).c_str(),
                  cells(unseen).c_str());
    }
    std::printf("\n%-8s %-8s %6s %12s %12s\n", "programs", "uarchs", "pairs", "mean |err|", "max |err|");
    for (bool ps : {true, false})
      for (bool us : {true, false}) {
        auto it = groups.find({ps, us});
        if (it == groups.end()) continue;
        std::printf("%-8s %-8s %6d %12s %12s\n", ps ? "seen" : "unseen", us ? "seen" : "unseen", it->second.pairs,
                    pct(it->second.mean()).c_str(), pct(it->second.maxAbs).c_str());
      }
    return 0;
  } catch (const pv::StageError& e) {
    std::cerr << "pv-eval: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "pv-eval: " << e.what() << "\n";
    return 1;
  }
}
