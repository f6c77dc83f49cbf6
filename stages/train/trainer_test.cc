// Trainer: the loss falls on a learnable problem; N Gloo workers take the
// step one worker takes on the concatenated batch; a state round trip goes on
// bit for bit; a resumed run ends with an uninterrupted run's weights.

#include "stages/train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <thread>

#include "stages/train/gloo_reducer.h"
#include "stages/train/training_run.h"

namespace pv::train {
namespace {

// Latency = 5 when the instruction (feature 0) is a "load" (1), else 1; the
// second target is 1 right after a load: needs one instruction of history.
TrainingSet toySet(int programs, int64_t rows, int uarchs) {
  TrainingSet set;
  std::vector<std::string> names;
  for (int u = 0; u < uarchs; ++u) names.push_back("u" + std::to_string(u));
  uint64_t s = 12345;
  for (int p = 0; p < programs; ++p) {
    LabelledProgram prog;
    prog.name = "p" + std::to_string(p);
    prog.rows = rows;
    float previous = 0;
    for (int64_t r = 0; r < rows; ++r) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const float load = ((s >> 33) % 4 == 0) ? 1.0f : 0.0f;
      prog.features.push_back(load);
      prog.features.push_back(static_cast<float>((s >> 40) % 7));
      for (int u = 0; u < uarchs; ++u) {
        prog.labels.push_back(load ? 5.0f * (u + 1) : 1.0f);
        prog.labels.push_back(previous);
      }
      previous = load;
    }
    set.addProgram(std::move(prog), {"load", "noise"}, {"commit", "after_load"}, names);
  }
  return set;
}

TrainerConfig toyConfig(const TrainingSet& set) {
  TrainerConfig c;
  c.encoder.arch = encode::Arch::kLstm;
  c.encoder.features = set.features();
  c.encoder.hidden = 8;
  c.encoder.layers = 1;
  c.encoder.window = 4;
  c.uarchs = static_cast<int64_t>(set.uarchNames().size());
  c.targets = static_cast<int64_t>(set.targetNames().size());
  c.seed = 3;
  return c;
}

struct Stats {
  std::vector<double> mean, stddev, scales;
};
Stats statsOf(const TrainingSet& set) {
  Stats s;
  set.featureStatistics(s.mean, s.stddev);
  s.scales = set.targetScales();
  return s;
}

TEST(Trainer, LossFalls) {
  const TrainingSet set = toySet(2, 512, 2);
  const Stats st = statsOf(set);
  RunOptions o;
  o.window = 4;
  o.chunk = 16;
  o.batch = 16;
  o.epochs = 40;
  o.learningRate = 1e-2;
  o.warmupSteps = 1;
  o.validationFraction = 0.1;
  SingleWorker one;
  const RunResult r = runTraining(set, toyConfig(set), o, st.mean, st.stddev, st.scales, one);
  std::printf("toy problem: loss %.4f -> %.4f, validation %.4f after %llu steps\n", r.firstLoss, r.lastLoss,
              r.validationLoss, static_cast<unsigned long long>(r.steps));
  EXPECT_LT(r.lastLoss, 0.3 * r.firstLoss);
  EXPECT_LT(r.validationLoss, 0.3 * r.firstLoss);
}

TEST(Trainer, StateRoundTripContinuesBitForBit) {
  const TrainingSet set = toySet(1, 256, 1);
  const Stats st = statsOf(set);
  BatchAssembler a(set, 4, 16, st.mean, st.stddev, st.scales);
  const ChunkPlan plan = planChunks(set, 16, 0, 1);
  const Batch b1 = a.assemble(plan.train.data(), 8), b2 = a.assemble(plan.train.data() + 8, 8);
  Trainer x(toyConfig(set)), y(toyConfig(set));
  x.step(b1, b1.validRows(), 1e-2, nullptr);
  y.loadState(x.state(), x.steps());
  x.step(b2, b2.validRows(), 1e-2, nullptr);
  y.step(b2, b2.validRows(), 1e-2, nullptr);
  const auto px = x.state(), py = y.state();
  ASSERT_EQ(px.size(), py.size());
  for (size_t i = 0; i < px.size(); ++i) EXPECT_EQ(px[i].values, py[i].values) << px[i].name;
}

// Two workers joined by c10d Gloo (real TCPStore and ProcessGroupGloo, one
// thread each) end one synchronous step with the weights of one worker that
// took the step on the concatenated batch.
TEST(Trainer, TwoGlooWorkersEqualOneWorkerOnTheConcatenatedBatch) {
  const TrainingSet set = toySet(2, 300, 3);
  const Stats st = statsOf(set);
  BatchAssembler a(set, 4, 16, st.mean, st.stddev, st.scales);
  const ChunkPlan plan = planChunks(set, 16, 0, 1);
  const auto order = epochOrder(plan.train, 9, 0);
  const int64_t n = 10;  // chunks in the global batch
  int64_t rows = 0;
  for (int64_t i = 0; i < n; ++i) rows += a.rowsOf(order[i]);
  const Batch all = a.assemble(order.data(), n);

  Trainer single(toyConfig(set));
  single.step(all, rows, 5e-2, nullptr);

  const int port = freeLocalPort();
  std::vector<std::vector<NamedTensor>> states(2);
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
        Trainer t(toyConfig(set));
        const int64_t from = n * r / 2, to = n * (r + 1) / 2;
        t.step(a.assemble(order.data() + from, to - from), rows, 5e-2, reducer.get());
        states[r] = t.state();
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
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
  Trainer untouched(toyConfig(set));
  const auto before = untouched.state();
  double moved = 0;
  for (size_t i = 0; i < before.size(); ++i)
    for (size_t k = 0; k < before[i].values.size(); ++k)
      moved = std::max(moved, double(std::fabs(before[i].values[k] - expected[i].values[k])));
  EXPECT_GT(moved, 1e-3);
}

TEST(TrainingRun, ResumedRunEndsWithTheUninterruptedWeights) {
  const TrainingSet set = toySet(2, 256, 2);
  const Stats st = statsOf(set);
  const std::string ckpt = std::filesystem::temp_directory_path() / "pv_train_resume_test.ckpt";
  std::filesystem::remove(ckpt);
  RunOptions o;
  o.window = 4;
  o.chunk = 16;
  o.batch = 8;
  o.epochs = 3;
  o.validationFraction = 0.1;
  o.checkpoint = ckpt;
  o.checkpointEvery = 5;
  SingleWorker one;
  // Uninterrupted.
  RunOptions plain = o;
  plain.checkpoint.clear();
  const RunResult full = runTraining(set, toyConfig(set), plain, st.mean, st.stddev, st.scales, one);
  // Interrupted after step 11 (the checkpoint of step 9 survives), resumed.
  RunOptions first = o;
  first.onStep = [](uint64_t step, double) {
    if (step == 11) throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(runTraining(set, toyConfig(set), first, st.mean, st.stddev, st.scales, one), std::runtime_error);
  ASSERT_TRUE(std::filesystem::exists(ckpt));
  const RunResult resumed = runTraining(set, toyConfig(set), o, st.mean, st.stddev, st.scales, one);
  EXPECT_EQ(resumed.resumedFrom, 10u);  // steps 0..9 were checkpointed
  EXPECT_EQ(resumed.steps, full.steps);
  EXPECT_EQ(resumed.uarchTable, full.uarchTable);
  ASSERT_EQ(resumed.encoder.size(), full.encoder.size());
  for (size_t i = 0; i < full.encoder.size(); ++i) EXPECT_EQ(resumed.encoder[i].values, full.encoder[i].values);
  // A checkpoint of another run is refused.
  RunOptions other = o;
  other.learningRate *= 2;
  EXPECT_THROW(runTraining(set, toyConfig(set), other, st.mean, st.stddev, st.scales, one), std::exception);
  std::filesystem::remove(ckpt);
}

}  // namespace
}  // namespace pv::train
