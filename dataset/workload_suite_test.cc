// Suite files: the shipped suite parses and meets the issue's promises;
// every mistake in an entry is reported at its file:line:column.
#include "dataset/workload_suite.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace pv::dataset {
namespace {

const char* kGood = R"([suite]
name = "t"
[[workload]]
name = "a"
packages = ["gzip"]
command = ["/usr/bin/gzip", "-c", "{inputs}/corpus.txt"]
skip = 10
count = 100
split = "train"
[[workload]]
name = "k"
packages = []
command = ["{bin}/pv-kernels", "qsort", "10"]
env = { X = "1" }
skip = 0
count = 5
split = "test"
)";

std::string errorOf(const std::string& text) {
  try {
    parseSuite(text, "s.toml");
  } catch (const SuiteError& e) {
    return e.what();
  }
  return "no error";
}

TEST(WorkloadSuite, ShippedSuiteHasSeventyNineProgramsOfThreeRegionsInThreeSplits) {
  // Tests run from the repository root.
  Suite s = loadSuite("examples/workloads/workloads.toml");
  std::map<std::string, int> regions;                    // program -> regions
  std::map<std::string, std::set<std::string>> bySplit;  // split -> programs
  std::set<std::string> kernels;
  for (const auto& w : s.workloads) {
    regions[w.program]++;
    bySplit[w.split].insert(w.program);
    if (w.packages.empty()) kernels.insert(w.program);
  }
  EXPECT_EQ(s.name, "perfvec-workloads-v2");
  EXPECT_EQ(regions.size(), 79u);
  EXPECT_EQ(kernels.size(), 30u);
  for (const auto& [program, n] : regions) EXPECT_GE(n, 3) << program;
  // Programs added after the suite's first dataset (pv-loops, round 6) went to
  // train only: the held-out splits keep exactly their programs, so that every
  // model's validation and test numbers are of the same programs.
  EXPECT_EQ(bySplit["validation"], (std::set<std::string>{"bfs", "fft", "gnugo", "jq", "lu", "lz4", "lzop", "picosat",
                                                           "sox", "tcl"}));
  EXPECT_EQ(bySplit["test"],
            (std::set<std::string>{"b2sum", "bzip2", "convert", "convert-edge", "lua", "md5sum", "opusenc", "sed",
                                   "sha512sum", "sqlite3", "stencil", "stencil3d", "stencil9"}));
  EXPECT_EQ(bySplit["train"].size(), 56u);
}

TEST(WorkloadSuite, ParsesEntriesAndExpandsPlaceholders) {
  Suite s = parseSuite(kGood, "dir/s.toml");
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.dir, "dir");
  EXPECT_EQ(expandCommand(s.workloads[0], "inputs", "/b")[2], "inputs/corpus.txt");
  EXPECT_EQ(expandCommand(s.workloads[1], "inputs", "/b")[0], "/b/pv-kernels");
  EXPECT_EQ(s.workloads[1].env.at("X"), "1");
  EXPECT_EQ(selectWorkloads(s, {}, "test").size(), 1u);
  EXPECT_EQ(selectWorkloads(s, {"k", "a"}, "all")[0].name, "k");
}

TEST(WorkloadSuite, MistakesNameTheirPosition) {
  std::string good = kGood;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return errorOf(t);
  };
  EXPECT_EQ(with("split = \"train\"", "split = \"val\""),
            "s.toml:9:9: workload 'a': split must be \"train\", \"validation\" or \"test\", not \"val\"");
  EXPECT_EQ(with("count = 100", "count = 0"), "s.toml:8:9: workload 'a': 'count' must be positive");
  EXPECT_EQ(with("skip = 10\n", "skp = 10\n"),
            "s.toml:7:1: unknown key 'skp' in workload 'a' (allowed: name, family, packages, command, env, "
            "skip, count, regions, every, split, description)");
  EXPECT_NE(with("{inputs}/corpus", "{input}/corpus").find("s.toml:6:11: workload 'a': unknown placeholder '{input}'"),
            std::string::npos);
  EXPECT_NE(with("\"-c\"", "\"-c x\"").find("holds a blank"), std::string::npos);
  EXPECT_NE(with("name = \"k\"", "name = \"a\"").find("s.toml:11:8: duplicate workload name 'a' (first at line 3)"),
            std::string::npos);
  EXPECT_NE(with("packages = [\"gzip\"]\n", "").find("missing 'packages'"), std::string::npos);
  EXPECT_NE(errorOf("[suite\n").find("s.toml:1:"), std::string::npos);
}

// regions = N expands into N workloads NAME.rI, `every` apart, selected
// together by the program's name.
TEST(WorkloadSuite, RegionsExpandIntoWorkloadsOfTheirOwn) {
  std::string text = kGood;
  text.replace(text.find("count = 100\n"), 12, "count = 100\nregions = 3\nevery = 1000\n");
  Suite s = parseSuite(text, "s.toml");
  ASSERT_EQ(s.workloads.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const Workload& w = s.workloads[static_cast<size_t>(i)];
    EXPECT_EQ(w.name, "a.r" + std::to_string(i + 1));
    EXPECT_EQ(w.program, "a");
    EXPECT_EQ(w.family, "a");
    EXPECT_EQ(w.region, i + 1);
    EXPECT_EQ(w.skip, 10u + 1000u * static_cast<uint64_t>(i));
    EXPECT_EQ(w.count, 100u);
  }
  EXPECT_EQ(s.workloads[3].name, "k");
  EXPECT_EQ(s.workloads[3].region, 0);
  EXPECT_EQ(selectWorkloads(s, {"a"}, "all").size(), 3u);
  EXPECT_EQ(selectWorkloads(s, {"a.r2", "a"}, "all").front().name, "a.r2");
  EXPECT_EQ(selectWorkloads(s, {"a.r2", "a"}, "all").size(), 3u);
  auto errorWith = [&](const std::string& regions) {
    std::string t = kGood;
    t.replace(t.find("count = 100\n"), 12, "count = 100\n" + regions);
    return errorOf(t);
  };
  EXPECT_NE(errorWith("regions = 2\nevery = 50\n").find("regions overlap ('every' 50 is less than 'count' 100)"),
            std::string::npos);
  EXPECT_NE(errorWith("regions = 2\n").find("missing 'every'"), std::string::npos);
  EXPECT_NE(errorWith("every = 500\n").find("'every' needs 'regions' of 2 or more"), std::string::npos);
}

// A family (programs sharing code) is in one split; validation is a split.
TEST(WorkloadSuite, AFamilyIsInOneSplit) {
  std::string text = kGood;
  text.replace(text.find("name = \"k\"\n"), 11, "name = \"k\"\nfamily = \"a\"\n");
  EXPECT_EQ(errorOf(text),
            "s.toml:18:9: workload 'k': split \"test\", but 'a' of family 'a' is in \"train\" (a family is in one split)");
  text.replace(text.find("split = \"test\""), 14, "split = \"train\"");
  EXPECT_EQ(parseSuite(text, "s.toml").workloads[1].family, "a");
  std::string validation = kGood;
  validation.replace(validation.find("split = \"test\""), 14, "split = \"validation\"");
  Suite s = parseSuite(validation, "s.toml");
  ASSERT_EQ(selectWorkloads(s, {}, "validation").size(), 1u);
  EXPECT_EQ(selectWorkloads(s, {}, "validation")[0].name, "k");
}

// flac, lame, brotli, lzip and webp are kept for independent evaluation.
TEST(WorkloadSuite, ReservedPackagesAndTheirProgramsAreRefused) {
  std::string byPackage = kGood;
  byPackage.replace(byPackage.find("[\"gzip\"]"), 8, "[\"gzip\", \"lzip\"]");
  EXPECT_NE(errorOf(byPackage).find("s.toml:5:12: workload 'a': the Debian package lzip is reserved"),
            std::string::npos);
  std::string byProgram = kGood;
  byProgram.replace(byProgram.find("/usr/bin/gzip"), 13, "/usr/bin/cwebp");
  EXPECT_NE(errorOf(byProgram).find("workload 'a': cwebp comes from a Debian package reserved"), std::string::npos);
}

TEST(WorkloadSuite, UnknownNameListsTheSuite) {
  Suite s = parseSuite(kGood, "s.toml");
  try {
    selectWorkloads(s, {"zz"}, "all");
    FAIL();
  } catch (const SuiteError& e) {
    EXPECT_STREQ(e.what(), "s.toml: no workload named 'zz' (workloads: a, k)");
  }
}

TEST(WorkloadSuite, MissingProgramNamesThePackage) {
  Workload w;
  w.packages = {"xz-utils"};
  EXPECT_EQ(missingProgram(w, {"/usr/bin/pv-no-such-xz"}),
            "/usr/bin/pv-no-such-xz not found: install the Debian package xz-utils (apt-get install "
            "xz-utils)");
  EXPECT_EQ(missingProgram(w, {"/bin/sh"}), "");
}

TEST(WorkloadSuite, ScaledCountRoundsAndStaysPositive) {
  EXPECT_EQ(scaledCount(10'000'000, 0.001), 10'000u);
  EXPECT_EQ(scaledCount(10, 0.01), 1u);
  EXPECT_EQ(scaledCount(3, 2.5), 8u);
}

}  // namespace
}  // namespace pv::dataset
