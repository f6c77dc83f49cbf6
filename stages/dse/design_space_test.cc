#include "stages/dse/design_space.h"

#include <gtest/gtest.h>

#include "stages/core/stage_error.h"
#include "stages/dse/test_space.h"
#include "stages/model-lib/uarch_config_toml.h"
#include "tests/composition/process.h"

namespace pv::dse {
namespace {

using testing::ScratchDir;
using testing::spit;

class DesignSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override { spit(dir / "base.toml", testing::kBaseConfig); }
  DesignSpace parse(const std::string& text) { return DesignSpace::parse(text, dir / "space.toml"); }
  // The message of the StageError parsing `text` throws ("" when none).
  std::string errorOf(const std::string& text) {
    try {
      parse(text);
    } catch (const StageError& e) {
      return e.what();
    }
    return "";
  }
  ScratchDir dir;
};

std::vector<std::string> texts(const SpaceParameter& p) {
  std::vector<std::string> out;
  for (const auto& v : p.values) out.push_back(valueText(v));
  return out;
}

TEST_F(DesignSpaceTest, listsStepsAndFactorsGiveTheirValues) {
  const DesignSpace s = parse(
      "base = \"base.toml\"\n"
      "[parameters]\n"
      "l1d.size_kb = [16, 32, 64]\n"
      "l2.size_kb = { min = 256, max = 4096, factor = 2 }\n"
      "\"core.rob\" = { min = 64, max = 250, step = 64 }\n"
      "core.frequency_ghz = { min = 1.0, max = 2.0, step = 0.5 }\n"
      "branch.predictor = { values = [\"gshare\", \"tage\"] }\n");
  ASSERT_EQ(s.parameters().size(), 5u);
  EXPECT_EQ(s.parameters()[0].key, "l1d.size_kb");
  EXPECT_EQ(s.parameters()[0].position, "3:1");
  EXPECT_EQ(texts(s.parameters()[0]), (std::vector<std::string>{"16", "32", "64"}));
  EXPECT_EQ(texts(s.parameters()[1]), (std::vector<std::string>{"256", "512", "1024", "2048", "4096"}));
  EXPECT_EQ(texts(s.parameters()[2]), (std::vector<std::string>{"64", "128", "192"}));
  EXPECT_EQ(texts(s.parameters()[3]), (std::vector<std::string>{"1", "1.5", "2"}));
  EXPECT_EQ(texts(s.parameters()[4]), (std::vector<std::string>{"gshare", "tage"}));
  EXPECT_EQ(s.pointCount(), 3u * 5 * 3 * 3 * 2);
  EXPECT_EQ(s.basePath(), dir / "base.toml");
}

TEST_F(DesignSpaceTest, parametersComeInFileOrder) {
  const DesignSpace s =
      parse("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16]\nl2.size_kb = [256]\nl1d.ways = [4]\n");
  ASSERT_EQ(s.parameters().size(), 3u);
  EXPECT_EQ(s.parameters()[0].key, "l1d.size_kb");
  EXPECT_EQ(s.parameters()[1].key, "l2.size_kb");
  EXPECT_EQ(s.parameters()[2].key, "l1d.ways");
}

TEST_F(DesignSpaceTest, pointsCountInMixedRadixWithTheLastParameterFastest) {
  const DesignSpace s =
      parse("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16, 32, 64]\nl2.size_kb = [256, 512]\n");
  EXPECT_EQ(s.pointAt(0), (PointChoice{0, 0}));
  EXPECT_EQ(s.pointAt(1), (PointChoice{0, 1}));
  EXPECT_EQ(s.pointAt(2), (PointChoice{1, 0}));
  EXPECT_EQ(s.pointAt(5), (PointChoice{2, 1}));
  EXPECT_EQ(s.describe(s.pointAt(3)), "l1d.size_kb=32 l2.size_kb=512");
}

TEST_F(DesignSpaceTest, aPointIsTheBaseWithItsKeysSetAsInAFile) {
  const DesignSpace s =
      parse("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16, 32, 64]\nl2.size_kb = [256, 512]\n");
  const uarch::UarchConfig c = s.configAt(s.pointAt(3), "p3");
  // The same configuration as a file written by hand for the point.
  uarch::UarchConfig byHand = uarch::parseConfig(testing::pointConfig(32, 512), "p3.toml");
  byHand.name = "p3";
  EXPECT_EQ(c, byHand);
  EXPECT_EQ(c.core.rob, 128u);  // the base's
  EXPECT_EQ(uarch::parseConfig(s.configTomlAt(s.pointAt(3), "p3"), "x.toml"), byHand);
}

TEST_F(DesignSpaceTest, variablesAreTheNumericKeysWithThePointsValues) {
  const DesignSpace s = parse("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16, 32]\n");
  const auto& names = s.variableNames();
  const auto l1 = std::find(names.begin(), names.end(), "l1d.size_kb") - names.begin();
  const auto rob = std::find(names.begin(), names.end(), "core.rob") - names.begin();
  ASSERT_LT(size_t(l1), names.size());
  ASSERT_LT(size_t(rob), names.size());
  EXPECT_EQ(std::find(names.begin(), names.end(), "branch.predictor"), names.end());  // text, not a number
  const std::vector<double> v = s.variablesAt(PointChoice{1});
  EXPECT_EQ(v[l1], 32);
  EXPECT_EQ(v[rob], 128);
}

TEST_F(DesignSpaceTest, constraintsRuleOutPoints) {
  const DesignSpace s = parse(
      "base = \"base.toml\"\nconstraints = [\"l2.size_kb >= 16 * l1d.size_kb\", \"l1d.size_kb < 64\"]\n"
      "[parameters]\nl1d.size_kb = [16, 32, 64]\nl2.size_kb = [256, 512]\n");
  EXPECT_EQ(s.brokenConstraint(s.variablesAt({0, 0})), std::nullopt);  // 256 >= 256
  EXPECT_EQ(s.brokenConstraint(s.variablesAt({1, 0})), 0u);            // 256 < 512
  EXPECT_EQ(s.brokenConstraint(s.variablesAt({1, 1})), std::nullopt);
  EXPECT_EQ(s.brokenConstraint(s.variablesAt({2, 1})), 0u);
  EXPECT_EQ(s.constraints()[1].position, "2:50");
}

TEST_F(DesignSpaceTest, anUnknownParameterIsNamedWithItsPosition) {
  const std::string file = dir / "space.toml";
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16]\nl1d.size = [1, 2]\n"),
            file +
                ":4:1: unknown parameter 'l1d.size': [l1d] has the keys latency, mshrs, prefetch_degree, "
                "prefetcher, size_kb, ways");
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\nl4.size_kb = [1, 2]\n"),
            file +
                ":3:1: unknown parameter 'l4.size_kb': not a key of a pv-uarch configuration (its tables: "
                "branch, core, l1d, l1i, l2, l3, latency, memory, units)");
}

TEST_F(DesignSpaceTest, anEmptyRangeOrListIsAnError) {
  const std::string file = dir / "space.toml";
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\nl1d.size_kb = { min = 64, max = 16, step = 16 }\n"),
            file + ":3:15: parameter 'l1d.size_kb': empty range: min 64 is greater than max 16");
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\nl1d.size_kb = []\n"),
            file + ":3:15: parameter 'l1d.size_kb': empty list of values");
}

TEST_F(DesignSpaceTest, aMalformedConstraintIsNamedWithItsPosition) {
  const std::string file = dir / "space.toml";
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16]\n[other]\n"),
            file + ":4:2: unknown key 'other' (allowed: base, constraints, parameters)");
  const std::string e =
      errorOf("base = \"base.toml\"\nconstraints = [\"l2.size_kb >= \"]\n[parameters]\nl1d.size_kb = [16]\n");
  EXPECT_EQ(e, file + ":2:16: constraint \"l2.size_kb >= \": Unexpected end of expression at position 15");
  EXPECT_NE(errorOf("base = \"base.toml\"\nconstraints = [\"l2.sizekb > 1\"]\n[parameters]\nl1d.size_kb = [16]\n")
                .find(file + ":2:16: constraint \"l2.sizekb > 1\": Unexpected token \"l2.sizekb\""),
            std::string::npos);
}

TEST_F(DesignSpaceTest, aValueTheConfigurationRefusesIsNamedAtItsParameter) {
  const std::string file = dir / "space.toml";
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16, 5000]\n"),
            file + ":3:1: parameter 'l1d.size_kb': l1d.size_kb = 5000 is out of range [1, 4096]");
  EXPECT_EQ(errorOf("base = \"base.toml\"\n[parameters]\ncore.rob = [1.5]\n"),
            file + ":3:1: parameter 'core.rob': core.rob must be an integer, not a float");
}

TEST_F(DesignSpaceTest, theBaseIsNeededAndReadRelativeToTheSpaceFile) {
  const std::string file = dir / "space.toml";
  EXPECT_EQ(errorOf("[parameters]\nl1d.size_kb = [16]\n"),
            file + ": no base configuration (base = \"FILE.toml\", a pv-uarch configuration)");
  EXPECT_NE(errorOf("base = \"missing.toml\"\n[parameters]\nl1d.size_kb = [16]\n").find(dir / "missing.toml"),
            std::string::npos);
}

TEST_F(DesignSpaceTest, pointsTheFormatRefusesAreNamed) {
  // 16 KB of 3 ways is not a whole number of sets of 64-byte lines.
  const DesignSpace s = parse("base = \"base.toml\"\n[parameters]\nl1d.ways = [3, 4]\nl1d.size_kb = [16, 24]\n");
  EXPECT_NO_THROW(s.configAt({0, 1}, "p"));
  try {
    s.configAt({0, 0}, "p");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), dir / "space.toml");
    EXPECT_NE(e.message().find("point l1d.ways=3 l1d.size_kb=16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pv::dse
