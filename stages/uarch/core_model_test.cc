// Micro-benchmarks whose answer follows from the configuration: each test
// builds a synthetic stream, runs the timing model and compares CPI, cycles
// per load or per mispredict with what the configuration implies. The
// measured numbers are printed.

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "stages/uarch/config_sampler.h"
#include "stages/uarch/core_model.h"
#include "stages/uarch/run_report.h"
#include "stages/uarch/synthetic_streams.h"

namespace pv::uarch {
namespace {

namespace syn = synthetic;

struct Simulation {
  std::unique_ptr<CoreModel> model;
  std::vector<float> labels;
  double cpi() const { return double(model->stats().cycles) / double(model->stats().instructions); }
};

Simulation simulate(const UarchConfig& config, const std::vector<Instruction>& insts) {
  Simulation run{std::make_unique<CoreModel>(config), std::vector<float>(insts.size() * CoreModel::kTargets)};
  std::vector<DecodedInstruction> decoded;
  decoded.reserve(insts.size());
  for (const auto& i : insts) decoded.push_back(decode(i));
  run.model->run(decoded.data(), decoded.size(), run.labels.data(), CoreModel::kTargets);
  return run;
}

UarchConfig quietConfig() {
  UarchConfig c;
  c.l1i.prefetcher = c.l1d.prefetcher = c.l2.prefetcher = PrefetcherKind::kNone;
  return c;
}

TEST(CoreModel, IndependentAluOperationsReachIpcNearTheWidth) {
  // IPC over the second half, after the cold I-cache misses of the loop.
  const auto insts = syn::independentAlu(200000);
  std::vector<DecodedInstruction> decoded;
  for (const auto& i : insts) decoded.push_back(decode(i));
  std::vector<float> labels(insts.size() * CoreModel::kTargets);
  const size_t half = insts.size() / 2;
  for (uint32_t width : {1u, 2u, 4u, 8u}) {
    for (CoreKind kind : {CoreKind::kInOrder, CoreKind::kOutOfOrder}) {
      UarchConfig c = quietConfig();
      c.core.kind = kind;
      c.core.fetchWidth = c.core.decodeWidth = c.core.renameWidth = c.core.dispatchWidth = width;
      c.core.issueWidth = c.core.commitWidth = width;
      c.units[kPoolIntAlu] = width;
      CoreModel model(c);
      model.run(decoded.data(), half, labels.data(), CoreModel::kTargets);
      const int64_t warm = model.stats().cycles;
      model.run(decoded.data() + half, insts.size() - half, labels.data() + half * CoreModel::kTargets,
                CoreModel::kTargets);
      const double ipc = double(insts.size() - half) / double(model.stats().cycles - warm);
      std::printf("  independent ALU, %s width %u: IPC %.3f (CPI %.3f)\n",
                  kind == CoreKind::kInOrder ? "in-order" : "out-of-order", width, ipc, 1.0 / ipc);
      EXPECT_GT(ipc, 0.95 * width);
      EXPECT_LE(ipc, width + 1e-9);
    }
  }
}

TEST(CoreModel, DependentAluChainRunsAtOnePerLatency) {
  UarchConfig c = quietConfig();
  std::vector<Instruction> insts;
  for (int i = 0; i < 100000; ++i) {
    Instruction op = syn::alu(syn::kCodeBase + 4 * (i % 256), 1, {1});
    op.opClass = uint16_t(OpClass::kIntMult);
    insts.push_back(op);
  }
  Simulation r = simulate(c, insts);
  std::printf("  dependent IntMult chain (latency 3): CPI %.3f\n", r.cpi());
  EXPECT_NEAR(r.cpi(), 3.0, 0.05);
}

TEST(CoreModel, PointerChaseBeyondTheLastCacheCostsTheMemoryLatencyPerLoad) {
  for (bool l3 : {false, true}) {
    UarchConfig c = quietConfig();
    c.l3.enabled = l3;
    c.memory.channels = 1;
    const int64_t dramCycles = std::llround(c.memory.latencyNs * c.core.frequencyGhz);
    const double transfer = 64 / c.memory.bandwidthGBps * c.core.frequencyGhz;
    // Load-to-use along the chain: address generation, every tag check on the
    // way down, DRAM latency and the line's transfer.
    const double expected = c.latency[kOpMemRead] + c.l1d.latency + c.l2.latency +
                            (l3 ? c.l3.latency : 0) + dramCycles + std::ceil(transfer);
    Simulation r = simulate(c, syn::pointerChase(100000, 256ull << 20));
    const auto& s = r.model->stats();
    const double perLoad = double(s.cycles) / double(s.loads);
    std::printf("  pointer chase over 256 MB%s: %.1f cycles per load (expected %.1f, DRAM %lld)\n",
                l3 ? " with L3" : "", perLoad, expected, static_cast<long long>(dramCycles));
    EXPECT_NEAR(perLoad, expected, 0.1 * expected);
    EXPECT_GT(double(r.model->memoryStats().l2.misses) / double(s.loads), 0.95);
  }
}

TEST(CoreModel, PointerChaseWithinL1CostsTheL1Latency) {
  UarchConfig c = quietConfig();
  Simulation r = simulate(c, syn::pointerChase(100000, 8 << 10));
  const auto& s = r.model->stats();
  const double perLoad = double(s.cycles) / double(s.loads);
  std::printf("  pointer chase over 8 KB: %.2f cycles per load\n", perLoad);
  EXPECT_NEAR(perLoad, c.latency[kOpMemRead] + c.l1d.latency, 0.3);
}

TEST(CoreModel, RandomBranchesCostAboutTheMispredictPenaltyEach) {
  for (PredictorKind p : {PredictorKind::kBimodal, PredictorKind::kGshare, PredictorKind::kTage}) {
    UarchConfig c = quietConfig();
    c.branch.predictor = p;
    c.branch.mispredictPenalty = 15;
    const size_t n = 200000;
    Simulation random = simulate(c, syn::branches(n, 8, true));
    Simulation biased = simulate(c, syn::branches(n, 8, false));
    const auto& s = random.model->stats();
    const double rate = double(s.directionMispredicts) / double(s.conditionalBranches);
    const double perMispredict =
        double(s.cycles - biased.model->stats().cycles) / double(s.mispredicts - biased.model->stats().mispredicts);
    std::printf("  random branches (%s): mispredict rate %.3f, %.1f cycles per mispredict (penalty %u); "
                "CPI %.3f vs %.3f predictable\n",
                p == PredictorKind::kBimodal ? "bimodal" : p == PredictorKind::kGshare ? "gshare" : "tage",
                rate, perMispredict, c.branch.mispredictPenalty, random.cpi(), biased.cpi());
    EXPECT_NEAR(rate, 0.5, 0.05);
    EXPECT_NEAR(perMispredict, c.branch.mispredictPenalty, 0.2 * c.branch.mispredictPenalty);
    EXPECT_LT(double(biased.model->stats().mispredicts) / biased.model->stats().branches, 0.01);
  }
}

TEST(CoreModel, PredictorsLearnAPeriodicPatternThatBimodalCannot) {
  std::vector<Instruction> insts;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t pc = syn::kCodeBase + 4 * (i % 2);
    insts.push_back(i % 2 ? syn::branch(pc, true, (i / 2) % 4 != 3) : syn::alu(pc, 1));
  }
  double rates[3];
  for (int p = 0; p < 3; ++p) {
    UarchConfig c = quietConfig();
    c.branch.predictor = PredictorKind(p);
    Simulation r = simulate(c, insts);
    rates[p] = double(r.model->stats().directionMispredicts) / r.model->stats().conditionalBranches;
  }
  std::printf("  pattern TTTN: mispredict rate bimodal %.3f, gshare %.3f, tage %.3f\n", rates[0], rates[1], rates[2]);
  EXPECT_GT(rates[0], 0.2);
  EXPECT_LT(rates[1], 0.02);
  EXPECT_LT(rates[2], 0.02);
}

TEST(CoreModel, ALargerRobRaisesIpcOnIndependentCacheMissingLoads) {
  double ipc[2];
  const uint32_t robs[2] = {32, 256};
  for (int i = 0; i < 2; ++i) {
    UarchConfig c = quietConfig();
    c.core.rob = robs[i];
    c.core.issueQueue = 128;
    c.core.loadQueue = 128;
    c.l1d.mshrs = 64;
    c.l2.mshrs = 64;
    c.memory.channels = 4;
    Simulation r = simulate(c, syn::independentLoads(200000, 256ull << 20, 3));
    ipc[i] = 1.0 / r.cpi();
    std::printf("  independent missing loads, ROB %u: IPC %.3f (L2 miss rate %.3f)\n", robs[i], ipc[i],
                double(r.model->memoryStats().l2.misses) / r.model->memoryStats().l2.accesses);
  }
  EXPECT_GT(ipc[1], 3.0 * ipc[0]);
}

TEST(CoreModel, ALargerL1dRemovesMissesOnceTheWorkingSetFits) {
  double missRate[2];
  const uint32_t sizes[2] = {16, 32};
  for (int i = 0; i < 2; ++i) {
    UarchConfig c = quietConfig();
    c.l1d.sizeKb = sizes[i];
    Simulation r = simulate(c, syn::sweep(200000, 24 << 10));
    const auto& m = r.model->memoryStats().l1d;
    missRate[i] = double(m.misses) / double(m.accesses);
    std::printf("  sweep over 24 KB, L1D %u KB: miss rate %.4f, CPI %.3f\n", sizes[i], missRate[i], r.cpi());
  }
  EXPECT_GT(missRate[0], 0.9);
  EXPECT_LT(missRate[1], 0.01);
}

TEST(CoreModel, AnExclusiveL2AddsTheL1dToTheCapacity) {
  // 80 KB swept over and over: more than the 64 KB L2, less than L1D + L2.
  double missRate[3];
  const char* names[3] = {"non-inclusive", "inclusive", "exclusive"};
  for (int p = 0; p < 3; ++p) {
    UarchConfig c = quietConfig();
    c.l2.sizeKb = 64;
    c.l2.inclusion = Inclusion(p);
    Simulation r = simulate(c, syn::sweep(200000, 80 << 10));
    const auto& m = r.model->memoryStats().l2;
    missRate[p] = double(m.misses) / double(m.accesses);
    std::printf("  sweep over 80 KB, L1D 32 KB + L2 64 KB %s: L2 miss rate %.4f, CPI %.3f\n", names[p],
                missRate[p], r.cpi());
  }
  EXPECT_GT(missRate[0], 0.95);
  EXPECT_GT(missRate[1], 0.95);
  EXPECT_LT(missRate[2], 0.01);
}

TEST(CoreModel, PrefetchersHideASequentialSweep) {
  double missRate[3];
  for (int p = 0; p < 3; ++p) {
    UarchConfig c = quietConfig();
    c.l1d.prefetcher = PrefetcherKind(p);
    // Next-line fetches 4 lines per miss; a stride prefetch runs one
    // loop iteration (127 lines) ahead per degree, so 2 stay in the L1D.
    c.l1d.prefetchDegree = p == int(PrefetcherKind::kStride) ? 2 : 4;
    Simulation r = simulate(c, syn::sweep(200000, 64 << 20));
    const auto& m = r.model->memoryStats().l1d;
    missRate[p] = double(m.misses) / double(m.accesses);
  }
  std::printf("  sweep over 64 MB: L1D miss rate none %.3f, next-line %.3f, stride %.3f\n", missRate[0],
              missRate[1], missRate[2]);
  EXPECT_GT(missRate[0], 0.95);
  EXPECT_LT(missRate[1], 0.3);
  EXPECT_LT(missRate[2], 0.05);
}

TEST(CoreModel, SumOfTheCommitTargetIsTheReportedTotalTime) {
  for (double ghz : {1.0, 2.0, 3.33, 5.0}) {
    UarchConfig c;
    c.core.frequencyGhz = ghz;
    Simulation r = simulate(c, syn::mixed(50000));
    double commitSum = 0, fetchSum = 0;
    for (size_t i = 0; i < r.labels.size(); i += CoreModel::kTargets) {
      commitSum += r.labels[i + 1];
      fetchSum += r.labels[i];
    }
    const RunReport report = reportOf(*r.model);
    std::printf("  mixed code at %.2f GHz: CPI %.3f, time %.1f ns, sum of commit targets %.1f x 0.1 ns\n", ghz,
                report.cpi, report.timeNs, commitSum);
    EXPECT_DOUBLE_EQ(commitSum / 10.0, report.timeNs);
    EXPECT_LE(fetchSum, commitSum);
  }
}

TEST(CoreModel, SampledConfigurationsGiveConsistentLabels) {
  const auto insts = syn::mixed(20000, 3);
  for (uint32_t i = 0; i < 60; ++i) {
    const UarchConfig c = sampleConfig(9, i);
    Simulation r = simulate(c, insts);
    double commitSum = 0;
    for (size_t row = 0; row < insts.size(); ++row) {
      const float* l = r.labels.data() + row * CoreModel::kTargets;
      for (int t = 0; t < 6; ++t) ASSERT_GE(l[t], 0.0f) << c.name << " row " << row;
      for (int t = 6; t < 16; ++t) ASSERT_TRUE(l[t] == 0.0f || l[t] == 1.0f) << c.name << " row " << row;
      for (int k = 0; k < 3; ++k)  // L2 only when L1, memory only when L2
        for (int level = 1; level < 3; ++level)
          ASSERT_LE(l[6 + 3 * level + k], l[6 + 3 * (level - 1) + k]) << c.name << " row " << row;
      commitSum += l[1];
    }
    EXPECT_NEAR(commitSum / 10.0, reportOf(*r.model).timeNs, 1e-6 * commitSum) << c.name;
    EXPECT_GT(r.cpi(), 0.1) << c.name;
    EXPECT_LT(r.cpi(), 50.0) << c.name;
  }
}

TEST(CoreModel, IndicatorsMarkTheLevelsAnAccessReached) {
  UarchConfig c = quietConfig();
  std::vector<Instruction> insts = {syn::load(syn::kCodeBase, syn::kDataBase, 1),
                                    syn::load(syn::kCodeBase + 4, syn::kDataBase + 8, 2),
                                    syn::store(syn::kCodeBase + 8, syn::kDataBase + 4096, 1)};
  Simulation r = simulate(c, insts);
  auto row = [&](size_t i) { return r.labels.data() + i * CoreModel::kTargets; };
  // First load: fetch and data both from memory.
  EXPECT_EQ(std::vector<float>(row(0) + 6, row(0) + 16),
            (std::vector<float>{1, 1, 0, 1, 1, 0, 1, 1, 0, 0}));
  // Second load: same lines, L1 hits.
  EXPECT_EQ(std::vector<float>(row(1) + 6, row(1) + 16),
            (std::vector<float>{1, 1, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Store to a new line: memory; its store commit comes after its commit.
  EXPECT_EQ(std::vector<float>(row(2) + 6, row(2) + 16),
            (std::vector<float>{1, 0, 1, 0, 0, 1, 0, 0, 1, 0}));
  EXPECT_GT(row(2)[2], row(2)[1]);
}

}  // namespace
}  // namespace pv::uarch
