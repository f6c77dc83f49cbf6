// pv-dot-predict's output formats, byte for byte on a small example, and its
// ground-truth reader on good and bad reports.

#include "stages/dot-predict/prediction_report.h"

#include <gtest/gtest.h>

#include "stages/core/stage_error.h"
#include "tests/composition/process.h"

namespace pv {
namespace {

const std::vector<std::string> kTargets = {"fetch", "commit"};

// Two microarchitectures of a 100-instruction program: one with a clock,
// one without.
Prediction example() {
  Prediction p;
  p.instructions = 100;
  p.uarchs = {{"fast", {1.5, 141.23456789}, 14.123456789, 2.0, 28.246913578, 0.28246913578},
              {"slow", {4, 320}, 32, 0, 0, 0}};
  return p;
}

// fast's truth gives an error of +41.2346%; slow's is 0: no error.
const TruthTimes kTruth = {{"fast", 10.0}, {"slow", 0.0}};

TEST(PredictionReport, textIsATableWithTruthAndTargets) {
  ReportOptions o;
  o.allTargets = true;
  o.truth = &kTruth;
  EXPECT_EQ(formatPredictions({example()}, kTargets, o),
            "uarch                             time ns           cycles       CPI         truth ns     error"
            "        fetch       commit\n"
            "fast                              14.1235          28.2469    0.2825               10   +41.23%"
            "          1.5      141.235\n"
            "slow                                   32                -         -                -         -"
            "            4          320\n"
            "mean |error| 41.23%, max 41.23% over 1 microarchitectures with a truth\n");
  EXPECT_EQ(formatPredictions({example()}, kTargets, ReportOptions{}),
            "uarch                             time ns           cycles       CPI\n"
            "fast                              14.1235          28.2469    0.2825\n"
            "slow                                   32                -         -\n");
}

TEST(PredictionReport, csvHasNineSignificantDigitsAndEmptyCellsWithoutTruth) {
  ReportOptions o;
  o.format = PredictionFormat::kCsv;
  o.allTargets = true;
  o.truth = &kTruth;
  EXPECT_EQ(formatPredictions({example()}, kTargets, o),
            "uarch,time_ns,clock_ghz,cycles,cpi,truth_ns,error,fetch,commit\n"
            "fast,14.1234568,2,28.2469136,0.282469136,10,0.412346,1.5,141.234568\n"
            "slow,32,0,0,0,,,4,320\n");
}

TEST(PredictionReport, jsonLinesHoldWhatIsKnownOfEachMicroarchitecture) {
  ReportOptions o;
  o.format = PredictionFormat::kJson;
  o.allTargets = true;
  o.truth = &kTruth;
  Prediction p = example();
  p.uarchs[1].uarch = "big \"core\"\t2";  // escaped by the JSON writer
  EXPECT_EQ(formatPredictions({p}, kTargets, o),
            "{\"uarch\":\"fast\",\"first_index\":0,\"instructions\":100,\"time_ns\":14.1234568,"
            "\"clock_ghz\":2.0,\"cycles\":28.2469136,\"cpi\":0.282469136,\"truth_ns\":10.0,\"error\":0.412346,"
            "\"targets\":{\"fetch\":1.5,\"commit\":141.234568}}\n"
            "{\"uarch\":\"big \\\"core\\\"\\t2\",\"first_index\":0,\"instructions\":100,\"time_ns\":32.0,"
            "\"targets\":{\"fetch\":4.0,\"commit\":320.0}}\n");
}

TEST(PredictionReport, intervalsStartEachRowWithTheirPlace) {
  Prediction first = example(), second = example();
  first.instructions = 60;
  second.firstIndex = 60;
  second.instructions = 40;
  first.uarchs.resize(1);
  second.uarchs.resize(1);
  ReportOptions o;
  o.intervals = true;
  EXPECT_EQ(formatPredictions({first, second}, kTargets, o),
            "       first instructions uarch                             time ns           cycles       CPI\n"
            "           0           60 fast                              14.1235          28.2469    0.2825\n"
            "          60           40 fast                              14.1235          28.2469    0.2825\n");
  o.format = PredictionFormat::kCsv;
  EXPECT_EQ(formatPredictions({first, second}, kTargets, o),
            "first_index,instructions,uarch,time_ns,clock_ghz,cycles,cpi\n"
            "0,60,fast,14.1234568,2,28.2469136,0.282469136\n"
            "60,40,fast,14.1234568,2,28.2469136,0.282469136\n");
}

TEST(PredictionReport, aParametricEntryIsComparedWithItsConfigurationsTruth) {
  Prediction p = example();
  p.uarchs.resize(1);
  p.uarchs[0].uarch = "fast (parametric)";
  ReportOptions o;
  o.format = PredictionFormat::kCsv;
  o.truth = &kTruth;
  EXPECT_EQ(formatPredictions({p}, kTargets, o),
            "uarch,time_ns,clock_ghz,cycles,cpi,truth_ns,error\n"
            "fast (parametric),14.1234568,2,28.2469136,0.282469136,10,0.412346\n");
}

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
