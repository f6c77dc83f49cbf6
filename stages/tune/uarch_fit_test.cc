// Ridge least squares recovers a representation from enough equations and
// falls back to the prior without them; the parametric MLP fits M_u from
// parameters and pv-dot-predict's plain C++ forward reproduces its output.

#include "stages/tune/uarch_fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "stages/model-lib/uarch_params.h"

namespace pv::tune {
namespace {

TEST(RidgeFit, RecoversTheRepresentationFromEnoughEquations) {
  const size_t h = 6, rows = 40;
  const std::vector<double> truth{1, -2, 0.5, 3, 0, 7};
  std::vector<double> x, y;
  uint64_t s = 1;
  for (size_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (size_t i = 0; i < h; ++i) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      const double v = static_cast<double>(s >> 40) / double(1 << 24) * 10;
      x.push_back(v);
      dot += v * truth[i];
    }
    y.push_back(dot);
  }
  const auto m = ridgeFit(x, y, h, std::vector<double>(h, 0.0), 1e-9);
  for (size_t i = 0; i < h; ++i) EXPECT_NEAR(m[i], truth[i], 1e-4);
}

TEST(RidgeFit, UnderdeterminedStaysNearThePriorAndFitsTheEquation) {
  const std::vector<double> x{1, 1, 0}, y{10}, prior{2, 2, 5};
  const auto m = ridgeFit(x, y, 3, prior, 1e-6);
  EXPECT_NEAR(m[0] + m[1], 10, 1e-3);  // the equation
  EXPECT_NEAR(m[0], m[1], 1e-6);       // the smallest change from the prior
  EXPECT_NEAR(m[2], 5, 1e-9);          // untouched direction keeps the prior
}

TEST(ParametricModel, FitsAndEvaluatesLikePvDotPredict) {
  Model model;
  model.architecture.hidden = 2;
  model.targetNames = {"commit"};
  for (int i = 0; i < 12; ++i) {
    Microarchitecture u;
    u.name = "u" + std::to_string(i);
    u.origin = "trained";
    const int rob = 32 << (i % 4);
    u.params = {{"core.rob", std::to_string(rob)}, {"branch.predictor", i % 2 ? "tage" : "gshare"}};
    const double x = std::log2(1.0 + rob);
    u.representation = {static_cast<float>(x), static_cast<float>(i % 2 ? 1.0 : -1.0)};
    model.uarchs.push_back(u);
  }
  MlpOptions o;
  o.iterations = 3000;
  const double err = fitParametricModel(model, o);
  EXPECT_LT(err, 0.05);
  EXPECT_EQ(model.uarchModel.inputs,
            (std::vector<std::string>{"branch.predictor=gshare", "branch.predictor=tage", "core.rob"}));
  double worst = 0;
  for (const auto& u : model.uarchs) {
    const auto m = parametricRepresentation(model, u, "test");
    for (size_t k = 0; k < 2; ++k) worst = std::max(worst, std::fabs(double(m[k]) - u.representation[k]));
  }
  EXPECT_LT(worst, 0.3);
}

}  // namespace
}  // namespace pv::tune
