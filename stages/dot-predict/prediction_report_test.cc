// pv-dot-predict's output formats, byte for byte on a small example.

#include "stages/dot-predict/prediction_report.h"

#include <gtest/gtest.h>

#include "stages/core/stage_error.h"

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

}  // namespace
}  // namespace pv
