// pv-tune's flows on a small real model and labelled streams: least squares
// fits the programs' totals (or intervals) with a new M_u; refitting and
// replacing follow the flags; pv-tune's whole run writes the tuned model
// (and nothing when it fails).

#include "stages/tune/tuning.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"
#include "tests/support/labelled_programs.h"

namespace pv::tune {
namespace {

using pv::testing::ScratchDir;

// Labels of every target: u0's and new's differ, and vary from record to record.
float label(uint64_t record, size_t uarch, size_t target) {
  return static_cast<float>((uarch + 1) * (target + 1) * (record % 5 + 1));
}

// A model with u0 (trained) and the dataset's streams alpha (64 records)
// and beta (48), labelled for u0 and new.
struct Dataset {
  ScratchDir dir;
  Model m = pv::testing::smallUntrainedModel({"u0@2"});
  Dataset() {
    m.uarchs[0].origin = "trained";
    m.training.programs = {"alpha", "beta"};
    saveModel(m, dir / "m.pvm");
    pv::testing::writeLabelledStream(dir / "alpha.pvs", m, {"u0", "new"}, m.targetNames, 64, 1, label);
    pv::testing::writeLabelledStream(dir / "beta.pvs", m, {"u0", "new"}, m.targetNames, 48, 2, label);
    dataset::Manifest manifest;
    manifest.suite = "test";
    manifest.configs = {"u0", "new"};
    for (const std::string name : {"alpha", "beta"}) {
      dataset::ManifestEntry e;
      e.name = name;
      e.status = "done";
      e.file = name + ".pvs";
      manifest.workloads.push_back(e);
    }
    dataset::writeManifest(dir.path(), manifest);
  }
  // pv-tune's options on this dataset's model, writing `output` in its folder.
  TuneOptions command(const std::string& output) const {
    TuneOptions o;
    o.modelPath = dir / "m.pvm";
    o.output = dir / output;
    return o;
  }
  eval::ProgramSummary summary(const std::string& name, uint64_t interval) const {
    eval::SummaryOptions so;
    so.interval = interval;
    return eval::summarize(m, encode::loadEncoder(m, "m"), dir / (name + ".pvs"), name, so);
  }
};

double dot(const double* r, const std::vector<float>& m, size_t target) {
  double sum = 0;
  for (size_t d = 0; d < 4; ++d) sum += r[d] * m[target * 4 + d];
  return sum;
}

TEST(Tuning, aNewMicroarchitectureFitsTheProgramTotals) {
  Dataset data;
  const std::vector<eval::ProgramSummary> summaries = {data.summary("alpha", 0), data.summary("beta", 0)};
  Model model = data.m;
  model.nonNegativeUarchs = false;  // exact solutions of these equations need entries < 0
  LeastSquaresOptions o;
  o.ridge = 1e-9;
  EXPECT_EQ(fitLeastSquares(model, summaries, o, "m.pvm", "dataset"), std::vector<std::string>{"new"});
  ASSERT_EQ(model.uarchs.size(), 2u);
  EXPECT_EQ(model.uarchs[0], data.m.uarchs[0]);
  const Microarchitecture& fitted = model.uarchs[1];
  EXPECT_EQ(fitted.name, "new");
  EXPECT_EQ(fitted.origin, "tuned");
  // Two equations per target in H = 4 unknowns: the fit meets both.
  for (const auto& s : summaries)
    for (size_t t = 0; t < model.targetNames.size(); ++t) {
      const double truth = s.labelSum(s.uarchIndex("new"), static_cast<int>(t));
      EXPECT_NEAR(dot(s.representation.data(), fitted.representation, t), truth, 1e-3 * truth) << s.name << " " << t;
    }
}

TEST(Tuning, eachIntervalIsAnEquation) {
  Dataset data;
  const std::vector<eval::ProgramSummary> summaries = {data.summary("beta", 16)};
  ASSERT_EQ(summaries[0].intervalRecords, (std::vector<uint64_t>{16, 16, 16}));
  Model model = data.m;
  model.nonNegativeUarchs = false;  // exact solutions of these equations need entries < 0
  LeastSquaresOptions o;
  o.ridge = 1e-9;
  fitLeastSquares(model, summaries, o, "m.pvm", "dataset");
  const auto& s = summaries[0];
  const size_t width = s.uarchNames.size() * s.targetNames.size();
  for (size_t k = 0; k < 3; ++k)
    for (size_t t = 0; t < model.targetNames.size(); ++t) {
      const double truth = s.intervalLabelSums[k * width + 1 * s.targetNames.size() + t];
      EXPECT_NEAR(dot(s.intervalRepresentation.data() + k * 4, model.uarchs[1].representation, t), truth,
                  1e-3 * truth);
    }
}

// --relative: a program 100 times slower than another no longer decides the
// fit alone. The weighted least squares minimises the sum of squared
// relative errors, so its sum is at most the absolute fit's, and the fast
// program's own relative error falls.
TEST(Tuning, relativeWeightingFitsTheFastProgramAsWellAsTheSlowOne) {
  Dataset data;
  pv::testing::writeLabelledStream(data.dir / "slow.pvs", data.m, {"u0", "new"}, data.m.targetNames, 48, 3,
                                   [](uint64_t record, size_t uarch, size_t target) {
                                     return 100.0f * label(record * 7 + 3, uarch, target);
                                   });
  const std::vector<eval::ProgramSummary> summaries = {data.summary("alpha", 16), data.summary("slow", 16)};
  Model absolute = data.m, relative = data.m;
  absolute.nonNegativeUarchs = relative.nonNegativeUarchs = false;
  LeastSquaresOptions o;
  o.ridge = 1e-9;
  ASSERT_TRUE(o.relative) << "relative weighting is the default";
  o.relative = false;
  fitLeastSquares(absolute, summaries, o, "m.pvm", "dataset");
  o.relative = true;
  fitLeastSquares(relative, summaries, o, "m.pvm", "dataset");
  // Per program: the sum of squared relative errors of target 0's intervals
  // (relative to the program's mean interval), and the mean |error|.
  struct Errors { double squared = 0, meanAbs = 0, absSquared = 0; };
  auto errors = [&](const Model& m, const eval::ProgramSummary& s) {
    const size_t width = s.uarchNames.size() * s.targetNames.size(), n = s.intervalRecords.size();
    const double mean = s.labelSum(1, 0) / static_cast<double>(n);
    Errors e;
    for (size_t k = 0; k < n; ++k) {
      const double truth = s.intervalLabelSums[k * width + 1 * s.targetNames.size()];
      const double d = dot(s.intervalRepresentation.data() + k * 4, m.uarchs[1].representation, 0) - truth;
      e.squared += (d / mean) * (d / mean);
      e.absSquared += d * d;
      e.meanAbs += std::fabs(d / truth) / static_cast<double>(n);
    }
    return e;
  };
  const Errors absAlpha = errors(absolute, summaries[0]), absSlow = errors(absolute, summaries[1]);
  const Errors relAlpha = errors(relative, summaries[0]), relSlow = errors(relative, summaries[1]);
  ASSERT_GT(absSlow.squared + absAlpha.squared, 1e-6) << "the equations are solved exactly: the test shows nothing";
  EXPECT_LE(relAlpha.squared + relSlow.squared, (absAlpha.squared + absSlow.squared) * (1 + 1e-6));
  EXPECT_LE(absAlpha.absSquared + absSlow.absSquared, (relAlpha.absSquared + relSlow.absSquared) * (1 + 1e-6));
  EXPECT_LT(relAlpha.meanAbs, absAlpha.meanAbs);
  std::printf("alpha's mean |error|: %.4f relative, %.4f absolute; slow's: %.4f, %.4f\n", relAlpha.meanAbs,
              absAlpha.meanAbs, relSlow.meanAbs, absSlow.meanAbs);
}

// In a non-negative model (an untrained one is) the same fit stays >= 0,
// and it fits the intervals better than the unconstrained fit cut at 0.
TEST(Tuning, aNonNegativeModelsFitIsNonNegativeAndBeatsCuttingTheSignedOne) {
  Dataset data;
  const std::vector<eval::ProgramSummary> summaries = {data.summary("beta", 16)};
  ASSERT_TRUE(data.m.nonNegativeUarchs);
  LeastSquaresOptions o;
  o.ridge = 1e-9;
  Model bounded = data.m, cut = data.m;
  fitLeastSquares(bounded, summaries, o, "m.pvm", "dataset");
  cut.nonNegativeUarchs = false;
  fitLeastSquares(cut, summaries, o, "m.pvm", "dataset");
  bool cutSomething = false;
  for (float& v : cut.uarchs[1].representation)
    if (v < 0) {
      v = 0;
      cutSomething = true;
    }
  ASSERT_TRUE(cutSomething) << "the signed fit needs no negative entry: the test shows nothing";
  for (float v : bounded.uarchs[1].representation) EXPECT_GE(v, 0.0f);
  const auto& s = summaries[0];
  const size_t width = s.uarchNames.size() * s.targetNames.size();
  auto residual = [&](const Model& m) {
    double sum = 0;
    for (size_t k = 0; k < 3; ++k)
      for (size_t t = 0; t < m.targetNames.size(); ++t) {
        const double e = dot(s.intervalRepresentation.data() + k * 4, m.uarchs[1].representation, t) -
                         s.intervalLabelSums[k * width + 1 * s.targetNames.size() + t];
        sum += e * e;
      }
    return sum;
  };
  EXPECT_LT(residual(bounded), residual(cut));
}

TEST(Tuning, theModelsOwnMicroarchitecturesNeedReplaceOrRefit) {
  Dataset data;
  const std::vector<eval::ProgramSummary> summaries = {data.summary("alpha", 0)};
  Model model = data.m;
  LeastSquaresOptions o;
  o.uarchs = {"u0"};
  try {
    fitLeastSquares(model, summaries, o, "m.pvm", "dataset");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), "m.pvm:u0: the model has this microarchitecture (--replace)");
  }
  o.uarchs.clear();
  o.refit = true;
  EXPECT_EQ(fitLeastSquares(model, summaries, o, "m.pvm", "dataset"), (std::vector<std::string>{"u0", "new"}));
  EXPECT_EQ(model.uarchs[0].origin, "trained");  // refitted, keeps its origin
  EXPECT_EQ(model.uarchs[0].clockGhz, 2.0);
  EXPECT_NE(model.uarchs[0].representation, data.m.uarchs[0].representation);
  o.refit = false;
  try {
    fitLeastSquares(model, summaries, o, "m.pvm", "dataset");  // u0 and new are in the model now
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), "dataset: every labelled microarchitecture is in the model already");
  }
  o.uarchs = {"absent"};
  try {
    fitLeastSquares(model, summaries, o, "m.pvm", "dataset");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), "test:alpha: no labels for microarchitecture 'absent'");
  }
}

TEST(Tuning, theCommandWritesTheTunedModel) {
  Dataset data;
  TuneOptions o = data.command("tuned.pvm");
  o.dataset = data.dir.path();
  o.interval = 0;
  o.leastSquares.ridge = 1e-9;
  std::ostringstream log;
  runTune(o, log);
  EXPECT_EQ(log.str(), "pv-tune: encoding alpha\npv-tune: encoding beta\npv-tune: new fitted on 2 programs\n"
                       "pv-tune: wrote " + o.output + " (2 microarchitectures)\n");
  Model expected = data.m;
  fitLeastSquares(expected, {data.summary("alpha", 0), data.summary("beta", 0)}, o.leastSquares, "", "");
  const Model tuned = loadModel(o.output);
  EXPECT_EQ(tuned.uarchs, expected.uarchs);
  EXPECT_EQ(tuned.encoderHash, data.m.encoderHash);  // the encoder is frozen
  EXPECT_EQ(tuned.name, data.m.name);                 // without --name, the model keeps its name
  EXPECT_EQ(tuned.description, data.m.description);
}

TEST(Tuning, aTunedModelMayBeRenamed) {
  Dataset data;
  TuneOptions o = data.command("renamed.pvm");
  o.dataset = data.dir.path();
  o.name = "calibrated";
  o.description = "m, refitted on alpha and beta";
  o.quiet = true;
  std::ostringstream log;
  runTune(o, log);
  const Model tuned = loadModel(o.output);
  EXPECT_EQ(tuned.name, "calibrated");
  EXPECT_EQ(tuned.description, "m, refitted on alpha and beta");
  EXPECT_NE(data.m.name, "calibrated");
  EXPECT_EQ(tuned.encoderHash, data.m.encoderHash);
}

TEST(Tuning, aFailingCommandWritesNothing) {
  Dataset data;
  TuneOptions o = data.command("tuned.pvm");
  std::ostringstream log;
  EXPECT_THROW(runTune(o, log), runtime::UsageError);  // neither --dataset nor --parametric
  o.dataset = data.dir.path();
  o.programs = {"gamma"};
  try {
    runTune(o, log);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), data.dir.path() + ": none of the fitting programs is finished in this dataset");
  }
  o.programs.clear();
  o.dataset.clear();
  o.parametric = true;  // u0 alone has no parameters
  EXPECT_THROW(runTune(o, log), StageError);
  EXPECT_FALSE(std::filesystem::exists(o.output));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(data.dir.path()), {}), 4);  // no temporary file
}

TEST(Tuning, theParametricModelPredictsForAConfiguration) {
  ScratchDir dir;
  Model m = pv::testing::smallUntrainedModel({"w2@2", "w3@2", "w4@3", "w6@3", "w8@4"});
  for (auto& u : m.uarchs) {
    u.origin = "trained";
    u.params = {{"core.width", u.name.substr(1)}};
  }
  saveModel(m, dir / "m.pvm");
  TuneOptions o;
  o.modelPath = dir / "m.pvm";
  o.output = dir / "p.pvm";
  o.parametric = true;
  o.mlp.iterations = 200;
  o.quiet = true;
  std::ostringstream log;
  runTune(o, log);
  EXPECT_EQ(log.str(), "");
  const Model p = loadModel(o.output);
  EXPECT_EQ(p.uarchModel.inputs, std::vector<std::string>{"core.width"});
  Microarchitecture config{"w5", {{"core.width", "5"}}, 3.0, {}, ""};
  EXPECT_EQ(parametricRepresentation(p, config, "w5").size(), p.targetNames.size() * 4);
}

}  // namespace
}  // namespace pv::tune
