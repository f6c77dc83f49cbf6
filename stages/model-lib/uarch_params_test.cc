// Microarchitecture parameters come from the configuration reader
// (uarch_config.h): a complete file gives exactly its keys and values as
// written, a partial one the defaults pv-uarch simulates for the rest.

#include "stages/model-lib/uarch_params.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

// "table.key" -> value text of a flat TOML file, read line by line (strings
// unquoted), independently of toml++.
std::vector<std::pair<std::string, std::string>> keysAsWritten(const std::string& path, std::string& name) {
  std::ifstream in(path);
  std::vector<std::pair<std::string, std::string>> out;
  std::string table;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      table = line.substr(1, line.find(']') - 1);
      continue;
    }
    const size_t eq = line.find(" = ");
    std::string key = line.substr(0, eq), value = line.substr(eq + 3);
    if (value.front() == '"') value = value.substr(1, value.size() - 2);
    // Parameters hold numbers in their shortest form, as they always did.
    if (value.ends_with(".0")) value.resize(value.size() - 2);
    if (table.empty()) name = value;
    else out.emplace_back(table + "." + key, value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(UarchParams, aCompleteFileGivesItsKeysAndValuesAsWritten) {
  const std::string path = "examples/foundation/uarchs/s7-0000.toml";
  std::string name;
  const auto expected = keysAsWritten(path, name);
  ASSERT_EQ(expected.size(), 122u);
  Microarchitecture u = readUarchConfig(path);
  EXPECT_EQ(u.name, "s7-0000");
  EXPECT_EQ(u.name, name);
  EXPECT_EQ(u.params, expected);
  EXPECT_EQ(u.clockGhz, 2.5);
  EXPECT_TRUE(u.representation.empty());
}

TEST(UarchParams, aPartialFileGetsTheDefaultsItIsSimulatedWith) {
  Microarchitecture u = parseUarchConfig("[core]\nfrequency_ghz = 3\nrob = 64\n[memory]\nkind = \"DDR5_4400_4x8\"\n",
                                         "dir/small.toml");
  EXPECT_EQ(u.name, "small");
  EXPECT_EQ(u.clockGhz, 3.0);
  ASSERT_EQ(u.params.size(), 122u);
  EXPECT_EQ(*u.param("core.frequency_ghz"), "3");
  EXPECT_EQ(*u.param("core.rob"), "64");
  EXPECT_EQ(*u.param("core.issue_queue"), "64");  // the default
  EXPECT_EQ(*u.param("core.type"), "out_of_order");
  EXPECT_EQ(*u.param("memory.kind"), "DDR5_4400_4x8");
  EXPECT_EQ(*u.param("memory.latency_ns"), "50");  // the kind's
  EXPECT_EQ(*u.param("memory.bandwidth_gbps"), "17.6");
  EXPECT_EQ(*u.param("l3.enabled"), "false");
}

TEST(UarchParams, badFilesAreRefusedWithTheirPosition) {
  try {
    parseUarchConfig("[core]\nrob = 0\n", "a.toml");
    FAIL() << "accepted";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), "a.toml:2:7: core.rob = 0 is out of range [1, 4096]");
  }
  EXPECT_THROW(readUarchConfig("/nonexistent/a.toml"), StageError);
}

}  // namespace
}  // namespace pv
