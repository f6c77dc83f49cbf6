// The training loop of one worker.

#include "stages/train/training_run.h"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <limits>
#include <numbers>

#include "stages/core/stage_error.h"
#include "stages/train/checkpoint.h"

namespace pv::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Rank 0's tensors to every worker: the others contribute zeros to a sum.
void broadcastState(std::vector<NamedTensor>& state, bool source, GradientReducer& reducer) {
  for (auto& t : state) {
    if (!source) std::fill(t.values.begin(), t.values.end(), 0.0f);
    reducer.sum(t.values.data(), static_cast<int64_t>(t.values.size()));
  }
}

// A step count through a float sum (16 bits per float are exact).
uint64_t broadcastCount(uint64_t value, bool source, GradientReducer& reducer) {
  float parts[4];
  for (int i = 0; i < 4; ++i) parts[i] = source ? static_cast<float>((value >> (16 * i)) & 0xffff) : 0.0f;
  reducer.sum(parts, 4);
  uint64_t out = 0;
  for (int i = 0; i < 4; ++i) out |= static_cast<uint64_t>(parts[i]) << (16 * i);
  return out;
}

}  // namespace

std::string runKey(const TrainingSet& set, const TrainerConfig& config, const RunOptions& o, int world) {
  std::string s = fmt::format("arch {} F {} H {} L {} W {} K {} B {} epochs {} max {} lr {} final {} warm {} val {} "
                              "seed {} init {} decay {} clip {} world {}",
                              encode::archName(config.encoder.arch), config.encoder.features, config.encoder.hidden,
                              config.encoder.layers, o.window, o.chunk, o.batch, o.epochs, o.maxSteps,
                              o.learningRate, o.finalLearningRate, o.warmupSteps, o.validationFraction, o.seed,
                              config.seed, config.weightDecay, config.clipNorm, world);
  for (const auto& t : set.targetNames()) s += " t:" + t;
  for (float w : config.targetWeights) s += fmt::format(" w:{}", w);
  for (const auto& u : set.uarchNames()) s += " u:" + u;
  for (const auto& p : set.programs()) {
    s += fmt::format(" p:{}:{}", p.name, p.rows);
    s += fmt::format(":{:016x}", XXH3_64bits(p.labels.data(), p.labels.size() * sizeof(float)) ^
                                     XXH3_64bits(p.features.data(), p.features.size() * sizeof(float)));
  }
  return fmt::format("xxh3-64:{:016x}", XXH3_64bits(s.data(), s.size()));
}

RunResult runTraining(const TrainingSet& set, const TrainerConfig& config, const RunOptions& o,
                      const std::vector<double>& featureMean, const std::vector<double>& featureStd,
                      const std::vector<double>& targetScales, GradientReducer& reducer) {
  if (o.window < 1 || o.chunk < 1 || o.batch < 1) throw std::invalid_argument("window, chunk and batch must be >= 1");
  if (o.batch < reducer.world())
    throw std::invalid_argument(fmt::format("a batch of {} chunks cannot be shared by {} workers", o.batch,
                                            reducer.world()));
  const int rank = reducer.rank(), world = reducer.world();
  const bool lead = rank == 0;
  const ChunkPlan plan = planChunks(set, o.chunk, o.validationFraction, o.seed);
  if (plan.train.empty()) throw std::invalid_argument("no training chunks (is the validation fraction 1?)");
  const BatchAssembler assembler(set, o.window, o.chunk, featureMean, featureStd, targetScales);
  const int64_t stepsPerEpoch = (static_cast<int64_t>(plan.train.size()) + o.batch - 1) / o.batch;
  const uint64_t totalSteps =
      o.maxSteps > 0 ? static_cast<uint64_t>(o.maxSteps)
                     : static_cast<uint64_t>(std::max(1.0, std::ceil(o.epochs * static_cast<double>(stepsPerEpoch))));
  Trainer trainer(config);
  const std::string key = runKey(set, config, o, world);

  RunResult result;
  double elapsedBefore = 0, validation = std::numeric_limits<double>::quiet_NaN();
  // Resume: rank 0 reads the checkpoint and hands it to the others.
  {
    std::optional<Checkpoint> c;
    if (lead && !o.checkpoint.empty()) {
      c = loadCheckpoint(o.checkpoint);
      if (c && c->runKey != key)
        throw StageError(o.checkpoint, "",
                         "this checkpoint belongs to another training run (other data, model or options); "
                         "remove it or pass another --checkpoint to start afresh");
    }
    const uint64_t start = broadcastCount(c ? c->step : 0, lead, reducer);  // steps done
    if (start > 0) {
      std::vector<NamedTensor> state = lead ? c->tensors : trainer.state();
      broadcastState(state, lead, reducer);
      trainer.loadState(state, start);
      result.resumedFrom = start;
      if (lead) {
        elapsedBefore = c->elapsedSeconds;
        validation = c->validationLoss;
        std::fprintf(stderr, "%s: resuming from %s after step %llu of %llu\n", o.stageName.c_str(),
                     o.checkpoint.c_str(), static_cast<unsigned long long>(start),
                     static_cast<unsigned long long>(totalSteps));
      }
    }
  }

  auto validate = [&]() {
    double buf[2] = {0, 0};
    const int64_t n = static_cast<int64_t>(plan.validation.size());
    for (int64_t first = 0; first < n; first += o.batch) {
      const int64_t count = std::min<int64_t>(o.batch, n - first);
      const int64_t a = first + count * rank / world, b = first + count * (rank + 1) / world;
      auto [sum, rows] = trainer.lossSum(assembler.assemble(plan.validation.data() + a, b - a));
      buf[0] += sum;
      buf[1] += static_cast<double>(rows);
    }
    float f[2] = {static_cast<float>(buf[0]), static_cast<float>(buf[1])};
    reducer.sum(f, 2);
    return f[1] > 0 ? double(f[0]) / f[1] : std::numeric_limits<double>::quiet_NaN();
  };

  const auto started = Clock::now();
  auto lastPrint = started, lastCheckpoint = started;
  uint64_t rowsDone = 0;
  std::vector<ChunkRef> order;
  int64_t orderEpoch = -1;
  std::vector<double> losses;
  double lr = 0, lastLoss = 0;
  auto save = [&](uint64_t step) {
    if (!lead || o.checkpoint.empty()) return;
    Checkpoint c{key, step + 1, trainer.state(), validation, elapsedBefore + seconds(started, Clock::now())};
    saveCheckpoint(c, o.checkpoint);
    lastCheckpoint = Clock::now();
  };
  auto print = [&](uint64_t step, double loss, bool final) {
    if (!lead || !o.progress) return;
    const double t = seconds(started, Clock::now());
    std::fprintf(stderr, "%s: step %llu/%llu (epoch %.2f) loss %.4f val %.4f lr %.2e %s samples/s%s\n",
                 o.stageName.c_str(), static_cast<unsigned long long>(step + 1),
                 static_cast<unsigned long long>(totalSteps), double(step + 1) / stepsPerEpoch, loss, validation,
                 lr, fmt::format("{:.0f}", t > 0 ? rowsDone / t : 0.0).c_str(), final ? " (done)" : "");
  };

  const uint64_t first = trainer.steps();
  for (uint64_t s = first; s < totalSteps; ++s) {
    const int64_t epoch = static_cast<int64_t>(s / stepsPerEpoch);
    const int64_t index = static_cast<int64_t>(s % stepsPerEpoch);
    if (epoch != orderEpoch) {
      order = epochOrder(plan.train, o.seed, static_cast<uint64_t>(epoch));
      orderEpoch = epoch;
    }
    const int64_t begin = index * o.batch;
    const int64_t count = std::min<int64_t>(o.batch, static_cast<int64_t>(order.size()) - begin);
    int64_t globalRows = 0;
    for (int64_t i = 0; i < count; ++i) globalRows += assembler.rowsOf(order[begin + i]);
    const int64_t a = begin + count * rank / world, b = begin + count * (rank + 1) / world;
    const Batch batch = assembler.assemble(order.data() + a, b - a);
    // Linear warm-up, then cosine decay to finalLearningRate.
    const double progress = double(s) / double(std::max<uint64_t>(1, totalSteps - 1));
    const double cosine = o.finalLearningRate + (1 - o.finalLearningRate) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
    lr = o.learningRate * cosine * std::min(1.0, double(s + 1) / double(std::max<int64_t>(1, o.warmupSteps)));
    const StepResult r = trainer.step(batch, globalRows, lr, &reducer);
    float loss = static_cast<float>(r.loss);
    reducer.sum(&loss, 1);
    if (!std::isfinite(loss))
      throw StageError("training", fmt::format("step {}", s),
                       "the loss is not a number any more (lower --learning-rate or set --clip-norm)");
    rowsDone += static_cast<uint64_t>(globalRows);
    losses.push_back(loss);
    lastLoss = loss;
    if (o.onStep) o.onStep(s, loss);
    if (index == stepsPerEpoch - 1 && s + 1 < totalSteps) validation = validate();
    const auto now = Clock::now();
    if ((s + 1) % static_cast<uint64_t>(std::max<int64_t>(1, o.checkpointEvery)) == 0 ||
        seconds(lastCheckpoint, now) >= o.checkpointSeconds)
      save(s);
    if (seconds(lastPrint, now) >= 5) {
      print(s, loss, false);
      lastPrint = now;
    }
  }
  validation = validate();
  if (totalSteps > first) {
    save(totalSteps - 1);
    print(totalSteps - 1, lastLoss, true);
  }

  result.steps = trainer.steps();
  result.epochs = double(result.steps) / double(stepsPerEpoch);
  auto meanOf = [&](size_t from, size_t to) {
    double s = 0;
    for (size_t i = from; i < to; ++i) s += losses[i];
    return to > from ? s / double(to - from) : 0.0;
  };
  const size_t n = losses.size(), w = std::min<size_t>(10, n);
  result.firstLoss = meanOf(0, w);
  result.lastLoss = meanOf(n - w, n);
  result.validationLoss = validation;
  result.seconds = seconds(started, Clock::now());
  result.samplesPerSecond = result.seconds > 0 ? double(rowsDone) / result.seconds : 0;
  result.encoder = trainer.encoderParameters();
  result.uarchTable = trainer.uarchTable();
  const size_t nt = set.targetNames().size(), h = static_cast<size_t>(config.encoder.hidden);
  for (size_t i = 0; i < result.uarchTable.size(); ++i)
    result.uarchTable[i] = static_cast<float>(result.uarchTable[i] * targetScales[(i / h) % nt]);
  return result;
}

}  // namespace pv::train
