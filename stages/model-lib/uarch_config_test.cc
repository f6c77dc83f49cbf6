// Configurations: TOML round trip, defaults, DRAM kinds, and errors that
// name file:line:column (sampled configurations: stages/uarch/
// config_sampler_test.cc).

#include <gtest/gtest.h>

#include "stages/core/stage_error.h"
#include "stages/model-lib/uarch_config.h"

namespace pv::uarch {
namespace {

std::string errorOf(const std::string& text, const std::string& file = "a.toml") {
  try {
    parseConfig(text, file);
  } catch (const StageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(UarchConfig, AnEmptyFileIsTheDefaultNamedAfterTheFile) {
  UarchConfig c = parseConfig("", "dir/big-core.toml");
  UarchConfig expected;
  expected.name = "big-core";
  EXPECT_EQ(c, expected);
}

TEST(UarchConfig, KeysSetTheirFields) {
  UarchConfig c = parseConfig(R"(
name = "small"
[core]
type = "in_order"
frequency_ghz = 3.33
rob = 16
[latency]
IntMult = 4
[branch]
predictor = "gshare"
[l1d]
size_kb = 16
prefetcher = "next_line"
[l3]
size_kb = 4096
[memory]
kind = "LPDDR3_1600_1x32"
channels = 1
)",
                              "x.toml");
  EXPECT_EQ(c.name, "small");
  EXPECT_EQ(c.core.kind, CoreKind::kInOrder);
  EXPECT_EQ(c.core.frequencyGhz, 3.33);
  EXPECT_EQ(c.periodPs(), 300u);
  EXPECT_EQ(c.core.rob, 16u);
  EXPECT_EQ(c.latency[uint16_t(OpClass::kIntMult)], 4u);
  EXPECT_EQ(c.branch.predictor, PredictorKind::kGshare);
  EXPECT_EQ(c.l1d.sizeKb, 16u);
  EXPECT_EQ(c.l1d.prefetcher, PrefetcherKind::kNextLine);
  EXPECT_TRUE(c.l3.enabled);  // a [l3] table turns it on
  EXPECT_EQ(c.l3.sizeKb, 4096u);
  EXPECT_EQ(c.memory.kind, "LPDDR3_1600_1x32");
  EXPECT_EQ(c.memory.latencyNs, 56.0);  // from the kind
  EXPECT_EQ(c.memory.bandwidthGBps, 6.4);
}

TEST(UarchConfig, WrittenConfigurationsReadBackEqual) {
  UarchConfig c;
  c.name = "with-l3";
  c.l3.enabled = true;
  c.memory.latencyNs = 61.5;
  EXPECT_EQ(parseConfig(writeToml(c), "f.toml"), c);
}

TEST(UarchConfig, UnknownKeysAreRejectedWithTheirPosition) {
  EXPECT_EQ(errorOf("[core]\nrob = 64\nrobb = 3\n"),
            "a.toml:3:1: unknown key 'robb' in [core] (allowed: type, frequency_ghz, fetch_width, "
            "decode_width, rename_width, dispatch_width, issue_width, commit_width, fetch_to_decode, "
            "decode_to_rename, rename_to_dispatch, dispatch_to_issue, complete_to_commit, fetch_buffer, "
            "rob, issue_queue, load_queue, store_queue)");
  EXPECT_EQ(errorOf("[cores]\n"), "a.toml:1:2: unknown key 'cores' (allowed: name, core, units, latency, "
                                  "branch, l1i, l1d, l2, l3, memory)");
}

TEST(UarchConfig, BadValuesAreRejectedWithTheirPosition) {
  EXPECT_EQ(errorOf("[core]\nrob = 0\n"), "a.toml:2:7: core.rob = 0 is out of range [1, 4096]");
  EXPECT_EQ(errorOf("[core]\nrob = \"big\"\n"), "a.toml:2:7: core.rob must be an integer, not a string");
  EXPECT_EQ(errorOf("[core]\ntype = \"vliw\"\n"),
            "a.toml:2:8: core.type = \"vliw\" is not one of: in_order, out_of_order");
  EXPECT_EQ(errorOf("[core]\nfrequency_ghz = 20\n"),
            "a.toml:2:17: core.frequency_ghz = 20.0 is out of range [0.1, 10.0]");
  EXPECT_EQ(errorOf("[l1d]\nsize_kb = 10\nways = 3\n"),
            "a.toml:1:1: [l1d] size_kb = 10 is not a whole number of sets of 3 ways of 64-byte lines");
  EXPECT_EQ(errorOf("[memory]\nkind = \"DDR9\"\n").substr(0, 62),
            "a.toml:2:8: memory.kind = \"DDR9\" is not one of: DDR3_1600_8x8,");
  EXPECT_EQ(errorOf("[core\nrob = 1\n").substr(0, 13), "a.toml:1:6: T");
  EXPECT_EQ(errorOf("name = \"a b\"\n"),
            "a.toml:1:8: name \"a b\" may hold only letters, digits, '_', '-' and '.'");
}

}  // namespace
}  // namespace pv::uarch
