// Suite files: the shipped suite parses and meets the issue's promises;
// every mistake in an entry is reported at its file:line:column.
#include "dataset/workload_suite.h"

#include <gtest/gtest.h>

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

TEST(WorkloadSuite, ShippedSuiteHasSixteenDebianProgramsAndSixHeldOut) {
  // Tests run from the repository root.
  Suite s = loadSuite("examples/workloads/workloads.toml");;
  std::set<std::string> programs;
  size_t test = 0, kernels = 0;
  for (const auto& w : s.workloads) {
    if (w.packages.empty()) kernels++;
    else programs.insert(w.command.front());
    if (w.split == "test") test++;
  }
  EXPECT_GE(programs.size(), 16u);
  EXPECT_GE(kernels, 4u);
  EXPECT_GE(test, 6u);
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
            "s.toml:9:9: workload 'a': split must be \"train\" or \"test\", not \"val\"");
  EXPECT_EQ(with("count = 100", "count = 0"), "s.toml:8:9: workload 'a': 'count' must be positive");
  EXPECT_EQ(with("skip = 10\n", "skp = 10\n"),
            "s.toml:7:1: unknown key 'skp' in workload 'a' (allowed: name, packages, command, env, "
            "skip, count, split, description)");
  EXPECT_NE(with("{inputs}/corpus", "{input}/corpus").find("s.toml:6:11: workload 'a': unknown placeholder '{input}'"),
            std::string::npos);
  EXPECT_NE(with("\"-c\"", "\"-c x\"").find("holds a blank"), std::string::npos);
  EXPECT_NE(with("name = \"k\"", "name = \"a\"").find("s.toml:11:8: duplicate workload name 'a' (first at line 3)"),
            std::string::npos);
  EXPECT_NE(with("packages = [\"gzip\"]\n", "").find("missing 'packages'"), std::string::npos);
  EXPECT_NE(errorOf("[suite\n").find("s.toml:1:"), std::string::npos);
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
