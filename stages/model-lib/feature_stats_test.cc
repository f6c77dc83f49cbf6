// Feature statistics CSV: the reference file parses, the CSV form round
// trips, and every kind of bad line is refused with its line number.

#include "stages/model-lib/feature_stats.h"

#include <gtest/gtest.h>

#include <fstream>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

std::string errorOf(const std::string& text, size_t features = 2) {
  try {
    parseFeatureStatsCsv(text, "s.csv", features);
  } catch (const StageError& e) {
    return e.what();
  }
  return "";
}

TEST(FeatureStats, TheEmbeddedReferenceStatisticsParse) {
  const FeatureStats s = readFeatureStatsCsv("examples/gem5-arm-21/stats.csv", 51);
  ASSERT_EQ(s.mean.size(), 51u);
  EXPECT_NEAR(s.mean[1], 18.47036266868233, 1e-5);   // op class + 1
  EXPECT_NEAR(s.stddev[1], 21.79693491286951, 1e-5);
}

TEST(FeatureStats, CsvFormRoundTrips) {
  FeatureStats s{{1.5f, -2.25e-7f, 3e8f}, {0.0f, 1e-3f, 7.0f}};
  const FeatureStats back = parseFeatureStatsCsv(formatFeatureStatsCsv(s), "x", 3);
  EXPECT_EQ(back.mean, s.mean);
  EXPECT_EQ(back.stddev, s.stddev);
}

TEST(FeatureStats, BadFilesAreRefusedWithTheLine) {
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1,2\n1,3,4\n"), "");
  EXPECT_EQ(errorOf("index,mean,std\n0,1,2\n"), "s.csv:1: expected the header 'feature_index,mean,std'");
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1,2\n2,3,4\n"), "s.csv:3: feature index 2, expected 1");
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1,2\n1,x,4\n"), "s.csv:3: mean 'x' is not a finite number");
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1,nan\n"), "s.csv:2: std 'nan' is not a finite number");
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1,-2\n"), "s.csv:2: negative standard deviation -2");
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1\n"), "s.csv:2: 2 fields, expected 3");
  EXPECT_EQ(errorOf("feature_index,mean,std\n0,1,2\n"), "s.csv:2: statistics for 1 features, expected 2");
  EXPECT_EQ(errorOf(""), "s.csv: empty statistics file");
  try {
    readFeatureStatsCsv("/nonexistent/stats.csv", 51);
    FAIL();
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/stats.csv: cannot open", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace pv
