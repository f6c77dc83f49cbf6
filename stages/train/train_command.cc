// pv-train's run: inputs, statistics, workers, dealing, the model.

#include "stages/train/train_command.h"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <thread>
#include <chrono>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"
#include "stages/train/gloo_reducer.h"
#include "stages/train/training_run.h"

namespace pv::train {
namespace {

// A worker's exit status when it stopped because another worker was gone.
constexpr int kPeerLostExit = 3;

struct Inputs {
  std::vector<StreamInput> streams;
  std::vector<std::string> heldOutPrograms;
  std::string uarchSource;
};

Inputs resolveInputs(TrainOptions& o) {
  Inputs in;
  if (!o.dataset.empty()) {
    const dataset::Manifest manifest = dataset::requireManifest(o.dataset);
    in.uarchSource = "pv-uarch " + manifest.configSource;
    for (const dataset::ManifestEntry* w : manifest.finished()) {
      if (o.split == "all" || w->split == o.split)
        in.streams.push_back({dataset::streamPath(o.dataset, *w), w->name});
      else
        in.heldOutPrograms.push_back(w->name);
    }
    if (in.streams.empty()) throw StageError(o.dataset, "", "no finished workload of split " + o.split);
    if (o.uarchDir.empty()) o.uarchDir = o.dataset + "/uarchs";
  }
  int stdinCount = 0;
  if (o.programs.size() > o.inputs.size())
    throw runtime::UsageError(fmt::format("--program: {} names for {} input streams", o.programs.size(),
                                          o.inputs.size()));
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    stdinCount += o.inputs[i] == "-";
    in.streams.push_back({o.inputs[i], i < o.programs.size() ? o.programs[i] : ""});
  }
  if (stdinCount > 1) throw runtime::UsageError("'-' (stdin) can be given once");
  if (in.streams.empty()) throw runtime::UsageError("no inputs: give labelled feature streams or --dataset DIR");
  return in;
}

TrainerConfig trainerConfig(const TrainOptions& o, const DataLayout& layout) {
  TrainerConfig config;
  config.encoder.arch = *encode::parseArch(o.arch);
  config.encoder.features = layout.features();
  config.encoder.hidden = o.hidden;
  config.encoder.layers = o.layers;
  config.encoder.window = static_cast<int>(o.window);
  config.uarchs = static_cast<int64_t>(layout.uarchs.size());
  config.targets = static_cast<int64_t>(layout.targets.size());
  config.clipNorm = o.clipNorm;
  config.weightDecay = o.weightDecay;
  config.seed = o.seed;
  config.targetWeights.assign(config.targets, 1.0f);
  for (const auto& w : o.weights) {
    const auto eq = w.find('=');
    const std::string t = w.substr(0, eq);
    auto it = std::find(layout.targets.begin(), layout.targets.end(), t);
    if (eq == std::string::npos || it == layout.targets.end())
      throw StageError("--loss-weights", w, "expected TARGET=WEIGHT with a trained target");
    config.targetWeights[it - layout.targets.begin()] = std::stof(w.substr(eq + 1));
  }
  return config;
}

// Everything a worker needs, fixed before the workers are forked.
struct Plan {
  Inputs inputs;
  DataLayout layout;
  DataStatistics statistics;
  TrainerConfig config;
  WorkerOptions worker;
  uint64_t totalSteps = 0;
};

// Rank 0's last act: the model file.
void writeModel(const TrainOptions& o, const Plan& plan, const RunResult& result, int world) {
  Model model;
  model.name = o.name.empty() ? std::filesystem::path(o.output).stem().string() : o.name;
  model.description = o.description;
  model.architecture =
      encode::architectureOf(plan.config.encoder, o.exact ? 0 : static_cast<uint32_t>(o.chunk));
  model.featureColumns = plan.layout.featureColumns;
  for (size_t i = 0; i < plan.statistics.mean.size(); ++i) {
    model.featureMean.push_back(static_cast<float>(plan.statistics.mean[i]));
    model.featureStd.push_back(static_cast<float>(plan.statistics.stddev[i]));
  }
  model.targetNames = plan.layout.targets;
  const size_t per = plan.layout.targets.size() * static_cast<size_t>(o.hidden);
  for (size_t u = 0; u < plan.layout.uarchs.size(); ++u) {
    Microarchitecture m;
    const std::string file = o.uarchDir.empty() ? "" : o.uarchDir + "/" + plan.layout.uarchs[u] + ".toml";
    if (!file.empty() && std::filesystem::exists(file)) m = readUarchConfig(file);
    m.name = plan.layout.uarchs[u];
    m.representation.assign(result.uarchTable.begin() + u * per, result.uarchTable.begin() + (u + 1) * per);
    m.origin = "trained";
    model.uarchs.push_back(std::move(m));
  }
  for (const auto& t : result.encoder) model.tensors.push_back(t);
  auto& tr = model.training;
  tr.programs = result.record.programs;
  tr.heldOutPrograms = plan.inputs.heldOutPrograms;
  tr.uarchSource = plan.inputs.uarchSource;
  tr.heldOutUarchs = plan.layout.heldOutUarchs;
  tr.instructions = result.record.instructions;
  tr.steps = result.steps;
  tr.epochs = result.record.epochs;
  tr.validationLoss = result.validationLoss;
  tr.targetWeights = plan.config.targetWeights;
  tr.command = o.command;
  tr.workers = static_cast<uint32_t>(world);
  saveModel(model, o.output);
  if (!o.quiet)
    std::fprintf(stderr,
                 "pv-train: %s: %llu steps (%.2f epochs) of %llu rows on %zu microarchitectures x %zu targets, "
                 "loss %.4f -> %.4f, validation %.4f, %.0f samples/s with %d worker%s, %.1f s%s\n",
                 o.output.c_str(), static_cast<unsigned long long>(result.steps), result.record.epochs,
                 static_cast<unsigned long long>(result.record.instructions), plan.layout.uarchs.size(),
                 plan.layout.targets.size(), result.firstLoss, result.lastLoss, result.validationLoss,
                 result.samplesPerSecond, world, world == 1 ? "" : "s", result.seconds,
                 result.resumedFrom ? fmt::format(" (resumed from step {})", result.resumedFrom).c_str() : "");
}

// One worker process's body.
int workerMain(const TrainOptions& o, const Plan& plan, int fd, int rank, int world, const std::string& host,
               int port) {
  encode::setCpuThreads(o.threads);
  std::unique_ptr<GradientReducer> reducer;
  if (world > 1) {
    GlooOptions g;
    g.rank = rank;
    g.world = world;
    g.masterHost = host;
    g.masterPort = port;
    g.interfaceHost = host == "127.0.0.1" || host == "localhost" ? "127.0.0.1" : host;
    reducer = connectGloo(g);
  } else {
    reducer = std::make_unique<SingleWorker>();
  }
  const RunResult result = runWorker(fd, plan.config, plan.worker, *reducer);
  if (rank == 0) writeModel(o, plan, result, world);
  return 0;
}

}  // namespace

size_t shuffleChunks(const std::string& value, size_t chunkBytes) {
  size_t end = 0;
  double number = 0;
  try {
    number = std::stod(value, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  std::string unit = value.substr(end);
  for (auto& ch : unit) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  double bytes = -1;
  if (unit.empty()) {
    if (end == 0 || number < 1 || number != std::floor(number))
      throw StageError("--shuffle-buffer", value, "expected a number of chunks (>= 1) or a size such as 256MiB");
    return static_cast<size_t>(number);
  }
  if (unit == "kib") bytes = number * 1024;
  else if (unit == "mib") bytes = number * 1024 * 1024;
  else if (unit == "gib") bytes = number * 1024 * 1024 * 1024;
  else if (unit == "kb") bytes = number * 1e3;
  else if (unit == "mb") bytes = number * 1e6;
  else if (unit == "gb") bytes = number * 1e9;
  if (end == 0 || bytes < 0)
    throw StageError("--shuffle-buffer", value, "expected a number of chunks or a size in KiB, MiB, GiB, kB, MB or GB");
  const size_t n = static_cast<size_t>(bytes / static_cast<double>(std::max<size_t>(1, chunkBytes)));
  if (n < 1)
    throw StageError("--shuffle-buffer", value,
                     fmt::format("smaller than one chunk ({} bytes with these -W, -K and labels)", chunkBytes));
  return n;
}

void rendezvousFromEnvironment(TrainOptions& o) {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    return v && *v ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto rank = env("RANK"), world = env("WORLD_SIZE"), addr = env("MASTER_ADDR"), port = env("MASTER_PORT");
  if (o.rank < 0 && rank && world && addr && port) {
    try {
      o.rank = std::stoi(*rank);
      o.world = std::stoi(*world);
    } catch (const std::exception&) {
      throw runtime::UsageError("RANK and WORLD_SIZE must be numbers (torchrun's variables)");
    }
    if (o.master.empty()) o.master = *addr + ":" + *port;
  }
}

int runTrain(TrainOptions o) {
  // Messages and batches of megabytes are allocated and freed all the time;
  // with glibc's defaults each is mmap'ed and returned, and the page faults
  // cost more than the copies (as in the stages: runtime/stage.cc).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (o.device != "cpu") {
    if (o.device != "cuda" && o.device.rfind("cuda:", 0) != 0)
      throw runtime::UsageError("--device " + o.device + ": expected cpu, cuda or cuda:N");
    if (!encode::cudaAvailable())
      throw runtime::UsageError("--device " + o.device +
                                ": this LibTorch has no CUDA device (Debian's libtorch is CPU-only); use --device cpu");
    throw runtime::UsageError("--device " + o.device +
                              ": pv-train's trainer runs on the CPU only so far; use --device cpu");
  }
  if (o.exact) o.chunk = 1;
  rendezvousFromEnvironment(o);
  const bool multiHost = o.rank >= 0;
  std::string masterHost = "127.0.0.1";
  int masterPort = 0;
  if (multiHost) {
    const auto colon = o.master.rfind(':');
    if (o.world < 1 || o.rank >= o.world || colon == std::string::npos)
      throw runtime::UsageError("--rank/--world/--master: need 0 <= rank < world and --master HOST:PORT");
    masterHost = o.master.substr(0, colon);
    masterPort = std::stoi(o.master.substr(colon + 1));
  }
  const int world = multiHost ? o.world : o.workers;
  if (o.batch < world)
    throw runtime::UsageError(fmt::format("a batch of {} chunks cannot be shared by {} workers", o.batch, world));

  Plan plan;
  plan.inputs = resolveInputs(o);
  LabelSelection selection{o.targets, o.uarchs, o.excludeUarchs, o.holdoutUarchs};
  bool rereadable = true;
  for (const auto& s : plan.inputs.streams) rereadable = rereadable && isRereadable(s.spec);
  if (!rereadable && o.epochsGiven && o.epochs != 1)
    throw runtime::UsageError("-e/--epochs: a pipe, stdin or a socket is read once; give -e 1 (or leave it out)");
  const double epochs = rereadable ? o.epochs : 1.0;

  // Statistics: exact, from a pass over files; from the first fill of the
  // shuffle buffer for a live stream.
  std::vector<int64_t> programRows;
  if (rereadable) {
    if (!o.quiet)
      std::fprintf(stderr, "pv-train: reading %zu stream%s for the normalisation statistics\n",
                   plan.inputs.streams.size(), plan.inputs.streams.size() == 1 ? "" : "s");
    DataSurvey survey = surveyInputs(plan.inputs.streams, selection, plan.layout, o.maxRows);
    plan.statistics = survey.statistics;
    programRows = survey.programRows;
  }
  ChunkSource source(plan.inputs.streams, selection, o.window, o.chunk, o.maxRows, o.openStreams);
  const DataLayout& layout = source.layout();  // opens the first stream
  if (plan.layout.empty()) plan.layout = layout;
  const size_t chunkBytes = static_cast<size_t>(((o.window - 1 + o.chunk) * layout.features() +
                                                 o.chunk * layout.labelWidth()) * static_cast<int64_t>(sizeof(float)));
  // Separate validation programs replace the held-out chunks unless
  // --validation asks for both.
  const double validationFraction =
      o.validationStreams.empty() || o.validationFractionGiven ? o.validationFraction : 0.0;
  BatchStreamOptions bo;
  bo.batch = o.batch;
  bo.shuffleChunks = shuffleChunks(o.shuffleBuffer, chunkBytes);
  bo.validationFraction = validationFraction;
  bo.validationChunks = o.validationChunks;
  bo.seed = o.seed;
  bo.passes = o.maxSteps > 0 || o.maxInstructions > 0 ? (rereadable ? INT64_MAX : 1)
                                                       : static_cast<int64_t>(std::ceil(epochs));
  BatchStream batches(source, bo);
  if (!o.validationStreams.empty()) {
    // The first --validation-chunks chunks of the validation programs, read
    // now (they must have the training streams' layout).
    std::vector<StreamInput> vin;
    for (const auto& v : o.validationStreams) vin.push_back({v, ""});
    LabelSelection same{plan.layout.targets, plan.layout.uarchs, {}, 0};
    ChunkSource vsource(vin, same, o.window, o.chunk, o.maxRows, o.openStreams);
    const DataLayout& vl = vsource.layout();
    if (vl.featureColumns != plan.layout.featureColumns)
      throw StageError(o.validationStreams[0], "header", "its feature columns differ from the training streams'");
    std::vector<Chunk> chunks;
    Chunk c;
    while (chunks.size() < o.validationChunks && vsource.next(c)) chunks.push_back(std::move(c));
    if (chunks.empty()) throw StageError(o.validationStreams[0], "", "no validation chunks");
    if (!o.quiet)
      std::fprintf(stderr, "pv-train: validation: %zu chunks of %zu program%s\n", chunks.size(), vin.size(),
                   vin.size() == 1 ? "" : "s");
    batches.addValidation(std::move(chunks));
  }
  if (!rereadable) {
    batches.fill();
    StatisticsAccumulator acc(layout.features(), static_cast<int64_t>(layout.targets.size()),
                              static_cast<int64_t>(layout.uarchs.size()));
    for (const auto& c : batches.buffered()) acc.add(c);
    if (o.validationStreams.empty())
      for (const auto& c : batches.validation()) acc.add(c);
    plan.statistics = acc.result();
    if (!o.quiet)
      std::fprintf(stderr, "pv-train: normalisation statistics from the first %lld rows (the shuffle buffer's first fill)\n",
                   static_cast<long long>(plan.statistics.rows));
  }
  if (plan.statistics.rows == 0) throw StageError(plan.inputs.streams[0].spec, "", "no rows to train on");

  // Steps: --max-steps, else --max-instructions, else the epochs over files.
  if (o.maxSteps > 0) {
    plan.totalSteps = o.maxSteps;
  } else if (o.maxInstructions > 0) {
    plan.totalSteps = (o.maxInstructions + o.batch * o.chunk - 1) / static_cast<uint64_t>(o.batch * o.chunk);
  } else if (rereadable) {
    int64_t chunks = 0;
    for (size_t p = 0; p < programRows.size(); ++p)
      chunks += trainingChunks(o.seed, static_cast<int32_t>(p), programRows[p], o.chunk, validationFraction);
    plan.totalSteps = static_cast<uint64_t>(std::max(1.0, std::ceil(epochs * double(chunks) / double(o.batch))));
  }
  if (!o.quiet)
    std::fprintf(stderr, "pv-train: %zu program%s, %zu microarchitectures x %zu targets, %s steps of %lld chunks, "
                 "a shuffle buffer of %zu chunks (%.0f MiB)\n",
                 plan.inputs.streams.size(), plan.inputs.streams.size() == 1 ? "" : "s", layout.uarchs.size(),
                 layout.targets.size(),
                 plan.totalSteps ? std::to_string(plan.totalSteps).c_str() : "until the stream ends:",
                 static_cast<long long>(o.batch), bo.shuffleChunks,
                 double(bo.shuffleChunks) * double(chunkBytes) / 1048576.0);

  plan.config = trainerConfig(o, plan.layout);
  RunIdentity id;
  for (const auto& s : plan.inputs.streams) id.programs.push_back(s.name.empty() ? s.spec : s.name);
  id.programRows = programRows;
  id.layout = plan.layout;
  id.statistics = plan.statistics;
  id.window = o.window;
  id.chunk = o.chunk;
  id.batch = o.batch;
  id.totalSteps = plan.totalSteps;
  id.dataSeed = o.seed;
  id.epochs = epochs;
  id.validationFraction = validationFraction;
  id.validationPrograms = o.validationStreams;
  id.shuffleChunks = bo.shuffleChunks;
  id.validationChunks = bo.validationChunks;
  id.schedule = o.schedule;
  id.world = world;
  plan.worker.window = o.window;
  plan.worker.chunk = o.chunk;
  plan.worker.statistics = plan.statistics;
  plan.worker.runKey = runKey(id, plan.config);
  plan.worker.checkpoint = o.checkpoint;
  plan.worker.totalSteps = plan.totalSteps;
  plan.worker.progress = o.progress;
  const uint64_t startStep = checkpointStep(o.checkpoint, plan.worker.runKey);

  // A worker that dies closes its pipe: the next write must fail with EPIPE
  // (and name the worker), not kill this process.
  ::signal(SIGPIPE, SIG_IGN);
  // The workers: forked now, before this process has touched LibTorch.
  std::vector<int> ranks;
  if (multiHost) ranks.push_back(o.rank);
  else
    for (int r = 0; r < o.workers; ++r) ranks.push_back(r);
  if (!multiHost && world > 1) masterPort = freeLocalPort();
  std::vector<std::pair<int, int>> pipes;
  for (size_t i = 0; i < ranks.size(); ++i) pipes.push_back(workPipe());
  std::vector<runtime::Child> workers;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const int rank = ranks[i], fd = pipes[i].first;
    workers.push_back(runtime::forkChild(
        [&, rank, fd] {
          for (const auto& p : pipes) {  // only its own read end stays open
            ::close(p.second);
            if (p.first != fd) ::close(p.first);
          }
          try {
            return workerMain(o, plan, fd, rank, world, masterHost, masterPort);
          } catch (const PeerLost&) {
            return kPeerLostExit;  // another worker's failure: the reading process reports that one
          } catch (const std::exception& e) {
            std::fprintf(stderr, "pv-train: worker %d: %s\n", rank, e.what());
            return 1;
          }
        },
        SIGTERM));
  }
  std::vector<int> writeEnds;
  for (const auto& p : pipes) {
    ::close(p.first);
    writeEnds.push_back(p.second);
  }
  auto describeWorker = [&](size_t i) {
    return fmt::format("worker {} (pid {}) {}", ranks[i], workers[i].pid(), workers[i].end()->describe());
  };
  // A worker that ended while the others still need it: the run is over.
  auto checkWorkers = [&] {
    for (size_t i = 0; i < workers.size(); ++i)
      if (workers[i].running() && workers[i].tryWait() && !workers[i].end()->ok())
        throw WorkerGone(i, describeWorker(i));
  };
  // The worker to blame once one is gone: the others follow within moments
  // (their gradient sums fail: PeerLost); the first, in rank order, that
  // ended otherwise is the cause.
  auto culprit = [&](size_t gone) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    auto allEnded = [&] {
      for (auto& w : workers)
        if (w.running() && !w.tryWait()) return false;
      return true;
    };
    while (!allEnded() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (size_t i = 0; i < workers.size(); ++i) {
      const auto& end = workers[i].end();
      if (end && !end->ok() && !(end->exited() && end->exitCode() == kPeerLostExit)) return i;
    }
    return gone;
  };

  DealOptions d;
  d.world = world;
  d.localRanks = ranks;
  d.totalSteps = plan.totalSteps;
  d.startStep = startStep;
  d.schedule = o.schedule;
  d.validateEvery = o.validateEvery;
  d.checkpoints = !o.checkpoint.empty();
  d.checkpointEvery = o.checkpointEvery;
  d.checkpointSeconds = o.checkpointSeconds;
  d.check = checkWorkers;
  int status = 0;
  std::string failure;
  try {
    deal(batches, source.programNames(), d, writeEnds);
  } catch (const WorkerGone& e) {
    if (workers[e.pipe()].running()) workers[e.pipe()].wait();  // it closed its pipe: it is ending
    failure = describeWorker(culprit(e.pipe()));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  for (int fd : writeEnds) ::close(fd);
  if (!failure.empty()) {
    status = 1;
    for (const auto& w : workers)
      if (w.running()) w.kill(SIGTERM);
  }
  // Wait for every worker; report the first that failed on its own.
  std::string firstFailed;
  while (const std::optional<size_t> ended = runtime::waitAny(workers)) {
    if (workers[*ended].end()->ok()) continue;
    status = 1;
    if (firstFailed.empty() && failure.empty()) {
      firstFailed = describeWorker(culprit(*ended));
      for (const auto& w : workers)
        if (w.running()) w.kill(SIGTERM);
    }
  }
  if (!failure.empty())
    std::fprintf(stderr, "pv-train: %s%s\n", failure.c_str(),
                 d.checkpoints ? fmt::format(" (the last checkpoint, {}, is kept: run the same command to resume)",
                                             o.checkpoint).c_str()
                               : "");
  else if (!firstFailed.empty())
    std::fprintf(stderr, "pv-train: %s; the others were stopped\n", firstFailed.c_str());
  if (status == 0 && !o.quiet) {
    // Peak resident memory (ru_maxrss, KiB): bounded by the shuffle buffer
    // here, by the model and one batch in a worker, whatever the streams' length.
    struct rusage self{};
    ::getrusage(RUSAGE_SELF, &self);
    long worker = 0;
    for (const auto& w : workers) worker = std::max(worker, w.usage().ru_maxrss);
    std::fprintf(stderr, "pv-train: peak memory: reading process %.1f MiB, worker %.1f MiB\n",
                 double(self.ru_maxrss) / 1024.0, double(worker) / 1024.0);
  }
  return status;
}

}  // namespace pv::train
