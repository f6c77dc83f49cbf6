// The pv-uarch report reader on good and bad reports.

#include "stages/model-lib/uarch_report.h"

#include <gtest/gtest.h>

#include "stages/core/stage_error.h"
#include "tests/composition/process.h"

namespace pv {
namespace {

TEST(TruthReader, readsAPvUarchReport) {
  const TruthTimes truth = parseTruth(
      "[\n  {\"uarch\": \"s5-0000\", \"cycles\": 123, \"time_ns\": 61.5, \"cpi\": 1.23},\n"
      "  {\"uarch\": \"s5-0001\", \"time_ns\": 0, \"l1d_miss_rate\": null}\n]\n",
      "chase.json");
  EXPECT_EQ(truth, (TruthTimes{{"s5-0000", 61.5}, {"s5-0001", 0.0}}));
  pv::testing::ScratchDir dir;
  pv::testing::spit(dir / "r.json", "[{\"uarch\": \"a\", \"time_ns\": 2e3}]");
  EXPECT_EQ(readTruth(dir / "r.json"), (TruthTimes{{"a", 2000.0}}));
}

struct BadReport {
  std::string text, position, message;
};

TEST(TruthReader, badReportsAreNamedWithThePlace) {
  const std::vector<BadReport> cases = {
      {"[\n  {\"uarch\": \"a\", \"time_ns\": 1},\n  {\"uarch\": \"b\" \"time_ns\": 2}\n]", "3:25",
       "not JSON: syntax error while parsing object - unexpected string literal; expected '}'"},
      {"[{\"uarch\": \"a\", \"time_ns\": 1}", "1:30",
       "not JSON: syntax error while parsing array - unexpected end of input; expected ']'"},
      {"", "1:1", "not JSON: syntax error while parsing value - unexpected end of input; expected '[', '{', or a "
                  "literal"},
      {"{\"uarch\": \"a\", \"time_ns\": 1}", "",
       "not a pv-uarch report (a JSON array of {\"uarch\", \"time_ns\", ...})"},
      {"[{\"uarch\": \"a\", \"time_ns\": 1}, {\"uarch\": \"b\", \"time_ns\": \"2\"}]", "entry 2",
       "no \"uarch\" name or numeric \"time_ns\""},
      {"[{\"time_ns\": 1}]", "entry 1", "no \"uarch\" name or numeric \"time_ns\""},
      {"[3]", "entry 1", "no \"uarch\" name or numeric \"time_ns\""},
      {"[{\"uarch\": \"a\", \"time_ns\": -4.5}]", "entry 1", "uarch 'a': time_ns -4.5 is not a time (finite, >= 0)"},
      {"[{\"uarch\": \"a\",\n  \"time_ns\": 1e999}]", "2:14", "not a report: number overflow parsing '1e999'"},
      {"[{\"uarch\": \"a\", \"time_ns\": 1}, {\"uarch\": \"b\", \"time_ns\": 1}, {\"uarch\": \"a\", \"time_ns\": 2}]",
       "entry 3", "uarch 'a' again (entry 1 has it)"},
  };
  for (const auto& c : cases) {
    try {
      parseTruth(c.text, "report.json");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const StageError& e) {
      EXPECT_EQ(e.input(), "report.json") << c.text;
      EXPECT_EQ(e.position(), c.position) << c.text;
      EXPECT_EQ(e.message(), c.message) << c.text;
    }
  }
  try {
    readTruth("/nonexistent/report.json");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/report.json: cannot read: No such file or directory");
  }
}

}  // namespace
}  // namespace pv
