// Manifests survive a write/read round trip, including strings that need
// escaping, are written by toml++, and a file that is not a manifest is
// refused with its path and position.
#include "stages/model-lib/dataset_manifest.h"

#include <gtest/gtest.h>

#include "stages/core/stage_error.h"

namespace pv::dataset {
namespace {

TEST(Manifest, RoundTrips) {
  Manifest m;
  m.suite = "s";
  m.suiteFile = "examples/workloads/workloads.toml";
  m.configSource = "sample --seed 1 --count 2";
  m.configs = {"s1-0000", "s1-0001"};
  m.configHashes = {"00000000000000aa", "00000000000000bb"};
  m.inputsHash = "0123456789abcdef";
  m.scale = 0.001;
  ManifestEntry e;
  e.name = "sed";
  e.status = "failed";
  e.split = "test";
  e.command = {"/usr/bin/sed", "-E", "s/(a)\\1/\"x\"/g"};
  e.skip = 1'000'000'000;
  e.count = 10'000;
  e.error = "pipeline exit status 1\n  pv-launch: tab\there";
  e.seconds = 1.25;
  m.put(e);
  e.name = "gzip";
  e.status = "done";
  e.error.clear();
  e.records = 12'345;
  e.bytes = 999;
  e.xxh3 = "ffffffffffffffff";
  m.put(e);
  Manifest r = parseManifest(formatManifest(m), "m.toml");
  EXPECT_EQ(formatManifest(r), formatManifest(m));
  ASSERT_EQ(r.workloads.size(), 2u);
  EXPECT_EQ(r.workloads[0].command, m.workloads[0].command);
  EXPECT_EQ(r.workloads[0].error, m.workloads[0].error);
  EXPECT_DOUBLE_EQ(r.scale, 0.001);
  EXPECT_EQ(r.find("gzip")->records, 12'345u);
}

TEST(Manifest, PutReplacesByName) {
  Manifest m;
  ManifestEntry e;
  e.name = "a";
  e.status = "pending";
  m.put(e);
  e.status = "done";
  m.put(e);
  ASSERT_EQ(m.workloads.size(), 1u);
  EXPECT_EQ(m.workloads[0].status, "done");
}

TEST(Manifest, FinishedListsTheDoneWorkloadsInOrder) {
  Manifest m;
  for (const auto& [name, status] : std::vector<std::pair<std::string, std::string>>{
           {"a", "done"}, {"b", "failed"}, {"c", "pending"}, {"d", "done"}}) {
    ManifestEntry e;
    e.name = name;
    e.status = status;
    m.put(e);
  }
  std::vector<std::string> names;
  for (const ManifestEntry* e : m.finished()) names.push_back(e->name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "d"}));
  EXPECT_TRUE(Manifest{}.finished().empty());
}

std::string errorOf(const std::string& text) {
  try {
    parseManifest(text, "dir/manifest.toml");
  } catch (const StageError& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Manifest, RefusesOtherFilesAtTheirPosition) {
  EXPECT_EQ(errorOf("x = 1\n"), "dir/manifest.toml: not a manifest: no [dataset] table");
  const std::string e = errorOf("[dataset\n");
  EXPECT_EQ(e.rfind("dir/manifest.toml:1:", 0), 0u) << e;
  EXPECT_NE(e.find(": not a manifest: TOML: "), std::string::npos) << e;
  EXPECT_EQ(errorOf("[dataset]\nsuite = 3\n"), "dir/manifest.toml:2:9: not a manifest: 'suite' must be a string");
  EXPECT_EQ(errorOf("[dataset]\n[[workload]]\nname = \"a\"\nskip = -1\n"),
            "dir/manifest.toml:4:8: not a manifest: 'skip' must be an integer, 0 or more");
  EXPECT_EQ(errorOf("[dataset]\n[[workload]]\nstatus = \"done\"\n"),
            "dir/manifest.toml:2:1: not a manifest: a [[workload]] without a name");
  EXPECT_EQ(errorOf("[dataset]\nconfigs = [\"a\", 1]\n"),
            "dir/manifest.toml:2:17: not a manifest: 'configs' must hold strings only");
  // Before toml++ (tests/fuzz): a character toml++ 3.3.0 cannot classify.
  EXPECT_EQ(errorOf("[dataset]\nsuite = \"caf\u00e9\"\n").rfind("dir/manifest.toml:2:13: not a manifest: TOML: "
                                                               "character U+00E9 is refused", 0),
            0u);
}

TEST(Manifest, ManifestsOfTheHandWrittenLayoutBeforeTomlPlusPlusStillRead) {
  const Manifest m = parseManifest(
      "# pv-dataset manifest: rewritten after every workload; a workload is finished\n"
      "# only when its status is \"done\" and its file has this size and XXH3-64.\n\n"
      "[dataset]\nsuite = \"perfvec-workloads-v1\"\nsuite_file = \"examples/workloads/workloads.toml\"\n"
      "config_source = \"sample --seed 1 --count 2\"\nconfigs = [\"s1-0000\", \"s1-0001\"]\n"
      "config_hashes = [\"fea8824939bad9e9\", \"8f4220d7fe646d2e\"]\ninputs_hash = \"1331391ef568a91a\"\n"
      "scale = 0.01\n\n[[workload]]\nname = \"gzip\"\nstatus = \"done\"\nsplit = \"train\"\n"
      "file = \"gzip.pvs.zst\"\nreport = \"reports/gzip.json\"\n"
      "command = [\"/usr/bin/gzip\", \"-9\", \"-c\", \"inputs/corpus.txt\"]\nskip = 200000000\n"
      "count = 100000\ninstructions = 100000\nrecords = 123135\nbytes = 636570\nxxh3 = \"b01780dec85abc62\"\n"
      "configs = [\"s1-0000\", \"s1-0001\"]\nkey = \"e1bbfe37373d9baf\"\nseconds = 3.06\n",
      "old.toml");
  EXPECT_EQ(m.configs, (std::vector<std::string>{"s1-0000", "s1-0001"}));
  EXPECT_EQ(m.scale, 0.01);
  ASSERT_EQ(m.workloads.size(), 1u);
  const ManifestEntry& e = m.workloads[0];
  EXPECT_EQ(e.command, (std::vector<std::string>{"/usr/bin/gzip", "-9", "-c", "inputs/corpus.txt"}));
  EXPECT_EQ(e.skip, 200'000'000u);
  EXPECT_EQ(e.records, 123'135u);
  EXPECT_EQ(e.key, "e1bbfe37373d9baf");
  EXPECT_EQ(e.seconds, 3.06);
}

TEST(Manifest, IsWrittenWithTomlPlusPlus) {
  Manifest m;
  m.suite = "s";
  m.suiteFile = "w.toml";
  m.configSource = "dir caf\u00e9";  // written as an escape, which the reader's guard lets through
  m.configs = {"a"};
  m.configHashes = {"00000000000000aa"};
  m.inputsHash = "0123456789abcdef";
  m.scale = 0.01;
  ManifestEntry e;
  e.name = "gzip";
  e.status = "done";
  e.split = "train";
  e.file = "gzip.pvs.zst";
  e.report = "reports/gzip.json";
  e.command = {"/usr/bin/gzip", "-c"};
  e.skip = 200'000'000;
  e.count = 100'000;
  e.instructions = 100'000;
  e.records = 123'135;
  e.bytes = 636'570;
  e.xxh3 = "b01780dec85abc62";
  e.key = "e1bbfe37373d9baf";
  e.seconds = 3.0649;  // two decimals, as always
  m.put(e);
  EXPECT_EQ(formatManifest(m),
            "# pv-dataset manifest: rewritten after every workload; a workload is finished\n"
            "# only when its status is \"done\" and its file has this size and XXH3-64.\n"
            "\n"
            "[dataset]\n"
            "config_hashes = [ \"00000000000000aa\" ]\n"
            "config_source = \"dir caf\\u00E9\"\n"
            "configs = [ \"a\" ]\n"
            "inputs_hash = \"0123456789abcdef\"\n"
            "scale = 0.01\n"
            "suite = \"s\"\n"
            "suite_file = \"w.toml\"\n"
            "\n"
            "[[workload]]\n"
            "bytes = 636570\n"
            "command = [ \"/usr/bin/gzip\", \"-c\" ]\n"
            "configs = [ \"a\" ]\n"
            "count = 100000\n"
            "file = \"gzip.pvs.zst\"\n"
            "instructions = 100000\n"
            "key = \"e1bbfe37373d9baf\"\n"
            "name = \"gzip\"\n"
            "records = 123135\n"
            "report = \"reports/gzip.json\"\n"
            "seconds = 3.06\n"
            "skip = 200000000\n"
            "split = \"train\"\n"
            "status = \"done\"\n"
            "xxh3 = \"b01780dec85abc62\"\n");
  const Manifest r = parseManifest(formatManifest(m), "m.toml");
  EXPECT_EQ(r.configSource, m.configSource);
  EXPECT_EQ(r.workloads[0].seconds, 3.06);
}

}  // namespace
}  // namespace pv::dataset
