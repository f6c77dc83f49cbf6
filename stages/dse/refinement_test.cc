// The refinement loop against a simulator that is a known function, unlike
// the model's: it simulates the model's best points first and never a point
// twice, fits each simulated point's M_u to its simulated times, moves the
// refitted parametric model towards them, and chooses the best simulated
// point.

#include "stages/dse/refinement.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "stages/core/stage_error.h"
#include "stages/dse/test_space.h"
#include "stages/model-lib/prediction.h"
#include "stages/model-lib/uarch_params.h"
#include "tests/composition/process.h"

namespace pv::dse {
namespace {

using testing::ScratchDir;
using testing::spit;

const std::vector<int> kL1 = {8, 16, 32, 64};
const std::vector<int> kL2 = {256, 512, 1024, 2048};

// The simulator's truth: time ns of a program R = (r0, r1) at (L1, L2). The
// model says (20 - log2(1 + L1), 20 - log2(1 + L2)) per unit of R; the
// truth cares more about the L1 and less about the L2.
double trueTimeNs(const std::vector<double>& r, int l1, int l2) {
  return (r[0] * (30 - 2 * std::log2(1.0 + l1)) + r[1] * (24 - 0.5 * std::log2(1.0 + l2))) / kTimeUnitsPerNs;
}

class RefinementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model = testing::cacheModel();
    // Trained microarchitectures on a coarser grid, so that the parametric
    // model can be refitted (it needs at least 4): M_u the model's own.
    for (int l1 : {8, 32, 128})
      for (int l2 : {256, 1024, 4096}) {
        Microarchitecture u;
        u.name = "t" + std::to_string(l1) + "-" + std::to_string(l2);
        u.origin = "trained";
        u.clockGhz = 2.0;
        u.params = {{"l1d.size_kb", std::to_string(l1)}, {"l2.size_kb", std::to_string(l2)}};
        u.representation = {1, 1, static_cast<float>(20 - std::log2(1.0 + l1)),
                            static_cast<float>(20 - std::log2(1.0 + l2))};
        model.uarchs.push_back(u);
      }
    programs = {{"a", "a.rp", model.encoderHash, {10, 20}, 1000}, {"b", "b.rp", model.encoderHash, {30, 5}, 2000}};
    spit(dir / "base.toml", testing::kBaseConfig);
    spit(dir / "space.toml",
         "base = \"base.toml\"\n[parameters]\nl1d.size_kb = [8, 16, 32, 64]\nl2.size_kb = [256, 512, 1024, 2048]\n");
    space = DesignSpace::read(dir / "space.toml");
    options.mlp.iterations = 1500;
  }

  // The simulator: the truth at each point, and a record of what it was asked.
  Simulator simulator() {
    return [this](const std::vector<PointToSimulate>& points) {
      std::vector<std::vector<double>> times;
      calls.push_back(points);
      for (const auto& p : points) {
        const int l1 = kL1.at(p.choice[0]), l2 = kL2.at(p.choice[1]);
        // The configuration handed to the simulator is the point's.
        EXPECT_NE(p.configToml.find("size_kb = " + std::to_string(l1)), std::string::npos) << p.configToml;
        times.push_back({trueTimeNs(programs[0].sum, l1, l2), trueTimeNs(programs[1].sum, l1, l2)});
      }
      return times;
    };
  }

  double trueTime(const PointChoice& c) {
    double t = 0;
    for (const auto& p : programs) t += trueTimeNs(p.sum, kL1[c[0]], kL2[c[1]]);
    return t;
  }

  ScratchDir dir;
  Model model;
  std::vector<Program> programs;
  DesignSpace space;
  ObjectiveOptions objective;  // time: the programs' summed time
  SearchOptions search;
  RefineOptions options;
  std::vector<std::vector<PointToSimulate>> calls;
};

TEST_F(RefinementTest, simulatesTheModelsBestPointsFirstAndNeverAPointTwice) {
  options.perRound = 3;
  options.rounds = 2;
  const PointEvaluator before(space, model, programs, objective);
  const SearchOutcome ranked = searchSpace(before, search);
  const Refinement r = refineBySimulation(space, model, programs, objective, search, options, simulator(), nullptr);
  ASSERT_EQ(calls.size(), 2u);
  ASSERT_EQ(r.simulated.size(), 6u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(calls[0][i].choice, ranked.choiceOf(space, bestPoints(ranked, 3)[i])) << i;
    EXPECT_EQ(r.simulated[i].round, 1u);
    EXPECT_EQ(r.simulated[i + 3].round, 2u);
    EXPECT_EQ(r.simulated[i].point.name, "sim-" + std::to_string(i + 1));
    // What the model predicted for it when it chose it.
    EXPECT_DOUBLE_EQ(r.simulated[i].predicted.objective,
                     before.evaluate(r.simulated[i].point.choice, space.variablesAt(r.simulated[i].point.choice))
                         .objective);
  }
  std::set<PointChoice> distinct;
  for (const auto& p : r.simulated) {
    distinct.insert(p.point.choice);
    EXPECT_NEAR(p.simulated.objective, trueTime(p.point.choice), 1e-9 * trueTime(p.point.choice));
  }
  EXPECT_EQ(distinct.size(), 6u);
  EXPECT_GE(r.simulateSeconds, 0.0);
  EXPECT_GT(r.fitSeconds, 0.0);
}

TEST_F(RefinementTest, eachSimulatedPointsMuReproducesItsSimulatedTimes) {
  options.perRound = 4;
  options.rounds = 1;
  options.ridge = 1e-12;
  const Refinement r = refineBySimulation(space, model, programs, objective, search, options, simulator(), nullptr);
  size_t fitted = 0;
  for (const auto& u : r.model.uarchs) {
    if (u.origin != "simulated") continue;
    const auto& p = r.simulated.at(fitted++);
    EXPECT_EQ(u.name, p.point.name);
    EXPECT_DOUBLE_EQ(u.clockGhz, 2.0);
    for (size_t k = 0; k < programs.size(); ++k) {
      const double ns = targetDot(programs[k].sum, u.representation, timeTargetIndex(model)) / kTimeUnitsPerNs;
      EXPECT_NEAR(ns, p.simulated.programTimesNs[k], 1e-4 * p.simulated.programTimesNs[k]) << u.name;
    }
  }
  EXPECT_EQ(fitted, 4u);
}

TEST_F(RefinementTest, theRefitMovesThePredictionsTowardsTheSimulatedTimes) {
  options.perRound = 4;
  options.rounds = 2;
  options.mlp.simulatedWeight = 8;
  const Refinement r = refineBySimulation(space, model, programs, objective, search, options, simulator(), nullptr);
  const PointEvaluator before(space, model, programs, objective), after(space, r.model, programs, objective);
  double errorBefore = 0, errorAfter = 0;
  for (const auto& p : r.simulated) {
    const auto vars = space.variablesAt(p.point.choice);
    errorBefore += std::fabs(before.evaluate(p.point.choice, vars).objective - p.simulated.objective);
    errorAfter += std::fabs(after.evaluate(p.point.choice, vars).objective - p.simulated.objective);
  }
  EXPECT_LT(errorAfter, 0.5 * errorBefore) << "before " << errorBefore << ", after " << errorAfter;
}

TEST_F(RefinementTest, choosesTheLowestSimulatedObjectiveAndStopsWhenEveryPointIsSimulated) {
  options.perRound = 10;
  options.rounds = 3;
  const Refinement r = refineBySimulation(space, model, programs, objective, search, options, simulator(), nullptr);
  ASSERT_EQ(r.simulated.size(), 16u);  // 10, then the 6 left, then nothing
  EXPECT_EQ(calls.size(), 2u);
  // The brute force over the truth.
  PointChoice best;
  double bestTime = INFINITY;
  for (size_t a = 0; a < kL1.size(); ++a)
    for (size_t b = 0; b < kL2.size(); ++b)
      if (trueTime({a, b}) < bestTime) {
        bestTime = trueTime({a, b});
        best = {a, b};
      }
  EXPECT_EQ(r.simulated[r.chosen].point.choice, best);
  EXPECT_NEAR(r.simulated[r.chosen].simulated.objective, bestTime, 1e-9 * bestTime);
}

TEST_F(RefinementTest, aTimeThatIsNotAboveZeroOrAMissingResultIsAnError) {
  options.perRound = 2;
  options.rounds = 1;
  const Simulator negative = [](const std::vector<PointToSimulate>& points) {
    return std::vector<std::vector<double>>(points.size(), std::vector<double>{5.0, -1.0});
  };
  try {
    refineBySimulation(space, model, programs, objective, search, options, negative, nullptr);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), "b.rp");
    EXPECT_NE(e.message().find("simulated time -1 ns at point"), std::string::npos) << e.what();
  }
  const Simulator short_ = [](const std::vector<PointToSimulate>&) { return std::vector<std::vector<double>>{}; };
  EXPECT_THROW(refineBySimulation(space, model, programs, objective, search, options, short_, nullptr), StageError);
}

}  // namespace
}  // namespace pv::dse
