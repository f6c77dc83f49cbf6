// Trainer: the loss falls on a learnable problem; N Gloo workers take the
// step one worker takes on the concatenated batch; a state round trip goes on
// bit for bit; a resumed run ends with an uninterrupted run's weights.

#include "stages/train/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <filesystem>
#include <thread>
#include <tuple>

#include <unistd.h>

#include "stages/train/gloo_reducer.h"
#include "stages/train/toy_streams.h"
#include "stages/train/training_run.h"
#include "stages/train/work_channel.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/free_port.h"
#include "tests/composition/process.h"

namespace pv::train {
namespace {

using testing::loads;
using testing::writeToyStream;

// Programs of the learnable toy problem (toy_streams.h) as stream files.
struct ToyData {
  pv::testing::ScratchDir dir;
  std::vector<StreamInput> inputs;
  DataLayout layout;
  DataSurvey survey;
  ToyData(int programs, int64_t rows, int uarchs) {
    for (int p = 0; p < programs; ++p) {
      const std::string path = dir.path() + "/p" + std::to_string(p) + ".pvs";
      writeToyStream(path, loads(rows, uarchs, 12345 + 77 * p));
      inputs.push_back({path, ""});
    }
    survey = surveyInputs(inputs, {}, layout);
  }
  // Every chunk of every program, in order.
  std::vector<Chunk> chunks(int64_t window, int64_t chunk) const {
    ChunkSource source(inputs, {}, window, chunk, 0, 1);
    std::vector<Chunk> out;
    Chunk c;
    while (source.next(c)) out.push_back(c);
    return out;
  }
  BatchAssembler assembler(int64_t window, int64_t chunk) const {
    return BatchAssembler(window, chunk, layout.features(), static_cast<int64_t>(layout.targets.size()),
                          static_cast<int64_t>(layout.uarchs.size()), survey.statistics);
  }
};

TrainerConfig toyConfig(const DataLayout& layout) {
  TrainerConfig c;
  c.encoder.arch = encode::Arch::kLstm;
  c.encoder.features = layout.features();
  c.encoder.hidden = 8;
  c.encoder.layers = 1;
  c.encoder.window = 4;
  c.uarchs = static_cast<int64_t>(layout.uarchs.size());
  c.targets = static_cast<int64_t>(layout.targets.size());
  c.seed = 3;
  return c;
}

struct ToyRun {
  int64_t window = 4, chunk = 16;
  double epochs = 1;
  BatchStreamOptions batches;
  Schedule schedule;
  std::string checkpoint;
  uint64_t checkpointEvery = 200;
  std::function<void(uint64_t, double)> onStep;
  bool nonNegative = false;  // TrainerConfig::nonNegativeTable
  double dropout = 0;        // TrainerConfig::dropout
};

// A whole run in this process: the dealer in a thread, one worker here,
// joined by a real work pipe.
RunResult trainInProcess(const ToyData& data, const ToyRun& run) {
  TrainerConfig config = toyConfig(data.layout);
  config.nonNegativeTable = run.nonNegative;
  config.dropout = run.dropout;
  int64_t chunks = 0;
  for (size_t p = 0; p < data.inputs.size(); ++p)
    chunks += trainingChunks(run.batches.seed, static_cast<int32_t>(p), data.survey.programRows[p], run.chunk,
                             run.batches.validationFraction);
  BatchStreamOptions bo = run.batches;
  bo.passes = static_cast<int64_t>(std::ceil(run.epochs));
  DealOptions d;
  d.localRanks = {0};
  d.totalSteps = static_cast<uint64_t>(std::ceil(run.epochs * double(chunks) / double(bo.batch)));
  d.schedule = run.schedule;
  d.checkpoints = !run.checkpoint.empty();
  d.checkpointEvery = run.checkpointEvery;
  d.checkpointSeconds = 1e9;
  WorkerOptions w;
  w.window = run.window;
  w.chunk = run.chunk;
  w.statistics = data.survey.statistics;
  w.checkpoint = run.checkpoint;
  w.totalSteps = d.totalSteps;
  w.onStep = run.onStep;
  RunIdentity id;
  id.programRows = data.survey.programRows;
  id.layout = data.layout;
  id.statistics = data.survey.statistics;
  id.window = run.window;
  id.chunk = run.chunk;
  id.batch = bo.batch;
  id.totalSteps = d.totalSteps;
  id.schedule = run.schedule;
  w.runKey = runKey(id, config);
  d.startStep = checkpointStep(run.checkpoint, w.runKey);
  ChunkSource source(data.inputs, {}, run.window, run.chunk);
  BatchStream stream(source, bo);
  auto [readEnd, writeEnd] = workPipe();
  std::exception_ptr dealError;
  std::thread dealer([&, fd = writeEnd] {
    try {
      deal(stream, source.programNames(), d, {fd});
    } catch (...) {
      dealError = std::current_exception();
    }
    ::close(fd);
  });
  SingleWorker one;
  RunResult result;
  try {
    result = runWorker(readEnd, config, w, one);
  } catch (...) {
    ::close(readEnd);  // the dealer's next write fails
    dealer.join();
    throw;
  }
  ::close(readEnd);
  dealer.join();
  if (dealError) std::rethrow_exception(dealError);
  return result;
}

// 80 epochs of the toy problem with a tenth of its chunks held out.
ToyRun learningRun() {
  ToyRun run;
  run.epochs = 80;
  run.batches.batch = 16;
  run.batches.validationFraction = 0.1;
  run.schedule.learningRate = 1e-2;
  run.schedule.warmupSteps = 1;
  return run;
}

TEST(Trainer, LossFalls) {
  const ToyData data(2, 512, 2);
  const ToyRun run = learningRun();
  const RunResult r = trainInProcess(data, run);
  std::printf("toy problem: loss %.4f -> %.4f, validation %.4f after %llu steps\n", r.firstLoss, r.lastLoss,
              r.validationLoss, static_cast<unsigned long long>(r.steps));
  EXPECT_LT(r.lastLoss, 0.3 * r.firstLoss);
  EXPECT_LT(r.validationLoss, 0.3 * r.firstLoss);
  EXPECT_NEAR(r.record.epochs, run.epochs, 0.5);
  EXPECT_EQ(r.record.programs, (std::vector<std::string>{"p0", "p1"}));
}

// M >= 0 (projected Adam) still learns the toy problem, and the bound acts:
// the unconstrained run ends with negative entries in M, this one with none.
TEST(Trainer, ANonNegativeTableStaysNonNegativeAndLearns) {
  const ToyData data(2, 512, 2);
  ToyRun run = learningRun();
  const RunResult signedRun = trainInProcess(data, run);
  run.nonNegative = true;
  const RunResult r = trainInProcess(data, run);
  std::printf("toy problem, M >= 0: loss %.4f -> %.4f, validation %.4f (unconstrained: %.4f)\n", r.firstLoss,
              r.lastLoss, r.validationLoss, signedRun.validationLoss);
  EXPECT_LT(*std::min_element(signedRun.uarchTable.begin(), signedRun.uarchTable.end()), 0.0f);
  EXPECT_GE(*std::min_element(r.uarchTable.begin(), r.uarchTable.end()), 0.0f);
  EXPECT_LT(r.lastLoss, 0.3 * r.firstLoss);
  EXPECT_LT(r.validationLoss, 0.3 * r.firstLoss);
}

// perfvec's backward pass through time gives autograd's gradients (two
// layers, a short last chunk, zero padding, unequal target weights, with and
// without the chunk-sum term and program weights).
TEST(Trainer, OwnLstmBackwardPassEqualsAutograd) {
  const ToyData data(2, 300, 3);
  const BatchAssembler a = data.assembler(6, 16);
  std::vector<Chunk> chunks = data.chunks(6, 16);
  std::reverse(chunks.begin(), chunks.end());  // the short last chunks first
  const Batch unweighted = a.assemble(chunks.data(), 12);
  Batch weighted = unweighted;  // program weights (--relative-loss) on every sequence and uarch
  for (int64_t s = 0; s < weighted.sequences; ++s)
    for (int u = 0; u < 3; ++u) weighted.weights.push_back(0.25f + 0.5f * static_cast<float>((s * 3 + u) % 5));
  for (auto [layers, chunkSum, programWeights, dropout] :
       {std::tuple{1, 0.0, false, 0.0}, {2, 0.0, false, 0.0}, {1, 2.5, false, 0.0}, {2, 2.5, false, 0.0},
        {2, 0.0, true, 0.0}, {2, 2.5, true, 0.0}, {1, 0.0, false, 0.3}, {3, 2.5, true, 0.3}}) {
    SCOPED_TRACE(::testing::Message() << layers << " layer(s), chunk-sum weight " << chunkSum << ", program weights "
                                      << programWeights << ", dropout " << dropout);
    const Batch& batch = programWeights ? weighted : unweighted;
    TrainerConfig config = toyConfig(data.layout);
    config.encoder.layers = layers;
    config.encoder.window = 6;
    config.targetWeights = {3.0f, 1.0f};
    config.chunkSumWeight = chunkSum;
    config.dropout = dropout;
    TrainerConfig reference = config;
    reference.autograd = true;
    Trainer own(config), autograd(reference);
    const auto g = own.gradients(batch, 150), r = autograd.gradients(batch, 150);
    ASSERT_EQ(g.size(), r.size());
    double worst = 0, largest = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      ASSERT_EQ(g[i].name, r[i].name);
      ASSERT_EQ(g[i].values.size(), r[i].values.size()) << g[i].name;
      for (size_t k = 0; k < g[i].values.size(); ++k) {
        worst = std::max(worst, double(std::fabs(g[i].values[k] - r[i].values[k])));
        largest = std::max(largest, double(std::fabs(r[i].values[k])));
      }
    }
    std::printf("%d layer(s), chunk-sum weight %.1f, program weights %s, dropout %.1f: own backward vs autograd: "
                "largest gradient difference %.3g (largest gradient %.3g)\n",
                layers, chunkSum, programWeights ? "on" : "off", dropout, worst, largest);
    EXPECT_GT(largest, 1e-3);
    EXPECT_LT(worst, 1e-5 * largest);
    EXPECT_NEAR(own.lossSum(batch).first, autograd.lossSum(batch).first, 1e-5 * autograd.lossSum(batch).first);
  }
}

// Program weights (--relative-loss) scale each sequence's share of the loss
// on each microarchitecture: weights of 1 are no weights, weights of c on
// every sequence multiply the loss by c, and on both paths alike.
TEST(Trainer, ProgramWeightsScaleEachSequencesLoss) {
  const ToyData data(2, 300, 3);
  const BatchAssembler a = data.assembler(6, 16);
  std::vector<Chunk> chunks = data.chunks(6, 16);
  const Batch plain = a.assemble(chunks.data(), 12);
  auto withWeights = [&](auto weightOf) {
    Batch b = plain;
    for (int64_t s = 0; s < b.sequences; ++s)
      for (int u = 0; u < 3; ++u) b.weights.push_back(weightOf(s, u));
    return b;
  };
  const Batch ones = withWeights([](int64_t, int) { return 1.0f; });
  const Batch threes = withWeights([](int64_t, int) { return 3.0f; });
  // Sequence 0 alone on uarch 1: the rest weigh nothing.
  const Batch one = withWeights([](int64_t s, int u) { return s == 0 && u == 1 ? 1.0f : 0.0f; });
  for (bool autograd : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "autograd " << autograd);
    TrainerConfig config = toyConfig(data.layout);
    config.encoder.window = 6;
    config.autograd = autograd;
    config.chunkSumWeight = 1.0;
    Trainer t(config);
    const double base = t.lossSum(plain).first;
    EXPECT_NEAR(t.lossSum(ones).first, base, 1e-6 * base);
    EXPECT_NEAR(t.lossSum(threes).first, 3 * base, 3e-6 * base);
    const double part = t.lossSum(one).first;
    EXPECT_GT(part, 0.0);
    EXPECT_LT(part, 0.5 * base);
    Batch wrong = plain;
    wrong.weights.assign(5, 1.0f);
    EXPECT_THROW(t.lossSum(wrong), std::invalid_argument);
  }
}

// The chunk-sum term is linear in its weight and adds (sum of a chunk's
// errors)^2 / its rows: on the same weights, weight 2 adds twice what weight
// 1 adds, and more than nothing (a fresh model's errors do not cancel).
TEST(Trainer, ChunkSumTermIsLinearInItsWeight) {
  const ToyData data(2, 300, 3);
  const BatchAssembler a = data.assembler(6, 16);
  std::vector<Chunk> chunks = data.chunks(6, 16);
  std::reverse(chunks.begin(), chunks.end());
  const Batch batch = a.assemble(chunks.data(), 12);
  for (bool autograd : {false, true}) {
    std::vector<double> sums;
    for (double w : {0.0, 1.0, 2.0}) {
      TrainerConfig config = toyConfig(data.layout);
      config.encoder.window = 6;
      config.autograd = autograd;
      config.chunkSumWeight = w;
      sums.push_back(Trainer(config).lossSum(batch).first);
    }
    const double added = sums[1] - sums[0];
    EXPECT_GT(added, 1e-3 * sums[0]) << "autograd " << autograd;
    EXPECT_NEAR(sums[2] - sums[0], 2 * added, 1e-4 * sums[2]) << "autograd " << autograd;
  }
}

// Dropout acts on training steps only: the validation loss of the same
// weights is the same with and without it, the gradients are not; the masks
// follow from (seed, step), so a second trainer draws the same ones; and a
// run with dropout 0.2 still learns the toy problem.
TEST(Trainer, DropoutActsOnTrainingStepsOnlyAndReproducibly) {
  const ToyData data(2, 300, 3);
  const BatchAssembler a = data.assembler(6, 16);
  std::vector<Chunk> chunks = data.chunks(6, 16);
  const Batch batch = a.assemble(chunks.data(), 12);
  for (bool autograd : {false, true}) {
    SCOPED_TRACE(::testing::Message() << "autograd " << autograd);
    TrainerConfig plain = toyConfig(data.layout);
    plain.encoder.layers = 2;
    plain.encoder.window = 6;
    plain.autograd = autograd;
    TrainerConfig dropped = plain;
    dropped.dropout = 0.5;
    Trainer without(plain), with(dropped), again(dropped);
    EXPECT_EQ(without.lossSum(batch).first, with.lossSum(batch).first);
    const auto g0 = without.gradients(batch, 150), g1 = with.gradients(batch, 150), g2 = again.gradients(batch, 150);
    double changed = 0, norm = 0;
    for (size_t i = 0; i < g0.size(); ++i) {
      EXPECT_EQ(g1[i].values, g2[i].values) << g1[i].name;
      for (size_t k = 0; k < g0[i].values.size(); ++k) {
        changed += std::fabs(g1[i].values[k] - g0[i].values[k]);
        norm += std::fabs(g0[i].values[k]);
      }
    }
    EXPECT_GT(changed, 0.1 * norm);
  }
  EXPECT_THROW(
      [&] {
        TrainerConfig c = toyConfig(data.layout);
        c.dropout = 0.95;
        Trainer t(c);
      }(),
      std::invalid_argument);

  ToyData learn(2, 512, 2);
  ToyRun run = learningRun();
  run.dropout = 0.2;
  const RunResult r = trainInProcess(learn, run);
  std::printf("toy problem with dropout 0.2: loss %.4f -> %.4f, validation %.4f\n", r.firstLoss, r.lastLoss,
              r.validationLoss);
  EXPECT_LT(r.lastLoss, 0.5 * r.firstLoss);
  EXPECT_LT(r.validationLoss, 0.3 * r.firstLoss);
}

TEST(Trainer, StateRoundTripContinuesBitForBit) {
  const ToyData data(1, 256, 1);
  const BatchAssembler a = data.assembler(4, 16);
  const std::vector<Chunk> chunks = data.chunks(4, 16);
  const Batch b1 = a.assemble(chunks.data(), 8), b2 = a.assemble(chunks.data() + 8, 8);
  Trainer x(toyConfig(data.layout)), y(toyConfig(data.layout));
  x.step(b1, b1.validRows(), 1e-2, nullptr);
  y.loadState(x.state(), x.steps());
  x.step(b2, b2.validRows(), 1e-2, nullptr);
  y.step(b2, b2.validRows(), 1e-2, nullptr);
  const auto px = x.state(), py = y.state();
  ASSERT_EQ(px.size(), py.size());
  for (size_t i = 0; i < px.size(); ++i) EXPECT_EQ(px[i].values, py[i].values) << px[i].name;
}

// Device-neutral code: a step on CUDA (by autograd there) is the CPU step.
// It runs only where LibTorch has CUDA (Debian's has not): elsewhere a CUDA
// device is refused with the count.
TEST(Trainer, CudaStepMatchesTheCpuStep) {
  const ToyData data(2, 300, 3);
  TrainerConfig onCuda = toyConfig(data.layout);
  onCuda.device = "cuda:0";
  if (cudaDeviceCount() == 0) {
    try {
      Trainer refused(onCuda);
      FAIL() << "a CUDA device was accepted without CUDA";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("has 0 CUDA devices"), std::string::npos) << e.what();
    }
    TrainerConfig odd = toyConfig(data.layout);
    odd.device = "tpu";
    EXPECT_THROW(Trainer t(odd), std::invalid_argument);
    GTEST_SKIP() << "no CUDA device: this LibTorch is CPU-only";
  }
  const BatchAssembler a = data.assembler(4, 16);
  const std::vector<Chunk> chunks = data.chunks(4, 16);
  const int64_t n = std::min<int64_t>(8, static_cast<int64_t>(chunks.size()));
  int64_t rows = 0;
  for (int64_t i = 0; i < n; ++i) rows += chunks[i].rows;
  const Batch batch = a.assemble(chunks.data(), n);
  Trainer cpu(toyConfig(data.layout)), cuda(onCuda);
  for (int s = 0; s < 3; ++s) {
    const StepResult x = cpu.step(batch, rows, 5e-2, nullptr), y = cuda.step(batch, rows, 5e-2, nullptr);
    EXPECT_NEAR(x.loss, y.loss, 1e-5 * std::max(1.0, std::fabs(x.loss))) << "step " << s;
  }
  const auto expected = cpu.state(), got = cuda.state();
  ASSERT_EQ(expected.size(), got.size());
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    for (size_t k = 0; k < expected[i].values.size(); ++k)
      worst = std::max(worst, double(std::fabs(expected[i].values[k] - got[i].values[k])));
  std::printf("3 steps on cuda:0 vs the CPU: largest state difference %.3g\n", worst);
  EXPECT_LT(worst, 1e-4);
}

// Runs `body(rank, reducer)` on two threads joined by c10d Gloo (a real
// TCPStore and ProcessGroupGloo on a free local port); true when both
// ended without an exception (the failures are reported).
::testing::AssertionResult onTwoGlooRanks(const std::function<void(int, GradientReducer&)>& body) {
  const int port = runtime::freeTcpPort("127.0.0.1");
  std::vector<std::string> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      try {
        GlooOptions g;
        g.rank = r;
        g.world = 2;
        g.masterPort = port;
        g.timeout = std::chrono::seconds(60);
        auto reducer = connectGloo(g);
        body(r, *reducer);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  if (errors[0].empty() && errors[1].empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rank 0: '" << errors[0] << "', rank 1: '" << errors[1] << "'";
}

// Two workers joined by c10d Gloo (real TCPStore and ProcessGroupGloo, one
// thread each) end one synchronous step with the weights of one worker that
// took the step on the concatenated batch.
TEST(Trainer, TwoGlooWorkersEqualOneWorkerOnTheConcatenatedBatch) {
  const ToyData data(2, 300, 3);
  const BatchAssembler a = data.assembler(4, 16);
  std::vector<Chunk> order = data.chunks(4, 16);
  std::reverse(order.begin(), order.end());  // the last, shorter chunks among them
  const int64_t n = 10;  // chunks in the global batch
  int64_t rows = 0;
  for (int64_t i = 0; i < n; ++i) rows += order[i].rows;
  const Batch all = a.assemble(order.data(), n);

  Trainer single(toyConfig(data.layout));
  single.step(all, rows, 5e-2, nullptr);

  std::vector<std::vector<NamedTensor>> states(2);
  ASSERT_TRUE(onTwoGlooRanks([&](int r, GradientReducer& reducer) {
    Trainer t(toyConfig(data.layout));
    const auto [from, to] = shareOf(n, r, 2);
    t.step(a.assemble(order.data() + from, to - from), rows, 5e-2, &reducer);
    states[r] = t.state();
  }));
  const auto expected = single.state();
  double worst = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].name.rfind("param/", 0) != 0) continue;
    for (int r = 0; r < 2; ++r) {
      ASSERT_EQ(states[r][i].values.size(), expected[i].values.size());
      for (size_t k = 0; k < expected[i].values.size(); ++k)
        worst = std::max(worst, double(std::fabs(states[r][i].values[k] - expected[i].values[k])));
    }
    // Both workers hold identical weights.
    EXPECT_EQ(states[0][i].values, states[1][i].values) << expected[i].name;
  }
  std::printf("two Gloo workers vs one worker on the concatenated batch: largest weight difference %.3g\n", worst);
  EXPECT_LT(worst, 1e-5);
  // The step moved the weights (so the comparison is not vacuous).
  Trainer untouched(toyConfig(data.layout));
  const auto before = untouched.state();
  double moved = 0;
  for (size_t i = 0; i < before.size(); ++i)
    for (size_t k = 0; k < before[i].values.size(); ++k)
      moved = std::max(moved, double(std::fabs(before[i].values[k] - expected[i].values[k])));
  EXPECT_GT(moved, 1e-3);
}

// Ranks that read their own streams deal their workers whole local batches
// with local row counts (WorkerOptions::rowsPerRank): summed across the
// ranks, the steps are those of one worker given the concatenated batches,
// and the end record's instructions are the ranks' total.
TEST(TrainingRun, RanksCountingTheirOwnRowsTakeTheStepsOfOneWorker) {
  const ToyData data(2, 300, 3);
  const TrainerConfig config = toyConfig(data.layout);
  const std::vector<Chunk> order = data.chunks(4, 16);
  const int64_t n = 8, steps = static_cast<int64_t>(order.size()) / n;
  ASSERT_GE(steps, 3);
  WorkerOptions w;
  w.window = 4;
  w.chunk = 16;
  w.statistics = data.survey.statistics;
  w.totalSteps = static_cast<uint64_t>(steps);
  // Writes the records of chunks [from, to) of every step, with their rows,
  // and an end record of `instructions`.
  auto dealRange = [&](int fd, int64_t from, int64_t to, uint64_t instructions, double epochs) {
    for (int64_t s = 0; s < steps; ++s) {
      WorkHeader h;
      h.kind = WorkKind::kStep;
      h.step = static_cast<uint64_t>(s);
      h.learningRate = 2e-2;
      h.chunks = to - from;
      h.globalRows = 0;
      for (int64_t i = from; i < to; ++i) h.globalRows += order[s * n + i].rows;
      writeWork(fd, h, order.data() + s * n + from, "");
    }
    RunRecord record;
    record.instructions = instructions;
    record.epochs = epochs;
    WorkHeader end;
    end.kind = WorkKind::kEnd;
    end.step = static_cast<uint64_t>(steps);
    writeWork(fd, end, nullptr, record.text());
  };
  auto runOn = [&](int64_t from, int64_t to, uint64_t instructions, double epochs, const WorkerOptions& options,
                   GradientReducer& reducer) {
    auto [readEnd, writeEnd] = workPipe();
    std::thread writer([&, fd = writeEnd] {
      dealRange(fd, from, to, instructions, epochs);
      ::close(fd);
    });
    RunResult r = runWorker(readEnd, config, options, reducer);
    ::close(readEnd);
    writer.join();
    return r;
  };

  SingleWorker one;
  const RunResult single = runOn(0, n, 1000, 1.0, w, one);

  std::vector<RunResult> ranks(2);
  ASSERT_TRUE(onTwoGlooRanks([&](int r, GradientReducer& reducer) {
    WorkerOptions mine = w;
    mine.rowsPerRank = true;
    mine.stageName = "rank" + std::to_string(r);
    // Unequal shares (2 and 6 chunks): a rank that divided by its own rows
    // would weigh rank 0's rows three times as much.
    const int64_t from = r == 0 ? 0 : 2, to = r == 0 ? 2 : n;
    ranks[r] = runOn(from, to, r == 0 ? 300 : 700, r == 0 ? 0.5 : 1.5, mine, reducer);
  }));
  double worst = 0;
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(ranks[r].steps, static_cast<uint64_t>(steps));
    EXPECT_EQ(ranks[r].record.instructions, 1000u);
    EXPECT_DOUBLE_EQ(ranks[r].record.epochs, 1.0);
    ASSERT_EQ(ranks[r].uarchTable.size(), single.uarchTable.size());
    for (size_t i = 0; i < single.uarchTable.size(); ++i)
      worst = std::max(worst, double(std::fabs(ranks[r].uarchTable[i] - single.uarchTable[i]) /
                                     std::max(1e-3f, std::fabs(single.uarchTable[i]))));
    ASSERT_EQ(ranks[r].encoder.size(), single.encoder.size());
    for (size_t t = 0; t < single.encoder.size(); ++t)
      for (size_t k = 0; k < single.encoder[t].values.size(); ++k)
        worst = std::max(worst, double(std::fabs(ranks[r].encoder[t].values[k] - single.encoder[t].values[k])));
  }
  std::printf("two ranks counting their own rows vs one worker: largest difference %.3g (%lld steps)\n", worst,
              static_cast<long long>(steps));
  EXPECT_LT(worst, 1e-4);
}

TEST(TrainingRun, ResumedRunEndsWithTheUninterruptedWeights) {
  const ToyData data(2, 256, 2);
  const std::string ckpt = data.dir.path() + "/resume.ckpt";
  ToyRun o;
  o.batches.batch = 8;
  o.batches.shuffleChunks = 9;  // smaller than the data: the buffer's state must be replayed
  o.batches.validationFraction = 0.1;
  o.epochs = 5;  // 19 steps
  o.checkpointEvery = 5;
  // Uninterrupted.
  const RunResult full = trainInProcess(data, o);
  // Interrupted after step 11 (the checkpoint of step 10 survives), resumed.
  ToyRun first = o;
  first.checkpoint = ckpt;
  first.onStep = [](uint64_t step, double) {
    if (step == 11) throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(trainInProcess(data, first), std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(ckpt));
  ToyRun second = o;
  second.checkpoint = ckpt;
  const RunResult resumed = trainInProcess(data, second);
  EXPECT_EQ(resumed.resumedFrom, 10u);  // steps 0..9 were checkpointed
  EXPECT_EQ(resumed.steps, full.steps);
  EXPECT_EQ(resumed.record.instructions, full.record.instructions);
  EXPECT_EQ(resumed.uarchTable, full.uarchTable);
  ASSERT_EQ(resumed.encoder.size(), full.encoder.size());
  for (size_t i = 0; i < full.encoder.size(); ++i) EXPECT_EQ(resumed.encoder[i].values, full.encoder[i].values);
  // A checkpoint of another run is refused.
  ToyRun other = second;
  other.schedule.learningRate *= 2;
  EXPECT_THROW(trainInProcess(data, other), StageError);
}

}  // namespace
}  // namespace pv::train
