// pv-dot-predict's flow on real files: a model, an R_p stream and a
// pv-uarch report give the table in the output file; a failing run leaves
// the output as it was.

#include "stages/dot-predict/dot_predict_command.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "stages/core/stage_error.h"
#include "stages/dot-predict/test_model.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"

namespace pv {
namespace {

using testing::ScratchDir;
using testing::slurp;
using testing::spit;

struct Files {
  ScratchDir dir;
  DotPredictOptions options;
  Files() {
    Model m = testing::twoUarchModel();
    saveModel(m, dir / "m.pvm");
    ProgramRepresentation program{100, {1, 2, 3}, {{0, 60, {1, 0, 0}}, {60, 40, {0, 2, 3}}}};
    testing::writeProgram(dir / "rp.pvs", m.encoderHash, program);
    spit(dir / "truth.json", "[{\"uarch\": \"fast\", \"time_ns\": 10}, {\"uarch\": \"slow\", \"time_ns\": 40}]\n");
    options.input = dir / "rp.pvs";
    options.modelPath = dir / "m.pvm";
    options.output = dir / "out.csv";
    options.format = PredictionFormat::kCsv;
  }
};

TEST(DotPredictCommand, writesThePredictionsAndTheirErrors) {
  Files f;
  f.options.truthPath = f.dir / "truth.json";
  runDotPredict(f.options);
  EXPECT_EQ(slurp(f.dir / "out.csv"),
            "uarch,time_ns,clock_ghz,cycles,cpi,truth_ns,error\n"
            "fast,14,2,28,0.28,10,0.400000\n"
            "slow,32,0,0,0,40,-0.200000\n");
}

TEST(DotPredictCommand, predictsEachInterval) {
  Files f;
  f.options.intervals = true;
  runDotPredict(f.options);
  // Interval 0: R = (1, 0, 0); interval 1: R = (0, 2, 3).
  EXPECT_EQ(slurp(f.dir / "out.csv"),
            "first_index,instructions,uarch,time_ns,clock_ghz,cycles,cpi\n"
            "0,60,fast,1,2,2,0.0333333333\n"
            "0,60,slow,4,0,0,0\n"
            "60,40,fast,13,2,26,0.65\n"
            "60,40,slow,28,0,0,0\n");
  f.options.truthPath = f.dir / "truth.json";
  EXPECT_THROW(runDotPredict(f.options), runtime::UsageError);
}

TEST(DotPredictCommand, aFailingRunLeavesTheOutputAsItWas) {
  Files f;
  spit(f.dir / "out.csv", "an earlier table\n");
  spit(f.dir / "bad.json", "[{\"uarch\": \"fast\", \"time_ns\": -1}]");
  f.options.truthPath = f.dir / "bad.json";
  try {
    runDotPredict(f.options);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()),
              (f.dir / "bad.json") + ":entry 1: uarch 'fast': time_ns -1 is not a time (finite, >= 0)");
  }
  EXPECT_EQ(slurp(f.dir / "out.csv"), "an earlier table\n");
  f.options.truthPath.clear();
  f.options.output = f.dir / "new.csv";
  f.options.input = f.dir / "truth.json";  // not a stream
  EXPECT_THROW(runDotPredict(f.options), StageError);
  EXPECT_FALSE(std::filesystem::exists(f.dir / "new.csv"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(f.dir.path()), {}), 5);  // no temporary file
}

// The text summary splits the error by what the model saw in training, and
// the caption says whether it trained on the program.
TEST(DotPredictCommand, textSummarySaysWhatTheModelSawInTraining) {
  Files f;
  Model m = testing::twoUarchModel();
  m.training.programs = {"gzip", "xz"};
  m.training.heldOutPrograms = {"stencil"};
  m.training.heldOutUarchs = {"slow"};
  saveModel(m, f.dir / "m.pvm");
  EXPECT_EQ(uarchsSeenInTraining(m), std::set<std::string>{"fast"});
  f.options.truthPath = f.dir / "truth.json";
  f.options.format = PredictionFormat::kText;
  f.options.program = "stencil";
  runDotPredict(f.options);
  const std::string out = slurp(f.dir / "out.csv");
  const std::string summary = out.substr(out.find("program '"));
  EXPECT_EQ(summary,
            "program 'stencil': not seen in training (the model trained on 2 programs: gzip, xz); 1 of its 2 "
            "microarchitectures were seen in training, 1 not\n"
            "mean |error| 30.00%, max 40.00% over 2 microarchitectures with a truth\n"
            "  1 seen in training: mean |error| 40.00%, max 40.00%\n"
            "  1 not seen in training: mean |error| 20.00%, max 20.00%\n");
  EXPECT_EQ(trainingCaption(m, "xz").substr(0, 43), "program 'xz': one of the training programs ");
  // Regions fold into their program; a long list is cut.
  m.training.programs.clear();
  for (int p = 0; p < 14; ++p)
    for (int r = 1; r <= 3; ++r) m.training.programs.push_back(fmt::format("p{}.r{}", p, r));
  EXPECT_EQ(trainingCaption(m, "p3"),
            "program 'p3': one of the training programs (the model trained on 14 programs in 42 regions: p0, p1, "
            "p2, p3, p4, p5, p6, p7, p8, p9, p10, p11 and 2 more); 1 of its 2 microarchitectures were seen in "
            "training, 1 not");
  EXPECT_EQ(trainingCaption(m, "p13.r2").substr(0, 47), "program 'p13.r2': one of the training programs ");
  // A parametric microarchitecture is never seen in training; a model
  // without a training record has no split and says so in the caption.
  m.uarchs[0].origin = "parametric";
  EXPECT_TRUE(uarchsSeenInTraining(m).empty());
  EXPECT_TRUE(uarchsSeenInTraining(testing::twoUarchModel()).empty());
  EXPECT_EQ(trainingCaption(testing::twoUarchModel(), "xz"), "program 'xz': the model records no training data");
}

}  // namespace
}  // namespace pv
