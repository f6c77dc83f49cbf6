// pv-train's run: inputs, statistics, workers, dealing, the model.

#include "stages/train/train_command.h"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
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
#include "stages/runtime/free_port.h"
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
      if (!o.validationSplit.empty() && w->split == o.validationSplit)
        o.validationStreams.push_back(dataset::streamPath(o.dataset, *w));
    }
    if (!o.validationSplit.empty() && (o.split == "all" || o.split == o.validationSplit))
      throw runtime::UsageError("--validation-split " + o.validationSplit + " would validate on training data (--split " +
                                o.split + ")");
    if (in.streams.empty()) throw StageError(o.dataset, "", "no finished workload of split " + o.split);
    if (!o.validationSplit.empty() && o.validationStreams.empty())
      throw StageError(o.dataset, "", "no finished workload of split " + o.validationSplit + " to validate on");
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
  config.chunkSumWeight = o.chunkSumWeight;
  config.dropout = o.dropout;
  config.nonNegativeTable = !o.signedUarchs;
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
  RunIdentity identity;
  double epochs = 1;
  int64_t batch = 64;  // chunks per global step
  // Ranks on several machines that read their own streams: what they add up
  // before training (see agreeAcrossRanks): the statistics' sums, each
  // program's rows in the order of all streams, this rank's training chunks.
  bool sharded = false;
  std::vector<double> shardSums;
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
  model.nonNegativeUarchs = plan.config.nonNegativeTable;
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
// The first CUDA device of local worker 0: --device cuda:N gives N; cuda
// gives 0, or the local rank (torchrun's LOCAL_RANK, Slurm's SLURM_LOCALID)
// for a rank of a run on several machines.
int firstCudaDevice(const TrainOptions& o) {
  if (o.device.rfind("cuda:", 0) == 0) return std::stoi(o.device.substr(5));
  return o.rank >= 0 ? o.localRank : 0;
}

// --device: cpu, or CUDA devices that exist (local worker i on the first
// device + i). The devices are counted in a child process: CUDA must not be
// initialised in this one before it forks the workers.
void checkDevice(const TrainOptions& o) {
  if (o.device == "cpu") return;
  const bool digits = o.device.size() > 5 && o.device.find_first_not_of("0123456789", 5) == std::string::npos;
  if (o.device != "cuda" && !(o.device.rfind("cuda:", 0) == 0 && digits && o.device.size() < 9))
    throw runtime::UsageError("--device " + o.device + ": expected cpu, cuda or cuda:N");
  runtime::Child probe = runtime::forkChild([] { return std::min(cudaDeviceCount(), 100); });
  const runtime::ProcessEnd end = probe.wait();
  const int count = end.exited() ? end.exitCode() : 0;
  if (count == 0)
    throw runtime::UsageError("--device " + o.device +
                              ": this LibTorch has no CUDA device (Debian's libtorch is CPU-only); use --device cpu");
  const int first = firstCudaDevice(o), local = o.rank >= 0 ? 1 : o.workers;
  if (first + local > count)
    throw runtime::UsageError(fmt::format("--device {}: {} worker{} from cuda:{} need {} CUDA devices; there are {}",
                                          o.device, local, local == 1 ? "" : "s", first, first + local, count));
}

// Ranks that read their own streams add up what they read: the statistics
// (so that every rank normalises alike), each program's rows (the run's
// identity) and the training chunks (the steps of the epochs asked for).
void agreeAcrossRanks(Plan& plan, GradientReducer& reducer) {
  std::vector<double> sums = plan.shardSums;
  reducer.sumDoubles(sums.data(), static_cast<int64_t>(sums.size()));
  const size_t programs = plan.identity.programs.size(), statistics = sums.size() - programs - 1;
  StatisticsAccumulator acc(plan.layout.features(), static_cast<int64_t>(plan.layout.targets.size()),
                            static_cast<int64_t>(plan.layout.uarchs.size()));
  acc.setSums(std::vector<double>(sums.begin(), sums.begin() + static_cast<ptrdiff_t>(statistics)));
  plan.statistics = acc.result();
  if (!plan.identity.programRows.empty())
    for (size_t p = 0; p < programs; ++p) plan.identity.programRows[p] = static_cast<int64_t>(sums[statistics + p]);
  if (plan.totalSteps == 0)
    plan.totalSteps = static_cast<uint64_t>(std::max(1.0, std::ceil(plan.epochs * sums.back() / double(plan.batch))));
  plan.identity.statistics = plan.statistics;
  plan.identity.totalSteps = plan.totalSteps;
  plan.worker.statistics = plan.statistics;
  plan.worker.totalSteps = plan.totalSteps;
  plan.worker.runKey = runKey(plan.identity, plan.config);
}

// One worker process's body. The first local worker answers on `readyFd`
// where the run starts and ends (-1: not this one).
int workerMain(const TrainOptions& o, Plan plan, int fd, int readyFd, int rank, int world, const std::string& host,
               int port, const std::string& glooAddress) {
  encode::setCpuThreads(o.threads);
  if (o.device != "cpu")
    plan.config.device = fmt::format("cuda:{}", firstCudaDevice(o) + (o.rank >= 0 ? 0 : rank));
  std::unique_ptr<GradientReducer> reducer;
  if (world > 1) {
    GlooOptions g;
    g.rank = rank;
    g.world = world;
    g.masterHost = host;
    g.masterPort = port;
    g.interfaceHost = glooAddress;
    if (const char* name = std::getenv("GLOO_SOCKET_IFNAME"); name && *name && o.rank >= 0) g.interfaceName = name;
    reducer = connectGloo(g);
  } else {
    reducer = std::make_unique<SingleWorker>();
  }
  if (plan.sharded) agreeAcrossRanks(plan, *reducer);
  plan.worker.onStart = [&](uint64_t start) {
    if (readyFd < 0) return;
    WorkerReady ready;
    ready.startStep = start;
    ready.totalSteps = plan.totalSteps;
    writeReady(readyFd, ready);
    ::close(readyFd);
  };
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

RendezvousSource rendezvousFromEnvironment(TrainOptions& o, const Environment& env) {
  RendezvousSource source;
  const std::string rank = env("RANK"), world = env("WORLD_SIZE"), addr = env("MASTER_ADDR"),
                    port = env("MASTER_PORT");
  // Precedence: the flags, then torchrun's variables, then Slurm's.
  const bool torchrun = !rank.empty() && !world.empty() && !addr.empty() && !port.empty();
  if (o.rank < 0 && torchrun) {
    try {
      o.rank = std::stoi(rank);
      o.world = std::stoi(world);
    } catch (const std::exception&) {
      throw runtime::UsageError("RANK and WORLD_SIZE must be numbers (torchrun's variables)");
    }
    if (o.master.empty()) o.master = addr + ":" + port;
    source.from = "torchrun";
  } else if (const std::optional<SlurmStep> step = o.rank < 0 ? slurmStep(env) : std::nullopt;
             step && step->tasks > 1) {
    o.rank = step->rank;
    o.world = step->tasks;
    if (o.master.empty()) o.master = step->masterHost + ":" + std::to_string(step->masterPort);
    source.from = fmt::format("Slurm job {}, step {}", step->jobId, step->stepId);
  } else if (const int tasks = o.rank < 0 ? slurmJobTasksOutsideAStep(env) : 0; tasks > 1) {
    source.note = fmt::format(
        "this process is one of a Slurm job of {} tasks but not a task of a step (no SLURM_STEP_NUM_TASKS): it "
        "trains alone, with its -j workers; start pv-train with srun to make each task a rank",
        tasks);
  }
  // The first CUDA device of a rank (--device cuda): its index among the
  // ranks on its machine.
  if (o.rank >= 0) o.localRank = localRank(env);
  return source;
}

int runTrain(TrainOptions o) {
  // Messages and batches of megabytes are allocated and freed all the time;
  // with glibc's defaults each is mmap'ed and returned, and the page faults
  // cost more than the copies (as in the stages: runtime/stage.cc).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (o.exact) o.chunk = 1;
  const RendezvousSource rendezvous = rendezvousFromEnvironment(o);
  if (!rendezvous.note.empty() && !o.quiet) std::fprintf(stderr, "pv-train: note: %s\n", rendezvous.note.c_str());
  checkDevice(o);
  const bool multiHost = o.rank >= 0;
  std::string masterHost = "127.0.0.1";
  int masterPort = 0;
  // The address the workers' Gloo connections use: loopback for local
  // workers; for a rank, this machine's address on the route to the master
  // (the master's own name is no address of the other machines).
  std::string glooAddress = "127.0.0.1";
  if (multiHost) {
    const auto colon = o.master.rfind(':');
    if (o.world < 1 || o.rank >= o.world || colon == std::string::npos)
      throw runtime::UsageError("--rank/--world/--master: need 0 <= rank < world and --master HOST:PORT");
    masterHost = o.master.substr(0, colon);
    masterPort = std::stoi(o.master.substr(colon + 1));
    // A rank is one worker: more are more ranks (srun -n, torchrun
    // --nproc-per-node), so that every worker has its place in the world.
    if (o.workers > 1)
      throw runtime::UsageError(fmt::format(
          "-j {}: a rank of a run on several machines is one worker; start one pv-train per worker "
          "(srun -n N, torchrun --nproc-per-node N, or --rank for each)", o.workers));
    if (o.world > 1) glooAddress = localAddressTowards(masterHost);
    if (!rendezvous.from.empty() && !o.quiet)
      std::fprintf(stderr, "pv-train: rank %d of %d (%s): rendezvous at %s\n", o.rank, o.world,
                   rendezvous.from.c_str(), o.master.c_str());
  }
  const int world = multiHost ? o.world : o.workers;
  if (o.batch < world)
    throw runtime::UsageError(fmt::format("a batch of {} chunks cannot be shared by {} workers", o.batch, world));

  Plan plan;
  plan.inputs = resolveInputs(o);
  const std::vector<StreamInput>& all = plan.inputs.streams;
  // Ranks on several machines with at least one stream each read their own
  // (streams i with i mod world = rank) and deal their whole batches to
  // their worker; with fewer streams than ranks every rank reads them all
  // and deals its worker its share of each global batch.
  plan.sharded = multiHost && world > 1 && all.size() >= static_cast<size_t>(world);
  std::vector<StreamInput> readHere;
  std::vector<size_t> readIndex;  // readHere[i] is all[readIndex[i]]
  for (size_t i = 0; i < all.size(); ++i)
    if (!plan.sharded || static_cast<int>(i % static_cast<size_t>(world)) == o.rank) {
      readHere.push_back(all[i]);
      readIndex.push_back(i);
    }
  if (multiHost && world > 1 && !o.quiet) {
    if (plan.sharded) {
      std::string names;
      for (const auto& s : readHere) names += (names.empty() ? "" : ", ") + programName(s);
      std::fprintf(stderr, "pv-train: rank %d of %d reads %zu of the %zu streams: %s\n", o.rank, world,
                   readHere.size(), all.size(), names.c_str());
    } else {
      std::fprintf(stderr,
                   "pv-train: rank %d of %d: %zu stream%s for %d ranks: every rank reads all and trains on its "
                   "share of each batch (give at least %d streams to have each rank read its own)\n",
                   o.rank, world, all.size(), all.size() == 1 ? "" : "s", world, world);
    }
  }
  LabelSelection selection{o.targets, o.uarchs, o.excludeUarchs, o.holdoutUarchs, o.features};
  bool rereadable = true;
  for (const auto& s : readHere) rereadable = rereadable && isRereadable(s.spec);
  if (!rereadable && o.epochsGiven && o.epochs != 1)
    throw runtime::UsageError("-e/--epochs: a pipe, stdin or a socket is read once; give -e 1 (or leave it out)");
  if (plan.sharded && !rereadable && o.maxSteps == 0 && o.maxInstructions == 0)
    throw runtime::UsageError(
        "ranks that read their own live streams must take the same number of steps: give --max-steps or "
        "--max-instructions");
  const double epochs = rereadable ? o.epochs : 1.0;
  // Chunks of a global batch this process deals: all of them, or this
  // rank's share when it reads its own streams.
  int64_t localBatch = o.batch;
  if (plan.sharded) {
    const auto [first, last] = shareOf(o.batch, o.rank, world);
    localBatch = last - first;
  }

  // Statistics: exact, from a pass over files; from the first fill of the
  // shuffle buffer for a live stream.
  std::vector<int64_t> programRows;
  std::vector<double> statisticSums;
  ProgramLabelMeans programMeans;  // for --relative-loss
  if (o.relativeLoss > 0 && plan.sharded)
    throw runtime::UsageError("--relative-loss: ranks that read their own streams see only their programs' times; "
                              "run it with the ranks reading every stream, or on one machine");
  if (rereadable) {
    if (!o.quiet)
      std::fprintf(stderr, "pv-train: reading %zu stream%s for the normalisation statistics\n", readHere.size(),
                   readHere.size() == 1 ? "" : "s");
    DataSurvey survey = surveyInputs(readHere, selection, plan.layout, o.maxRows, o.relativeLoss > 0);
    plan.statistics = survey.statistics;
    programRows = survey.programRows;
    statisticSums = survey.statisticSums;
    programMeans = std::move(survey.programMeans);
  }
  ChunkSource source(readHere, selection, o.window, o.chunk, o.maxRows, o.openStreams);
  const DataLayout& layout = source.layout();  // opens the first stream
  if (plan.layout.empty()) plan.layout = layout;
  const size_t chunkBytes = static_cast<size_t>(((o.window - 1 + o.chunk) * layout.features() +
                                                 o.chunk * layout.labelWidth()) * static_cast<int64_t>(sizeof(float)));
  // Separate validation programs replace the held-out chunks unless
  // --validation asks for both.
  const double validationFraction =
      o.validationStreams.empty() || o.validationFractionGiven ? o.validationFraction : 0.0;
  BatchStreamOptions bo;
  bo.batch = localBatch;
  bo.shuffleChunks = shuffleChunks(o.shuffleBuffer, chunkBytes);
  bo.validationFraction = validationFraction;
  bo.validationChunks = o.validationChunks;
  bo.seed = o.seed;
  // Ranks that read their own streams of different sizes all take the
  // agreed steps: their files are read as often as that needs.
  bo.passes = o.maxSteps > 0 || o.maxInstructions > 0 || (plan.sharded && rereadable)
                  ? (rereadable ? INT64_MAX : 1)
                  : static_cast<int64_t>(std::ceil(epochs));
  BatchStream batches(source, bo);
  if (!o.validationStreams.empty()) {
    // The first --validation-chunks chunks of the validation programs, read
    // now (they must have the training streams' layout).
    std::vector<StreamInput> vin;
    for (const auto& v : o.validationStreams) vin.push_back({v, ""});
    LabelSelection same{plan.layout.targets, plan.layout.uarchs, {}, 0, plan.layout.featureColumns};
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
    if (plan.sharded) {  // every rank reads them; each scores its share
      const auto [first, last] = shareOf(static_cast<int64_t>(chunks.size()), o.rank, world);
      chunks = std::vector<Chunk>(std::make_move_iterator(chunks.begin() + first),
                                  std::make_move_iterator(chunks.begin() + last));
    }
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
    statisticSums = acc.sums();
    if (o.relativeLoss > 0) {  // a live stream's programs' mean times: from the same first fill
      programMeans = ProgramLabelMeans(readHere.size(), layout.labelWidth());
      for (const auto& c : batches.buffered()) programMeans.add(c);
      if (o.validationStreams.empty())
        for (const auto& c : batches.validation()) programMeans.add(c);
    }
    if (!o.quiet)
      std::fprintf(stderr, "pv-train: normalisation statistics from the first %lld rows (the shuffle buffer's first fill)\n",
                   static_cast<long long>(plan.statistics.rows));
  }
  if (plan.statistics.rows == 0) throw StageError(readHere[0].spec, "", "no rows to train on");
  if (o.relativeLoss > 0) {
    const auto& targets = plan.layout.targets;
    const auto time = std::find(targets.begin(), targets.end(), "commit");
    if (time == targets.end())
      throw runtime::UsageError("--relative-loss weighs programs by their time: it needs the commit target in --targets");
    plan.worker.programWeights =
        relativeLossWeights(programMeans, static_cast<int64_t>(plan.layout.uarchs.size()),
                            static_cast<int64_t>(targets.size()), time - targets.begin(), o.relativeLoss);
    if (!o.quiet) {
      std::vector<float> w = plan.worker.programWeights;
      std::sort(w.begin(), w.end());
      std::fprintf(stderr, "pv-train: relative loss (power %g): program weights from %.3g to %.3g, median %.3g\n",
                   o.relativeLoss, w.front(), w.back(), w[w.size() / 2]);
    }
  }

  // Steps: --max-steps, else --max-instructions, else the epochs over files
  // (ranks that read their own streams add up their chunks first).
  int64_t trainingChunkCount = 0;
  if (rereadable)
    for (size_t p = 0; p < programRows.size(); ++p)
      trainingChunkCount += trainingChunks(o.seed, static_cast<int32_t>(p), programRows[p], o.chunk,
                                           validationFraction);
  if (o.maxSteps > 0) {
    plan.totalSteps = o.maxSteps;
  } else if (o.maxInstructions > 0) {
    plan.totalSteps = (o.maxInstructions + o.batch * o.chunk - 1) / static_cast<uint64_t>(o.batch * o.chunk);
  } else if (rereadable && !plan.sharded) {
    plan.totalSteps =
        static_cast<uint64_t>(std::max(1.0, std::ceil(epochs * double(trainingChunkCount) / double(o.batch))));
  }
  if (!o.quiet)
    std::fprintf(stderr, "pv-train: %zu program%s, %zu microarchitectures x %zu targets, %s steps of %lld chunks, "
                 "a shuffle buffer of %zu chunks (%.0f MiB)\n",
                 all.size(), all.size() == 1 ? "" : "s", layout.uarchs.size(), layout.targets.size(),
                 plan.totalSteps ? std::to_string(plan.totalSteps).c_str()
                 : plan.sharded  ? "the ranks' agreed"
                                 : "until the stream ends:",
                 static_cast<long long>(o.batch), bo.shuffleChunks,
                 double(bo.shuffleChunks) * double(chunkBytes) / 1048576.0);
  // Inputs read a few at a time reach the buffer a few programs at a time:
  // the last steps of each pass then see only the last programs read (on
  // the 111 training workloads of suite v2, 8 at a time left the training
  // loss at 0.57 against 0.23 with all 111 open: docs/accuracy.md).
  if (!o.quiet && all.size() > static_cast<size_t>(o.openStreams))
    std::fprintf(stderr, "pv-train: note: %zu inputs are read %d at a time, so each batch mixes about %d program%s; "
                 "--open-streams %zu mixes them all (one message more per stream held)\n",
                 all.size(), o.openStreams, o.openStreams, o.openStreams == 1 ? "" : "s", all.size());

  plan.config = trainerConfig(o, plan.layout);
  RunIdentity& id = plan.identity;
  for (const auto& s : all) id.programs.push_back(s.name.empty() ? s.spec : s.name);
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
  id.relativeLoss = o.relativeLoss;
  id.validationPrograms = o.validationStreams;
  id.shuffleChunks = bo.shuffleChunks;
  id.validationChunks = bo.validationChunks;
  id.schedule = o.schedule;
  id.world = world;
  plan.epochs = epochs;
  plan.batch = o.batch;
  if (plan.sharded) {
    // What the ranks add up: the statistics' sums, each program's rows (in
    // the order of all streams; 0 where another rank reads it), this rank's
    // training chunks.
    plan.shardSums = statisticSums;
    std::vector<double> rows(all.size(), 0.0);
    for (size_t i = 0; i < programRows.size(); ++i) rows[readIndex[i]] = static_cast<double>(programRows[i]);
    plan.shardSums.insert(plan.shardSums.end(), rows.begin(), rows.end());
    plan.shardSums.push_back(static_cast<double>(trainingChunkCount));
    if (rereadable) id.programRows.assign(all.size(), 0);
  }
  plan.worker.window = o.window;
  plan.worker.chunk = o.chunk;
  plan.worker.statistics = plan.statistics;
  plan.worker.runKey = runKey(id, plan.config);
  plan.worker.checkpoint = o.checkpoint;
  plan.worker.totalSteps = plan.totalSteps;
  plan.worker.progress = o.progress;
  plan.worker.rowsPerRank = plan.sharded;
  // A checkpoint of another run is refused now, before the workers start
  // (a sharded run's key needs the other ranks' sums: its worker checks).
  if (!plan.sharded) checkpointStep(o.checkpoint, plan.worker.runKey);

  // A worker that dies closes its pipe: the next write must fail with EPIPE
  // (and name the worker), not kill this process.
  ::signal(SIGPIPE, SIG_IGN);
  // The workers: forked now, before this process has touched LibTorch.
  std::vector<int> ranks;
  if (multiHost) ranks.push_back(o.rank);
  else
    for (int r = 0; r < o.workers; ++r) ranks.push_back(r);
  if (!multiHost && world > 1) masterPort = runtime::freeTcpPort("127.0.0.1");
  std::vector<std::pair<int, int>> pipes;
  for (size_t i = 0; i < ranks.size(); ++i) pipes.push_back(workPipe());
  // The first local worker's answer: where the run starts and ends.
  int readyFds[2];
  if (::pipe2(readyFds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<runtime::Child> workers;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const int rank = ranks[i], fd = pipes[i].first;
    const int readyFd = i == 0 ? readyFds[1] : -1;
    workers.push_back(runtime::forkChild(
        [&, rank, fd, readyFd] {
          for (const auto& p : pipes) {  // only its own read end stays open
            ::close(p.second);
            if (p.first != fd) ::close(p.first);
          }
          ::close(readyFds[0]);
          if (readyFd < 0) ::close(readyFds[1]);
          try {
            return workerMain(o, plan, fd, readyFd, rank, world, masterHost, masterPort, glooAddress);
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
  ::close(readyFds[1]);
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
  // A rank that reads its own streams deals its worker whole (local) batches.
  d.world = plan.sharded ? 1 : world;
  d.localRanks = plan.sharded ? std::vector<int>{0} : ranks;
  d.schedule = o.schedule;
  d.validateEvery = o.validateEvery;
  d.checkpoints = !o.checkpoint.empty();
  d.checkpointEvery = o.checkpointEvery;
  d.checkpointSeconds = o.checkpointSeconds;
  d.check = checkWorkers;
  int status = 0;
  std::string failure;
  std::vector<std::string> programNames;
  for (const auto& s : all) programNames.push_back(programName(s));
  try {
    WorkerReady ready;
    const bool answered = readReady(readyFds[0], ready, checkWorkers);
    ::close(readyFds[0]);
    if (!answered) {
      workers[0].wait();
      throw WorkerGone(0, describeWorker(0));
    }
    d.startStep = ready.startStep;
    d.totalSteps = ready.totalSteps;
    deal(batches, programNames, d, writeEnds);
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
