// The synthetic gem5 traces: deterministic, valid for the trace reader, a
// realistic mix, and one program across timing seeds.
#include "tests/tools/gem5_synth.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "stages/trace-readers/gem5_trace_reader.h"
#include "stages/trace-readers/test_sources.h"

namespace pv::synth {
namespace {

std::vector<Instruction> parse(const Gem5SynthText& text,
                               std::vector<gem5::StartMark>* starts = nullptr) {
  gem5::Gem5TraceReader reader(
      gem5::testing::stringSource("trace.txt", text.trace),
      text.sq.empty() ? gem5::SourceOpener{}
                      : gem5::testing::stringSource("trace.sq.txt", text.sq));
  std::vector<Instruction> all;
  InstructionBatch batch;
  while (reader.next(batch, 4096, starts))
    all.insert(all.end(), batch.rows.begin(), batch.rows.end());
  return all;
}

Gem5SynthOptions options(uint64_t n, uint64_t seed) {
  Gem5SynthOptions o;
  o.instructions = n;
  o.seed = seed;
  return o;
}

TEST(Gem5Synth, WritesTheSameTraceForTheSameSeed) {
  auto a = generateGem5Trace(options(5000, 4));
  auto b = generateGem5Trace(options(5000, 4));
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.sq, b.sq);
  EXPECT_NE(a.trace, generateGem5Trace(options(5000, 5)).trace);
}

TEST(Gem5Synth, WritesTracesTheReaderAccepts) {
  for (uint64_t seed : {1, 2, 3, 99}) {
    auto text = generateGem5Trace(options(20000, seed));
    std::vector<Instruction> rows = parse(text);
    ASSERT_EQ(rows.size(), 20000u) << "seed " << seed;
    size_t sqRecords = 0;
    for (const auto& i : rows) sqRecords += i.isStoreQueueEntry();
    EXPECT_EQ(sqRecords, static_cast<size_t>(std::count(text.sq.begin(), text.sq.end(), '\n')));
  }
}

TEST(Gem5Synth, MixesLoadsStoresAndBranchesOverLoopingCode) {
  std::vector<Instruction> rows = parse(generateGem5Trace(options(100000, 7)));
  size_t loads = 0, stores = 0, cond = 0, taken = 0, jumps = 0, mispredicted = 0;
  std::set<uint64_t> pcs, lines;
  std::set<int> depths;
  for (const auto& i : rows) {
    loads += i.isLoad();
    stores += i.isStore();
    if (i.has(kFlagCondCtrl)) {
      ++cond;
      taken += i.branching;
      mispredicted += i.mispredicted;
    }
    jumps += i.has(kFlagUncondCtrl);
    pcs.insert(i.pc);
    if (i.effAddrValid) lines.insert(i.dataAddr >> 6);
    if (i.isLoad()) depths.insert(i.dataDepth);
  }
  const double n = static_cast<double>(rows.size());
  EXPECT_GT(loads / n, 0.1);
  EXPECT_GT(stores / n, 0.05);
  EXPECT_GT(cond / n, 0.05);
  EXPECT_GT(jumps, 0u);
  EXPECT_GT(taken, cond / 4);
  EXPECT_LT(taken, cond * 9 / 10);
  EXPECT_LT(mispredicted, cond / 2);
  EXPECT_GT(pcs.size(), 500u);    // a few KB of code
  EXPECT_LT(pcs.size(), 2000u);
  EXPECT_LT(lines.size(), 100000u / 4);  // data is reused
  EXPECT_EQ(depths, (std::set<int>{0, 1, 2}));
}

TEST(Gem5Synth, RunsOneProgramOnEveryTimingSeed) {
  Gem5SynthOptions a = options(20000, 3), b = a;
  b.timingSeed = 77;
  std::vector<Instruction> ra = parse(generateGem5Trace(a));
  std::vector<Instruction> rb = parse(generateGem5Trace(b));
  ASSERT_EQ(ra.size(), rb.size());
  size_t sameTiming = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    ASSERT_EQ(ra[i].pc, rb[i].pc) << i;
    ASSERT_EQ(ra[i].branching, rb[i].branching) << i;
    ASSERT_EQ(ra[i].dataAddr, rb[i].dataAddr) << i;
    sameTiming += ra[i].timing == rb[i].timing;
  }
  EXPECT_LT(sameTiming, ra.size() / 10);
}

// --data-bytes: the same program (pcs, branch outcomes), with a data
// footprint that keeps growing with the run instead of the arrays' bound.
TEST(Gem5Synth, ALargeDataArrayMakesTheFootprintGrowWithTheRun) {
  const uint64_t n = 300000;
  Gem5SynthOptions small = options(n, 6), large = small;
  large.dataBytes = uint64_t{1} << 36;  // 64 GiB of address space
  std::vector<Instruction> rs = parse(generateGem5Trace(small));
  std::vector<Instruction> rl = parse(generateGem5Trace(large));
  ASSERT_EQ(rs.size(), rl.size());
  std::set<uint64_t> linesSmall, linesLarge;
  size_t memory = 0;
  for (size_t i = 0; i < rs.size(); ++i) {
    ASSERT_EQ(rs[i].pc, rl[i].pc) << i;
    ASSERT_EQ(rs[i].branching, rl[i].branching) << i;
    if (rs[i].effAddrValid) linesSmall.insert(rs[i].dataAddr >> 6);
    if (rl[i].effAddrValid) {
      linesLarge.insert(rl[i].dataAddr >> 6);
      ++memory;
    }
  }
  std::printf("%llu instructions, %zu data accesses: %zu distinct lines without --data-bytes, %zu with\n",
              static_cast<unsigned long long>(n), memory, linesSmall.size(), linesLarge.size());
  // Without: bounded by the arrays (at most 5 x 2 MiB + a stack page).
  EXPECT_LE(linesSmall.size(), 5u * (2u << 20) / 64 + 64);
  // With: most accesses to the large array touch a new line.
  EXPECT_GT(linesLarge.size(), linesSmall.size() + memory / 8);
}

TEST(Gem5Synth, KeepsFetchAndRetireTimesInOrder) {
  std::vector<Instruction> rows = parse(generateGem5Trace(options(20000, 8)));
  for (size_t i = 1; i < rows.size(); ++i) {
    const Timing& p = rows[i - 1].timing;
    const Timing& t = rows[i].timing;
    ASSERT_LE(p.fetchTick, t.fetchTick) << i;
    ASSERT_LE(p.fetchTick + p.retireLatency, t.fetchTick + t.retireLatency) << i;
    ASSERT_GT(t.retireLatency, t.dispatchLatency) << i;
  }
}

TEST(Gem5Synth, WritesStoresAsPlainLinesWithoutStoreQueue) {
  Gem5SynthOptions o = options(5000, 2);
  o.storeQueue = false;
  auto text = generateGem5Trace(o);
  EXPECT_TRUE(text.sq.empty());
  std::vector<Instruction> rows = parse(text);
  ASSERT_EQ(rows.size(), 5000u);
  size_t stores = 0;
  for (const auto& i : rows) {
    EXPECT_EQ(i.sqIndex, -1);
    stores += i.opClass == kOpMemWrite;
  }
  EXPECT_GT(stores, 0u);
}

TEST(Gem5Synth, StartsWithAStartLineWhenAsked) {
  Gem5SynthOptions o = options(100, 2);
  o.startTick = 123456;
  auto text = generateGem5Trace(o);
  EXPECT_EQ(text.trace.rfind("0 -99 123456 ", 0), 0u);
  std::vector<gem5::StartMark> starts;
  std::vector<Instruction> rows = parse(text, &starts);
  EXPECT_EQ(starts, (std::vector<gem5::StartMark>{{0, 123456}}));
  EXPECT_GT(rows[0].timing.fetchTick, 123456u);
}

TEST(Gem5Synth, WritesStoreQueueRecordsAfterLaterTraceLines) {
  Gem5SynthOptions o = options(2000, 6);
  o.sqDelay = 100;
  size_t traceLines = 0;
  std::vector<size_t> traceLinesAtSq;  // trace lines written before each sq piece
  generateGem5Trace(
      o, [&](std::string_view s) { traceLines += std::count(s.begin(), s.end(), '\n'); },
      [&](std::string_view) { traceLinesAtSq.push_back(traceLines); }, 256);
  ASSERT_FALSE(traceLinesAtSq.empty());
  EXPECT_GE(traceLinesAtSq.front(), 100u);
}

}  // namespace
}  // namespace pv::synth
