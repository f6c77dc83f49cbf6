// Manifests survive a write/read round trip, including strings that need
// escaping, and a file that is not a manifest is refused with its path.
#include "stages/model-lib/dataset_manifest.h"

#include <gtest/gtest.h>

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

TEST(Manifest, RefusesOtherFiles) {
  EXPECT_THROW(parseManifest("x = 1\n", "m.toml"), std::runtime_error);
  try {
    parseManifest("[dataset\n", "dir/manifest.toml");
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("dir/manifest.toml: not a manifest", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace pv::dataset
