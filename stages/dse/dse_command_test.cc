#include "stages/dse/dse_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/dse/test_space.h"
#include "stages/model-lib/prediction.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/model-lib/uarch_report.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"

namespace pv::dse {
namespace {

using testing::ScratchDir;
using testing::spit;

const std::vector<int> kL1 = {16, 32, 64};
const std::vector<int> kL2 = {256, 512, 1024};

class DseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model = testing::cacheModel();
    saveModel(model, dir / "m.pvm");
    testing::writeProgram(dir / "a.rp", model.encoderHash, {10, 20}, 1000);
    testing::writeProgram(dir / "b.rp", model.encoderHash, {30, 5}, 2000);
    spit(dir / "base.toml", testing::kBaseConfig);
    spit(dir / "space.toml",
         "base = \"base.toml\"\n[parameters]\nl1d.size_kb = [16, 32, 64]\nl2.size_kb = { min = 256, max = 1024, "
         "factor = 2 }\n");
    o.modelPath = dir / "m.pvm";
    o.inputs = {dir / "a.rp", dir / "b.rp"};
    o.spacePath = dir / "space.toml";
    o.output = dir / "out.csv";
    o.format = ReportFormat::kCsv;
    o.top = 9;
  }

  // The brute force: a configuration file written by hand for the point,
  // read by the one reader, M_u from the parametric model, the dot product
  // of each program: its times in ns.
  std::vector<double> bruteForce(int l1, int l2) {
    const std::string path = dir / ("p" + std::to_string(l1) + "-" + std::to_string(l2) + ".toml");
    spit(path, testing::pointConfig(l1, l2));
    const std::vector<float> m = parametricRepresentation(model, readUarchConfig(path), path);
    std::vector<double> times;
    for (const std::string& input : o.inputs) {
      const Program p = readProgram(input);
      times.push_back(targetDot(p.sum, m, timeTargetIndex(model)) / kTimeUnitsPerNs);
    }
    return times;
  }

  // The CSV's rows as maps from column to text.
  std::vector<std::map<std::string, std::string>> csvRows() {
    std::istringstream in(readFileBytes(o.output));
    std::string line;
    std::getline(in, line);
    std::vector<std::string> header;
    std::istringstream h(line);
    for (std::string f; std::getline(h, f, ',');) header.push_back(f);
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
      std::istringstream r(line);
      std::map<std::string, std::string> row;
      size_t i = 0;
      for (std::string f; std::getline(r, f, ',');) row[header.at(i++)] = f;
      rows.push_back(row);
    }
    return rows;
  }

  ScratchDir dir;
  Model model;
  DseOptions o;
};

TEST_F(DseTest, theExhaustiveSearchEqualsABruteForceLoopOverThePoints) {
  // In the library: every point's numbers are the brute force's, bit for bit.
  const DesignSpace space = DesignSpace::read(o.spacePath);
  std::vector<Program> programs = {readProgram(o.inputs[0]), readProgram(o.inputs[1])};
  const PointEvaluator evaluator(space, model, programs, objectiveOf(o));
  const SearchOutcome outcome = searchSpace(evaluator, o.search);
  EXPECT_TRUE(outcome.exhaustive);
  ASSERT_EQ(outcome.points.size(), 9u);
  double bestTime = INFINITY;
  uint64_t bestId = 0;
  for (const ScoredPoint& p : outcome.points) {
    const PointChoice c = space.pointAt(p.id);
    const std::vector<double> truth = bruteForce(kL1[c[0]], kL2[c[1]]);
    EXPECT_EQ(p.timeNs, truth[0] + truth[1]) << space.describe(c);
    EXPECT_EQ(p.cost, 1000 + 10 * kL1[c[0]] + kL2[c[1]]);
    if (truth[0] + truth[1] < bestTime) bestTime = truth[0] + truth[1], bestId = p.id;
  }
  EXPECT_EQ(bestPoints(outcome, 1)[0].id, bestId);
  EXPECT_EQ(space.pointAt(bestId), (PointChoice{2, 2}));  // the biggest caches are the fastest

  // Through the command: the CSV's best rows are the nine points in the
  // brute force's order, with its per-program times.
  runDse(o);
  int best = 0;
  double previous = 0;
  for (const auto& row : csvRows()) {
    if (row.at("set") != "best") continue;
    ++best;
    const std::vector<double> truth = bruteForce(std::stoi(row.at("l1d.size_kb")), std::stoi(row.at("l2.size_kb")));
    EXPECT_NEAR(std::stod(row.at("time_ns:a")), truth[0], 1e-8 * truth[0]);
    EXPECT_NEAR(std::stod(row.at("time_ns:b")), truth[1], 1e-8 * truth[1]);
    EXPECT_NEAR(std::stod(row.at("time_ns")), truth[0] + truth[1], 1e-8 * (truth[0] + truth[1]));
    EXPECT_GE(std::stod(row.at("objective")), previous);
    previous = std::stod(row.at("objective"));
  }
  EXPECT_EQ(best, 9);
}

TEST_F(DseTest, theReportedPointsConfigurationsAreWrittenAndPredictTheSameTimes) {
  o.top = 2;
  o.configsDir = dir / "configs";
  runDse(o);
  for (const auto& row : csvRows()) {
    const std::string path = o.configsDir + "/" + row.at("set") + "-" + row.at("rank") + ".toml";
    const Microarchitecture u = readUarchConfig(path);
    EXPECT_EQ(u.name, row.at("set") + "-" + row.at("rank"));
    EXPECT_EQ(*u.param("l1d.size_kb"), row.at("l1d.size_kb"));
    EXPECT_EQ(*u.param("l2.size_kb"), row.at("l2.size_kb"));
    EXPECT_EQ(*u.param("core.rob"), "128");  // the base's
    const Program a = readProgram(o.inputs[0]);
    const double t =
        targetDot(a.sum, parametricRepresentation(model, u, path), timeTargetIndex(model)) / kTimeUnitsPerNs;
    EXPECT_NEAR(std::stod(row.at("time_ns:a")), t, 1e-8 * t);
  }
}

TEST_F(DseTest, timeCostIsTimeTimesTheOriginalsCostAndItsFrontIsNonDominated) {
  o.objective = "time-cost";
  o.format = ReportFormat::kCsv;
  runDse(o);
  std::vector<std::pair<double, double>> front;
  bool first = true;
  for (const auto& row : csvRows()) {
    const int l1 = std::stoi(row.at("l1d.size_kb")), l2 = std::stoi(row.at("l2.size_kb"));
    const std::vector<double> truth = bruteForce(l1, l2);
    const double cost = 1000 + 10 * l1 + l2;
    EXPECT_EQ(std::stod(row.at("cost")), cost);
    EXPECT_NEAR(std::stod(row.at("objective")), (truth[0] + truth[1]) * cost, 1e-8 * (truth[0] + truth[1]) * cost);
    if (row.at("set") == "best" && first) {
      // The brute force's argmin of time x cost.
      double bestValue = INFINITY;
      for (int a : kL1)
        for (int b : kL2) {
          auto t = bruteForce(a, b);
          bestValue = std::min(bestValue, (t[0] + t[1]) * (1000 + 10 * a + b));
        }
      EXPECT_NEAR(std::stod(row.at("objective")), bestValue, 1e-8 * bestValue);
      first = false;
    }
    if (row.at("set") == "pareto") front.emplace_back(std::stod(row.at("time_ns")), cost);
  }
  ASSERT_FALSE(front.empty());
  // Each front point is faster than the next and dearer.
  for (size_t k = 1; k < front.size(); ++k) {
    EXPECT_LT(front[k - 1].first, front[k].first);
    EXPECT_GT(front[k - 1].second, front[k].second);
  }
}

TEST_F(DseTest, anExpressionObjectiveSeesTimeCostAndTheKeys) {
  o.objective = "time + 0 * cost + l1d.size_kb";
  o.top = 1;
  runDse(o);
  auto rows = csvRows();
  const int l1 = std::stoi(rows[0].at("l1d.size_kb")), l2 = std::stoi(rows[0].at("l2.size_kb"));
  const auto t = bruteForce(l1, l2);
  EXPECT_NEAR(std::stod(rows[0].at("objective")), t[0] + t[1] + l1, 1e-6);
}

TEST_F(DseTest, theGeometricMeanReplacesTheSum) {
  o.geomean = true;
  o.top = 1;
  runDse(o);
  auto rows = csvRows();
  const auto t = bruteForce(std::stoi(rows[0].at("l1d.size_kb")), std::stoi(rows[0].at("l2.size_kb")));
  EXPECT_NEAR(std::stod(rows[0].at("time_ns")), std::sqrt(t[0] * t[1]), 1e-8 * t[0]);
}

TEST_F(DseTest, aSpaceLargerThanMaxPointsIsSampledWithTheSeed) {
  o.search.maxPoints = 4;
  o.search.samples = 6;
  const DesignSpace space = DesignSpace::read(o.spacePath);
  const PointEvaluator evaluator(space, model, {readProgram(o.inputs[0])}, objectiveOf(o));
  const SearchOutcome a = searchSpace(evaluator, o.search), b = searchSpace(evaluator, o.search);
  EXPECT_FALSE(a.exhaustive);
  EXPECT_LE(a.visited, 6u);
  EXPECT_EQ(a.sampled, b.sampled);
  for (const auto& p : a.points) {
    const PointChoice c = a.sampled[p.id];
    EXPECT_EQ(p.timeNs, bruteForce(kL1[c[0]], kL2[c[1]])[0]);
  }
}

TEST_F(DseTest, nloptFindsTheOptimumOfALargeSpaceWithFewEvaluations) {
  // 30 x 30 points; the model's time falls with both sizes, so the
  // optimum is the corner of the largest caches.
  spit(o.spacePath,
       "base = \"base.toml\"\n[parameters]\nl1d.size_kb = { min = 1, max = 30, step = 1 }\n"
       "l2.size_kb = { min = 256, max = 7680, step = 256 }\n");
  o.search.maxPoints = 100;
  o.search.samples = 400;
  o.search.large = LargeSpaceSearch::kNlopt;
  const DesignSpace space = DesignSpace::read(o.spacePath);
  const PointEvaluator evaluator(space, model, {readProgram(o.inputs[0]), readProgram(o.inputs[1])}, objectiveOf(o));
  const SearchOutcome a = searchSpace(evaluator, o.search);
  EXPECT_FALSE(a.exhaustive);
  EXPECT_EQ(a.method, "nlopt CRS2-LM");
  EXPECT_EQ(a.spacePoints, 900u);
  EXPECT_LE(a.visited, 400u);
  const ScoredPoint best = bestPoints(a, 1)[0];
  EXPECT_EQ(a.choiceOf(space, best), (PointChoice{29, 29}));
  const std::vector<double> truth = bruteForce(30, 7680);
  EXPECT_EQ(best.timeNs, truth[0] + truth[1]);
  // The seed fixes the points looked at.
  EXPECT_EQ(searchSpace(evaluator, o.search).sampled, a.sampled);
}

TEST_F(DseTest, anErrorAtAPointStopsNlopt) {
  // 16 KB of 3 ways is not a whole number of sets: a space-file error.
  spit(o.spacePath, "base = \"base.toml\"\n[parameters]\nl1d.ways = [3, 4]\nl1d.size_kb = [16, 24, 48]\n");
  o.search.maxPoints = 2;
  o.search.samples = 50;
  o.search.large = LargeSpaceSearch::kNlopt;
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const runtime::ExitStatus& e) {
    EXPECT_EQ(e.code(), 2);
    EXPECT_NE(std::string(e.what()).find("point l1d.ways=3 l1d.size_kb=16"), std::string::npos) << e.what();
  }
}

TEST_F(DseTest, noPointSatisfyingTheConstraintsIsAUsageErrorNamingTheConstraint) {
  spit(o.spacePath,
       "base = \"base.toml\"\nconstraints = [\"l1d.size_kb > 100\"]\n[parameters]\nl1d.size_kb = [16, 32]\n");
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const runtime::ExitStatus& e) {
    EXPECT_EQ(e.code(), 2);
    EXPECT_EQ(std::string(e.what()), o.spacePath +
                                         ":2:16: no point satisfies the constraints: of the 2 points of "
                                         "the space, constraint \"l1d.size_kb > 100\" ruled out 2");
  }
}

TEST_F(DseTest, aBadSpaceFileIsAUsageError) {
  spit(o.spacePath, "base = \"base.toml\"\n[parameters]\nl1d.bogus = [16, 32]\n");
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const runtime::ExitStatus& e) {
    EXPECT_EQ(e.code(), 2);
    EXPECT_NE(std::string(e.what()).find(o.spacePath + ":3:1: unknown parameter 'l1d.bogus'"), std::string::npos);
  }
}

TEST_F(DseTest, aMalformedObjectiveOrCostIsAUsageErrorNamingTheFlag) {
  o.objective = "time * (";
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const runtime::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--objective \"time * (\": "), std::string::npos) << e.what();
  }
  o.objective = "time";
  o.cost = "l1d.size_kb +";
  EXPECT_THROW(runDse(o), runtime::UsageError);
}

TEST_F(DseTest, aModelWithoutAParametricModelIsRefused) {
  Model plain = model;
  plain.uarchModel = {};
  saveModel(plain, dir / "plain.pvm");
  o.modelPath = dir / "plain.pvm";
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), dir / "plain.pvm");
    EXPECT_NE(e.message().find("no parametric microarchitecture model"), std::string::npos);
  }
}

TEST_F(DseTest, aRepresentationOfAnotherEncoderIsRefused) {
  testing::writeProgram(dir / "other.rp", "xxh3-128:0000", {1, 1}, 10);
  o.inputs = {dir / "other.rp"};
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), dir / "other.rp");
    EXPECT_NE(e.message().find("encoder"), std::string::npos);
  }
}

TEST_F(DseTest, aNegativePredictedTimeIsAnError) {
  // An unconstrained model whose commit M_u goes below zero for big L2s.
  model.nonNegativeUarchs = false;
  model.uarchModel.layers[1].values = {1, 1, 1, -9.5};
  model.encoderHash = computeEncoderHash(model);
  model.contentHash = computeContentHash(model);
  saveModel(model, dir / "m.pvm");
  testing::writeProgram(dir / "a.rp", model.encoderHash, {0, 20}, 1000);
  o.inputs = {dir / "a.rp"};
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), dir / "a.rp");
    EXPECT_NE(e.message().find("negative"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::ifstream(o.output).good());  // no report written
}

// ---- on a Slurm cluster (tests/cli/slurm_sweeps.sh runs it on a real one)

TEST_F(DseTest, slurmOptionsNeedSimulateAndSlurm) {
  o.slurm.submit = true;
  EXPECT_THROW(runDse(o), runtime::UsageError);  // no --simulate
  o.slurm = {};
  o.slurm.dir = dir / "slurm";
  EXPECT_THROW(runDse(o), runtime::ExitStatus);  // --slurm-dir alone
  o.slurm.dir = "";
  o.slurm.mem = "1G";
  try {
    runDse(o);
    FAIL() << "no error";
  } catch (const runtime::ExitStatus& e) {
    EXPECT_EQ(e.code(), 2);
    EXPECT_EQ(std::string(e.what()), "--partition, --time, --mem and --slurm-opt are for --slurm or --slurm-print");
  }
}

// Without a cluster: round 1's printed script, its tasks run by bash as
// Slurm would, writes the reports that give the local simulator's times.
TEST(SlurmSimulator, roundOnesScriptRunsTheLocalSimulatorsPvUarch) {
  ScratchDir dir;
  std::vector<std::string> traces;
  for (const std::string seed : {"3", "4"}) {
    const std::string trace = dir / ("s" + seed + ".pvi");
    const auto r = testing::shell(testing::bin("pv-synth-gem5") + " -n 2000 --seed " + seed + " > " + trace +
                                      ".txt && " + testing::bin("pv-trace-tap") + " -q " + trace + ".txt -o " + trace,
                                  dir.path());
    ASSERT_EQ(r.status, 0) << r.err;
    traces.push_back(trace);
  }
  std::vector<PointToSimulate> points(2);
  for (size_t k = 0; k < points.size(); ++k) {
    points[k].name = "sim-" + std::to_string(k + 1);
    points[k].configToml =
        "name = \"" + points[k].name + "\"\n[core]\nfrequency_ghz = " + std::string(k ? "3.0" : "1.5") + "\n";
  }
  const std::vector<std::string> names = {"s3", "s4"};
  const auto local = pvUarchSimulator(testing::bin("pv-uarch"), names, traces, 2)(points);

  SlurmSimulation slurm;
  slurm.dir = dir / "slurm";
  slurm.print = true;
  slurm.quiet = true;
  slurm.sbatchOptions = {"--partition=debug"};
  const Simulator simulate = slurmUarchSimulator(testing::bin("pv-uarch"), names, traces, slurm);
  ::testing::internal::CaptureStdout();
  EXPECT_THROW(simulate(points), ScriptPrinted);
  const std::string script = ::testing::internal::GetCapturedStdout();
  const std::string file = dir / "slurm/round-1/job.sbatch";
  EXPECT_EQ(testing::slurp(file), script);
  EXPECT_NE(script.find("\n#SBATCH --array=0-1\n"), std::string::npos) << script;
  EXPECT_NE(script.find("\n#SBATCH --partition=debug\n"), std::string::npos) << script;
  for (size_t i = 0; i < traces.size(); ++i) {
    runtime::Command bash("bash", {file});
    bash.environment = {{"SLURM_ARRAY_TASK_ID", std::to_string(i)}};
    ASSERT_TRUE(runtime::spawn(bash).wait().ok()) << "task " << i;
    const TruthTimes report = readTruth(dir / ("slurm/round-1/program-" + std::to_string(i) + ".json"));
    for (size_t k = 0; k < points.size(); ++k) EXPECT_EQ(report.at(points[k].name), local[k][i]) << k << " " << i;
  }
  EXPECT_NE(local[0][0], local[1][0]);  // the points differ
}

}  // namespace
}  // namespace pv::dse
