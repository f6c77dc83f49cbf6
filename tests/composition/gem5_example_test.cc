// The whole feature path on the real 21-instruction gem5 example: the
// instructions (read by the trace-tap library, and independently by a small
// fixture reader here) go through FeatureExtractor and ReuseDistanceStage,
// and the features printed with "%g " per value must equal
// features.expected.txt (what the original PerfVec extractor prints) byte
// for byte.
//
// The example is looked up in $PV_EXAMPLE_DIR, examples/gem5-arm-21,
// shared/data/gem5-example and ../shared/data/gem5-example (tests run from
// the repository root).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stages/feature/feature_extractor.h"
#include "stages/feature-lib/reuse_distance.h"
#include "stages/runtime/byte_source.h"
#include "stages/trace-readers/gem5_trace_reader.h"

namespace pv {
namespace {

std::string exampleDir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("PV_EXAMPLE_DIR")) candidates.push_back(env);
  candidates.push_back("examples/gem5-arm-21");
  candidates.push_back("shared/data/gem5-example");
  candidates.push_back("../shared/data/gem5-example");
  for (const auto& dir : candidates)
    if (std::filesystem::exists(dir + "/features.expected.txt")) return dir;
  return "";
}

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::vector<int64_t> numbers(const std::string& line) {
  std::istringstream in(line);
  std::vector<int64_t> out;
  for (int64_t v; in >> v;) out.push_back(v);
  return out;
}

// A minimal reader of the example (only the fields the features use): a
// test fixture, not the trace-tap reader.
std::vector<Instruction> readExample(const std::string& dir) {
  std::vector<std::string> trace = readLines(dir + "/trace.txt");
  std::vector<std::string> sq = readLines(dir + "/trace.sq.txt");
  size_t nextSq = 0;
  std::vector<Instruction> out;
  for (const std::string& line : trace) {
    std::vector<int64_t> v = numbers(line);
    size_t at = 9;  // fields 1-9
    if (v.at(1) != -1 && v.size() == 9) {
      v = numbers(sq.at(nextSq++));
      at = 11;  // fields 1-9, store_latency, sq_out_latency
    }
    Instruction inst;
    inst.isFault = v[0] != 0;
    inst.sqIndex = static_cast<int32_t>(v[1]);
    inst.opClass = static_cast<uint16_t>(v[at++]);
    for (int bit = 0; bit < kFlagCount; ++bit)
      if (v[at++] != 0) inst.flags |= static_cast<uint16_t>(1u << bit);
    inst.effAddrValid = v[at++] != 0;
    inst.dataAddr = static_cast<uint64_t>(v[at++]);
    at += 1 + 1 + 3 + 3 + 3;  // size, depth, walk depths, walk addrs, writebacks
    inst.pc = static_cast<uint64_t>(v[at++]);
    inst.branching = v[at++] != 0;
    at += 1 + 1 + 3 + 3 + 2;  // mispredicted, depth, walks, writebacks
    inst.srcCount = static_cast<uint8_t>(v[at++]);
    inst.dstCount = static_cast<uint8_t>(v[at++]);
    for (int i = 0; i < inst.srcCount; ++i) {
      inst.src[i].regClass = static_cast<uint8_t>(v[at++]);
      inst.src[i].index = static_cast<uint16_t>(v[at++]);
    }
    for (int i = 0; i < inst.dstCount; ++i) {
      inst.dst[i].regClass = static_cast<uint8_t>(v[at++]);
      inst.dst[i].index = static_cast<uint16_t>(v[at++]);
    }
    EXPECT_EQ(at, v.size()) << line;
    out.push_back(inst);
  }
  return out;
}

// Runs the chain with the given batch size; one "%g " line per row.
std::vector<std::string> featureLines(const std::vector<Instruction>& insts, size_t batchSize) {
  FeatureExtractor extractor;
  ReuseDistanceStage reuse;
  StreamHeader h;
  h.payload = PayloadKind::kInstructions;
  StreamHeader out = reuse.describe(extractor.describe(h));
  EXPECT_TRUE(out.pendingColumns.empty());
  std::vector<std::string> lines;
  Emit<FeatureBatch> print = [&](FeatureBatch&& b) {
    for (size_t r = 0; r < b.rows(); ++r) {
      std::string line;
      char buf[32];
      for (uint32_t c = 0; c < b.columns; ++c) {
        std::snprintf(buf, sizeof buf, "%g ", b.row(r)[c]);
        line += buf;
      }
      lines.push_back(line);
    }
  };
  Emit<FeatureBatch> toReuse = [&](FeatureBatch&& b) { reuse.process(std::move(b), print); };
  for (size_t begin = 0; begin < insts.size(); begin += batchSize) {
    InstructionBatch batch;
    batch.firstIndex = begin;
    for (size_t i = begin; i < std::min(insts.size(), begin + batchSize); ++i)
      batch.rows.push_back(insts[i]);
    extractor.process(std::move(batch), toReuse);
  }
  extractor.finish(toReuse);
  reuse.finish(print);
  return lines;
}

TEST(FeaturePath, ReproducesTheOriginalFeaturesOfTheGem5Example) {
  const std::string dir = exampleDir();
  ASSERT_FALSE(dir.empty()) << "gem5 example not found (run from the repository root)";
  const std::vector<Instruction> insts = readExample(dir);
  const std::vector<std::string> expected = readLines(dir + "/features.expected.txt");
  ASSERT_EQ(insts.size(), 21u);
  for (size_t batchSize : {1, 2, 5, 64}) {
    std::vector<std::string> got = featureLines(insts, batchSize);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], expected[i]) << "instruction " << i << ", batch size " << batchSize;
  }
}

TEST(FeaturePath, ReproducesTheOriginalFeaturesFromTheGem5TraceReader) {
  const std::string dir = exampleDir();
  ASSERT_FALSE(dir.empty()) << "gem5 example not found (run from the repository root)";
  const std::vector<std::string> expected = readLines(dir + "/features.expected.txt");
  gem5::Gem5TraceReader reader(gem5::openedSource(runtime::openByteSource(dir + "/trace.txt")),
                               gem5::openedSource(runtime::openByteSource(dir + "/trace.sq.txt")));
  std::vector<Instruction> insts;
  InstructionBatch batch;
  while (reader.next(batch, 4)) insts.insert(insts.end(), batch.rows.begin(), batch.rows.end());
  ASSERT_EQ(insts.size(), expected.size());
  for (size_t batchSize : {1, 3, 64}) {
    std::vector<std::string> got = featureLines(insts, batchSize);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i], expected[i]) << "instruction " << i << ", batch size " << batchSize;
  }
}

}  // namespace
}  // namespace pv
