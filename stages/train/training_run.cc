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

std::string runKey(const RunIdentity& r, const TrainerConfig& config) {
  std::string s = fmt::format(
      "arch {} F {} H {} L {} W {} K {} B {} epochs {} steps {} lr {} final {} warm {} val {} valn {} shuffle {} "
      "seed {} init {} decay {} clip {} world {} nonneg {}",
      encode::archName(config.encoder.arch), config.encoder.features, config.encoder.hidden, config.encoder.layers,
      r.window, r.chunk, r.batch, r.epochs, r.totalSteps, r.schedule.learningRate, r.schedule.finalLearningRate,
      r.schedule.warmupSteps, r.validationFraction, r.validationChunks, r.shuffleChunks, r.dataSeed, config.seed,
      config.weightDecay, config.clipNorm, r.world, config.nonNegativeTable);
  // Appended only when set, so that the checkpoints of runs without it resume.
  if (config.chunkSumWeight > 0) s += fmt::format(" chunksum {}", config.chunkSumWeight);
  if (config.dropout > 0) s += fmt::format(" dropout {}", config.dropout);
  if (r.relativeLoss > 0) s += fmt::format(" relative {}", r.relativeLoss);
  for (const auto& v : r.validationPrograms) s += " v:" + v;
  for (const auto& t : r.layout.targets) s += " t:" + t;
  for (const auto& c : r.layout.featureColumns) s += " f:" + c;
  for (float w : config.targetWeights) s += fmt::format(" w:{}", w);
  for (const auto& u : r.layout.uarchs) s += " u:" + u;
  for (size_t i = 0; i < r.programs.size(); ++i)
    s += fmt::format(" p:{}:{}", r.programs[i], i < r.programRows.size() ? r.programRows[i] : -1);
  // The statistics stand for the data's contents (exact sums over every row
  // of re-readable inputs).
  for (const auto* v : {&r.statistics.mean, &r.statistics.stddev, &r.statistics.targetScales})
    for (double x : *v) s += fmt::format(" {:a}", x);
  return fmt::format("xxh3-64:{:016x}", XXH3_64bits(s.data(), s.size()));
}

uint64_t checkpointStep(const std::string& checkpoint, const std::string& key) {
  if (checkpoint.empty()) return 0;
  const std::optional<Checkpoint> c = loadCheckpoint(checkpoint);
  if (!c) return 0;
  if (c->runKey != key)
    throw StageError(checkpoint, "",
                     "this checkpoint belongs to another training run (other data, model or options); "
                     "remove it or pass another --checkpoint to start afresh");
  return c->step;
}

RunResult runWorker(int workFd, const TrainerConfig& config, const WorkerOptions& o, GradientReducer& reducer) {
  const int rank = reducer.rank(), world = reducer.world();
  const bool lead = rank == 0;
  BatchAssembler assembler(o.window, o.chunk, config.encoder.features, config.targets, config.uarchs, o.statistics);
  assembler.setProgramWeights(o.programWeights);
  Trainer trainer(config);

  RunResult result;
  double elapsedBefore = 0, validation = std::numeric_limits<double>::quiet_NaN();
  // Resume: rank 0 reads the checkpoint and hands it to the others.
  uint64_t start = 0;
  {
    std::optional<Checkpoint> c;
    if (lead && !o.checkpoint.empty()) {
      c = loadCheckpoint(o.checkpoint);
      if (c && c->runKey != o.runKey) checkpointStep(o.checkpoint, o.runKey);  // throws the message
    }
    start = broadcastCount(c ? c->step : 0, lead, reducer);  // steps done
    if (start > 0) {
      std::vector<NamedTensor> state = lead ? c->tensors : trainer.state();
      broadcastState(state, lead, reducer);
      trainer.loadState(state, start);
      result.resumedFrom = start;
      if (lead) {
        elapsedBefore = c->elapsedSeconds;
        validation = c->validationLoss;
        std::fprintf(stderr, "%s: resuming from %s after step %llu\n", o.stageName.c_str(), o.checkpoint.c_str(),
                     static_cast<unsigned long long>(start));
      }
    }
  }

  if (o.onStart) o.onStart(start);

  // The clock starts with the first batch: the rate is the training's, not
  // that of the reading process's first fill of its shuffle buffer.
  auto started = Clock::now();
  bool first = true;
  auto lastPrint = started;
  uint64_t rowsDone = 0;
  std::vector<double> losses;
  double lr = 0, lastLoss = 0;
  auto print = [&](uint64_t step, double loss, bool final) {
    if (!lead || !o.progress) return;
    const double t = seconds(started, Clock::now());
    const std::string of = o.totalSteps ? fmt::format("/{}", o.totalSteps) : "";
    // The validation loss once there is one (--validate-every, or the end).
    const std::string val = std::isnan(validation) ? "" : fmt::format(" val {:.4f}", validation);
    std::fprintf(stderr, "%s: step %llu%s loss %.4f%s lr %.2e %.0f samples/s%s\n", o.stageName.c_str(),
                 static_cast<unsigned long long>(step), of.c_str(), loss, val.c_str(), lr,
                 t > 0 ? rowsDone / t : 0.0, final ? " (done)" : "");
  };

  WorkHeader h;
  std::vector<Chunk> chunks;
  std::string text;
  bool ended = false;
  while (readWork(workFd, h, chunks, text)) {
    const int64_t count = static_cast<int64_t>(chunks.size());
    if (h.kind == WorkKind::kStep) {
      if (first) {
        started = lastPrint = Clock::now();
        first = false;
      }
      if (h.step != trainer.steps())
        throw std::runtime_error(fmt::format("work for step {} reached a worker at step {}", h.step, trainer.steps()));
      lr = h.learningRate;
      if (o.rowsPerRank) {
        double rows = static_cast<double>(h.globalRows);
        reducer.sumDoubles(&rows, 1);
        h.globalRows = static_cast<int64_t>(rows);
      }
      const StepResult r = trainer.step(assembler.assemble(chunks.data(), count), h.globalRows, lr, &reducer);
      float loss = static_cast<float>(r.loss);
      reducer.sum(&loss, 1);
      if (!std::isfinite(loss))
        throw StageError("training", fmt::format("step {}", h.step),
                         "the loss is not a number any more (lower --learning-rate or set --clip-norm)");
      rowsDone += static_cast<uint64_t>(h.globalRows);
      losses.push_back(loss);
      lastLoss = loss;
      if (o.onStep) o.onStep(h.step, loss);
      const auto now = Clock::now();
      if (seconds(lastPrint, now) >= 5) {
        print(h.step + 1, loss, false);
        lastPrint = now;
      }
    } else if (h.kind == WorkKind::kValidate) {
      double sum = 0, rows = 0;
      for (int64_t first = 0; first < count; first += 64) {
        const int64_t n = std::min<int64_t>(64, count - first);
        auto [s, r] = trainer.lossSum(assembler.assemble(chunks.data() + first, n, /*weighted=*/false));
        sum += s;
        rows += static_cast<double>(r);
      }
      float f[2] = {static_cast<float>(sum), static_cast<float>(rows)};
      reducer.sum(f, 2);
      validation = f[1] > 0 ? double(f[0]) / f[1] : std::numeric_limits<double>::quiet_NaN();
    } else if (h.kind == WorkKind::kCheckpoint) {
      if (lead && !o.checkpoint.empty()) {
        if (h.step != trainer.steps())
          throw std::runtime_error(fmt::format("a checkpoint of step {} asked at step {}", h.step, trainer.steps()));
        Checkpoint c{o.runKey, h.step, trainer.state(), validation, elapsedBefore + seconds(started, Clock::now())};
        saveCheckpoint(c, o.checkpoint);
      }
    } else if (h.kind == WorkKind::kEnd) {
      result.record = RunRecord::parse(text);
      if (o.rowsPerRank) {
        double totals[2] = {static_cast<double>(result.record.instructions), result.record.epochs};
        reducer.sumDoubles(totals, 2);
        result.record.instructions = static_cast<uint64_t>(totals[0]);
        result.record.epochs = totals[1] / world;  // each rank's passes over its own streams, averaged
      }
      ended = true;
      break;
    } else {
      throw std::runtime_error("unknown work record");
    }
  }
  if (!ended) throw std::runtime_error("the reading process ended without finishing the run");
  if (!losses.empty()) print(trainer.steps(), lastLoss, true);

  result.steps = trainer.steps();
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
  const size_t nt = static_cast<size_t>(config.targets), hidden = static_cast<size_t>(config.encoder.hidden);
  for (size_t i = 0; i < result.uarchTable.size(); ++i)
    result.uarchTable[i] = static_cast<float>(result.uarchTable[i] * o.statistics.targetScales[(i / hidden) % nt]);
  return result;
}

}  // namespace pv::train
