// pv-uarch sample's files parse back to the drawn configurations; the
// report format follows --report-format, else the file's name.

#include "stages/uarch/uarch_command.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "stages/core/stage_error.h"
#include "stages/uarch/config_sampler.h"
#include "tests/composition/process.h"

namespace pv::uarch {
namespace {

using pv::testing::ScratchDir;
using pv::testing::slurp;
using pv::testing::spit;

TEST(UarchCommand, sampledFilesHoldTheDrawnConfigurations) {
  ScratchDir dir;
  SampleOptions o;
  o.seed = 7;
  o.count = 3;
  o.first = 2;
  o.dir = dir / "configs/new";  // made
  spit(dir / "old.toml", "");
  const auto paths = writeSampledConfigs(o);
  ASSERT_EQ(paths, (std::vector<std::string>{dir / "configs/new/s7-0002.toml", dir / "configs/new/s7-0003.toml",
                                             dir / "configs/new/s7-0004.toml"}));
  for (uint32_t i = 0; i < 3; ++i) {
    const std::string text = slurp(paths[i]);
    EXPECT_EQ(text.substr(0, text.find('\n')), "# pv-uarch sample --seed 7 (index " + std::to_string(i + 2) + ")");
    EXPECT_EQ(parseConfig(text, paths[i]), sampleConfig(7, i + 2));
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(o.dir), {}), 3);  // no temporary files
}

TEST(UarchCommand, aFolderThatCannotBeMadeIsNamed) {
  ScratchDir dir;
  spit(dir / "file", "");
  SampleOptions o;
  o.dir = dir / "file/configs";
  try {
    writeSampledConfigs(o);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), o.dir);
    EXPECT_EQ(e.message(), "Not a directory");
  }
}

TEST(UarchCommand, theReportFormatIsTheOptionsElseTheNames) {
  EXPECT_EQ(reportFormatOf("auto", "r.json"), ReportFormat::kJson);
  EXPECT_EQ(reportFormatOf("auto", "r.csv"), ReportFormat::kCsv);
  EXPECT_EQ(reportFormatOf("auto", "r.txt"), ReportFormat::kText);
  EXPECT_EQ(reportFormatOf("csv", "r.json"), ReportFormat::kCsv);
  EXPECT_EQ(reportFormatOf("text", "r.csv"), ReportFormat::kText);
  EXPECT_EQ(reportFormatOf("json", "-"), ReportFormat::kJson);
}

}  // namespace
}  // namespace pv::uarch
