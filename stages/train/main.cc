// pv-train: labelled feature streams -> a trained model file.
//
// The parent process reads every training stream into memory (files, .zst,
// stdin or sockets: a live stream is read once), computes the normalisation
// statistics, then forks the workers; each trains on its share of every
// global batch and the gradients are summed with c10d Gloo. Workers on other
// machines join with --rank/--world/--master and read the same inputs.

#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <set>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/process.h"
#include "stages/runtime/stage.h"
#include "stages/runtime/stream.h"
#include "stages/train/gloo_reducer.h"
#include "stages/train/training_data.h"
#include "stages/train/training_run.h"

namespace {

struct Options {
  std::vector<std::string> inputs;
  std::string dataset, split = "train", uarchDir, output, checkpoint, name, description;
  std::vector<std::string> targets, uarchs, excludeUarchs, weights;
  int holdoutUarchs = 0;
  std::string arch = "lstm";
  int hidden = 64, layers = 2;
  int64_t maxRows = 0;
  int workers = 1, rank = -1, world = 0, threads = 1;
  std::string master;
  bool exact = false, noCheckpoint = false, progress = false, noProgress = false, quiet = false;
  pv::train::RunOptions run;
  double clipNorm = 1.0, weightDecay = 0;
};

// Chooses the microarchitectures to train on from the first stream's names.
pv::train::LabelSelection selectionFor(const Options& o, const std::vector<std::string>& streamUarchs,
                                       std::vector<std::string>& heldOut) {
  pv::train::LabelSelection s;
  s.targets = o.targets;
  std::vector<std::string> chosen = o.uarchs.empty() ? streamUarchs : o.uarchs;
  const auto& excluded = o.excludeUarchs;
  std::vector<std::string> kept;
  for (const auto& u : chosen)
    if (std::find(excluded.begin(), excluded.end(), u) == excluded.end()) kept.push_back(u);
    else heldOut.push_back(u);
  if (o.holdoutUarchs > 0) {
    if (o.holdoutUarchs >= static_cast<int>(kept.size()))
      throw pv::StageError("--holdout-uarchs", std::to_string(o.holdoutUarchs),
                           fmt::format("only {} microarchitectures to train on", kept.size()));
    heldOut.insert(heldOut.end(), kept.end() - o.holdoutUarchs, kept.end());
    kept.resize(kept.size() - o.holdoutUarchs);
  }
  s.uarchs = kept;
  return s;
}

int runWorker(const Options& o, const pv::train::TrainingSet& set, const std::vector<double>& mean,
              const std::vector<double>& stddev, const std::vector<double>& scales,
              const std::vector<std::string>& heldOutPrograms, const std::vector<std::string>& heldOutUarchs,
              std::string uarchSource, const std::string& command, int rank, int world, const std::string& host,
              int port) {
  pv::encode::setCpuThreads(o.threads);
  std::unique_ptr<pv::train::GradientReducer> reducer;
  if (world > 1) {
    pv::train::GlooOptions g;
    g.rank = rank;
    g.world = world;
    g.masterHost = host;
    g.masterPort = port;
    g.interfaceHost = host == "127.0.0.1" || host == "localhost" ? "127.0.0.1" : host;
    reducer = pv::train::connectGloo(g);
  } else {
    reducer = std::make_unique<pv::train::SingleWorker>();
  }
  pv::train::TrainerConfig config;
  config.encoder.arch = *pv::encode::parseArch(o.arch);
  config.encoder.features = set.features();
  config.encoder.hidden = o.hidden;
  config.encoder.layers = o.layers;
  config.encoder.window = static_cast<int>(o.run.window);
  config.uarchs = static_cast<int64_t>(set.uarchNames().size());
  config.targets = static_cast<int64_t>(set.targetNames().size());
  config.clipNorm = o.clipNorm;
  config.weightDecay = o.weightDecay;
  config.seed = o.run.seed;
  config.targetWeights.assign(config.targets, 1.0f);
  for (const auto& w : o.weights) {
    const auto eq = w.find('=');
    const std::string t = w.substr(0, eq);
    auto it = std::find(set.targetNames().begin(), set.targetNames().end(), t);
    if (eq == std::string::npos || it == set.targetNames().end())
      throw pv::StageError("--loss-weights", w, "expected TARGET=WEIGHT with a trained target");
    config.targetWeights[it - set.targetNames().begin()] = std::stof(w.substr(eq + 1));
  }
  pv::train::RunOptions run = o.run;
  run.progress = !o.quiet && (o.progress || (!o.noProgress && ::isatty(2)));
  const auto result = pv::train::runTraining(set, config, run, mean, stddev, scales, *reducer);
  if (rank != 0) return 0;

  pv::Model model;
  model.name = o.name.empty() ? std::filesystem::path(o.output).stem().string() : o.name;
  model.description = o.description;
  model.architecture = pv::encode::architectureOf(config.encoder, o.exact ? 0 : static_cast<uint32_t>(o.run.chunk));
  model.featureColumns = set.featureColumns();
  for (size_t i = 0; i < mean.size(); ++i) {
    model.featureMean.push_back(static_cast<float>(mean[i]));
    model.featureStd.push_back(static_cast<float>(stddev[i]));
  }
  model.targetNames = set.targetNames();
  const size_t per = set.targetNames().size() * static_cast<size_t>(o.hidden);
  for (size_t u = 0; u < set.uarchNames().size(); ++u) {
    pv::Microarchitecture m;
    const std::string file = o.uarchDir.empty() ? "" : o.uarchDir + "/" + set.uarchNames()[u] + ".toml";
    if (!file.empty() && std::filesystem::exists(file)) {
      m = pv::readUarchConfig(file);
    }
    m.name = set.uarchNames()[u];
    m.representation.assign(result.uarchTable.begin() + u * per, result.uarchTable.begin() + (u + 1) * per);
    m.origin = "trained";
    model.uarchs.push_back(std::move(m));
  }
  for (const auto& t : result.encoder) model.tensors.push_back(t);
  auto& tr = model.training;
  for (const auto& p : set.programs()) tr.programs.push_back(p.name);
  tr.heldOutPrograms = heldOutPrograms;
  tr.uarchSource = std::move(uarchSource);
  tr.heldOutUarchs = heldOutUarchs;
  tr.instructions = static_cast<uint64_t>(set.rows());
  tr.steps = result.steps;
  tr.epochs = result.epochs;
  tr.validationLoss = result.validationLoss;
  tr.targetWeights = config.targetWeights;
  tr.command = command;
  tr.workers = static_cast<uint32_t>(world);
  pv::saveModel(model, o.output);
  if (!o.quiet)
    std::fprintf(stderr,
                 "pv-train: %s: %llu steps (%.2f epochs) of %lld rows on %zu microarchitectures x %zu targets, "
                 "loss %.4f -> %.4f, validation %.4f, %.0f samples/s with %d worker%s, %.1f s%s\n",
                 o.output.c_str(), static_cast<unsigned long long>(result.steps), result.epochs,
                 static_cast<long long>(set.rows()), set.uarchNames().size(), set.targetNames().size(),
                 result.firstLoss, result.lastLoss, result.validationLoss, result.samplesPerSecond, world,
                 world == 1 ? "" : "s", result.seconds,
                 result.resumedFrom ? fmt::format(" (resumed from step {})", result.resumedFrom).c_str() : "");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  Options o;
  pv::runtime::Tool tool("pv-train", "pv-train: trains the instruction representation model and the table of microarchitecture representations "
      "M_u jointly on labelled feature streams (pv-dataset files, or pv-uarch / pv-trace-tap --labels | pv-feature "
      "| pv-reuse-distance), and writes a model file. Data-parallel over worker processes with c10d Gloo.");
  CLI::App& app = tool.cli();
  app.add_option("inputs", o.inputs, "Labelled feature streams (files, .zst, - for stdin, ipc://...)");
  app.add_option("--dataset", o.dataset, "A pv-dataset folder: its finished workloads of --split");
  app.add_option("--split", o.split, "With --dataset: train, test or all")->capture_default_str()
      ->check(CLI::IsMember({"train", "test", "all"}));
  app.add_option("-o,--output", o.output, "The model file to write (.pvm)")->required();
  pv::runtime::addCurveOptions(app);
  app.add_option("--uarch-dir", o.uarchDir,
                 "Folder of the configurations (NAME.toml), recorded in the model (default: DATASET/uarchs)");
  app.add_option("--targets", o.targets, "Targets to train on, comma-separated (default: all in the stream)")->delimiter(',');
  app.add_option("--loss-weights", o.weights, "TARGET=WEIGHT,... (default 1 each)")->delimiter(',');
  app.add_option("--uarchs", o.uarchs, "Microarchitectures to train on (default: all in the stream)")->delimiter(',');
  app.add_option("--exclude-uarchs", o.excludeUarchs, "Microarchitectures held out (recorded as unseen)")->delimiter(',');
  app.add_option("--holdout-uarchs", o.holdoutUarchs, "Hold out the last N microarchitectures")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--max-rows", o.maxRows, "Use at most this many rows of each stream (its prefix)");
  app.add_option("--arch", o.arch, "lstm or gru")->capture_default_str()->check(CLI::IsMember({"lstm", "gru"}));
  app.add_option("--hidden", o.hidden, "Width H of R_i, R_p and M_u")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--layers", o.layers, "RNN layers")->capture_default_str()->check(CLI::Range(1, 16));
  app.add_option("-W,--window", o.run.window, "Instructions per window W (the instruction included)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_option("-K,--chunk", o.run.chunk, "Instructions per chunk K (chunked model)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  app.add_flag("--exact", o.exact, "Train an exact model (PerfVec: every R_i from a fresh window; K = 1)");
  app.add_option("-b,--batch", o.run.batch, "Chunks per step, all workers together")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_option("-e,--epochs", o.run.epochs, "Passes over the training chunks")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-steps", o.run.maxSteps, "Stop after this many steps (overrides --epochs)");
  app.add_option("--lr,--learning-rate", o.run.learningRate, "Peak learning rate (Adam)")->capture_default_str();
  app.add_option("--final-lr", o.run.finalLearningRate, "Cosine decay ends at this fraction of --lr")
      ->capture_default_str();
  app.add_option("--warmup", o.run.warmupSteps, "Linear warm-up steps")->capture_default_str();
  app.add_option("--clip-norm", o.clipNorm, "Gradient norm limit (0: none)")->capture_default_str();
  app.add_option("--weight-decay", o.weightDecay, "Decoupled weight decay")->capture_default_str();
  app.add_option("--validation", o.run.validationFraction, "Fraction of chunks kept for validation")
      ->capture_default_str()->check(CLI::Range(0.0, 0.9));
  app.add_option("--seed", o.run.seed, "Seed of the weights, the split and the shuffling")->capture_default_str();
  app.add_option("-j,--workers", o.workers, "Worker processes on this machine")->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("-t,--threads", o.threads, "LibTorch threads per worker")->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--rank", o.rank, "This process's rank when workers run on several machines");
  app.add_option("--world", o.world, "Workers in all (with --rank and --master)");
  app.add_option("--master", o.master, "HOST:PORT where rank 0 serves the rendezvous (with --rank)");
  app.add_option("--checkpoint", o.checkpoint, "Checkpoint file (default: OUTPUT.ckpt); an existing one is resumed");
  app.add_option("--checkpoint-every", o.run.checkpointEvery, "Steps between checkpoints")->capture_default_str();
  app.add_option("--checkpoint-seconds", o.run.checkpointSeconds, "Seconds between checkpoints")
      ->capture_default_str();
  app.add_flag("--no-checkpoint", o.noCheckpoint, "Write no checkpoints");
  app.add_option("--name", o.name, "Model name (default: the output's base name)");
  app.add_option("--description", o.description, "Model description");
  app.add_flag("--progress", o.progress, "Print progress lines (default when stderr is a terminal)");
  app.add_flag("--no-progress", o.noProgress, "No progress lines");
  app.add_flag("-q,--quiet", o.quiet, "Only errors");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  if (o.exact) o.run.chunk = 1;
  if (o.checkpoint.empty() && !o.noCheckpoint) o.checkpoint = o.output + ".ckpt";
  if (o.noCheckpoint) o.checkpoint.clear();
  o.run.checkpoint = o.checkpoint;

  try {
    if (o.inputs.empty() && o.dataset.empty()) throw pv::StageError("pv-train", "", "no inputs (streams or --dataset)");
    // What to read: streams given, or the finished workloads of a dataset.
    std::vector<std::pair<std::string, std::string>> streams;  // spec, name
    std::vector<std::string> heldOutPrograms;
    std::string uarchSource;
    if (!o.dataset.empty()) {
      const pv::dataset::Manifest manifest = pv::dataset::requireManifest(o.dataset);
      uarchSource = "pv-uarch " + manifest.configSource;
      for (const pv::dataset::ManifestEntry* w : manifest.finished()) {
        if (o.split == "all" || w->split == o.split)
          streams.emplace_back(pv::dataset::streamPath(o.dataset, *w), w->name);
        else heldOutPrograms.push_back(w->name);
      }
      if (streams.empty()) throw pv::StageError(o.dataset, "", "no finished workload of split " + o.split);
      if (o.uarchDir.empty()) o.uarchDir = o.dataset + "/uarchs";
    }
    for (const auto& in : o.inputs) streams.emplace_back(in, "");

    // Read every stream once (the parent holds the data; workers share it).
    pv::train::TrainingSet set;
    std::vector<std::string> heldOutUarchs;
    pv::train::LabelSelection selection;
    for (size_t i = 0; i < streams.size(); ++i) {
      if (i == 0) {
        // The selection needs the first stream's names: read its header first.
        auto reader = pv::runtime::StreamReader::open(streams[0].first);
        selection = selectionFor(o, reader->header().uarchNames, heldOutUarchs);
      }
      if (!o.quiet)
        std::fprintf(stderr, "pv-train: reading %s (%zu of %zu)\n", streams[i].first.c_str(), i + 1, streams.size());
      set.addStream(streams[i].first, selection, streams[i].second, o.maxRows);
    }
    std::vector<double> mean, stddev;
    set.featureStatistics(mean, stddev);
    const std::vector<double> scales = set.targetScales();
    if (!o.quiet)
      std::fprintf(stderr, "pv-train: %lld rows of %zu programs, %zu microarchitectures x %zu targets\n",
                   static_cast<long long>(set.rows()), set.programs().size(), set.uarchNames().size(),
                   set.targetNames().size());

    if (o.rank >= 0) {  // one worker of a group spread over machines
      const auto colon = o.master.rfind(':');
      if (o.world < 1 || o.rank >= o.world || colon == std::string::npos)
        throw pv::StageError("--rank/--world/--master", o.master, "need 0 <= rank < world and --master HOST:PORT");
      return runWorker(o, set, mean, stddev, scales, heldOutPrograms, heldOutUarchs, uarchSource, command, o.rank,
                       o.world, o.master.substr(0, colon), std::stoi(o.master.substr(colon + 1)));
    }
    if (o.workers == 1)
      return runWorker(o, set, mean, stddev, scales, heldOutPrograms, heldOutUarchs, uarchSource, command, 0, 1,
                       "127.0.0.1", 0);

    // Local workers: forked after loading, so they share the data pages.
    // A worker outlives no pv-train (SIGTERM when it dies), and one that
    // fails stops the others, which would wait for it in every reduction.
    const int port = pv::train::freeLocalPort();
    std::vector<pv::runtime::Child> workers;
    for (int r = 0; r < o.workers; ++r)
      workers.push_back(pv::runtime::forkChild(
          [&, r] {
            try {
              return runWorker(o, set, mean, stddev, scales, heldOutPrograms, heldOutUarchs, uarchSource, command,
                               r, o.workers, "127.0.0.1", port);
            } catch (const std::exception& e) {
              std::fprintf(stderr, "pv-train: worker %d: %s\n", r, e.what());
              return 1;
            }
          },
          SIGTERM));
    int failed = 0;
    while (const std::optional<size_t> ended = pv::runtime::waitAny(workers)) {
      const pv::runtime::ProcessEnd end = *workers[*ended].end();
      if (end.ok() || failed) continue;
      failed = 1;
      std::fprintf(stderr, "pv-train: worker %zu failed (%s); stopping the others\n", *ended,
                   end.describe().c_str());
      for (const auto& w : workers) w.kill(SIGTERM);
    }
    return failed;
  } catch (const pv::StageError& e) {
    std::cerr << "pv-train: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "pv-train: " << e.what() << "\n";
    return 1;
  }
}
