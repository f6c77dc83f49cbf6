// T = R_p . M_u, and a representation of another encoder is refused, by the
// library and by the pv-dot-predict executable.

#include "stages/dot-predict/dot_predictor.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "stages/core/stage_error.h"
#include "stages/runtime/stream.h"
#include "stages/dot-predict/test_model.h"
#include "tests/composition/process.h"

namespace pv {
namespace {

using testing::twoUarchModel;

TEST(DotPredictor, predictsTheDotProductOfEachTarget) {
  Model m = twoUarchModel();
  Prediction p = predict({1, 2, 3}, 0, 100, m.encoderHash, m, "rp");
  ASSERT_EQ(p.uarchs.size(), 2u);
  EXPECT_EQ(p.uarchs[0].targets, (std::vector<double>{1, 140}));
  EXPECT_DOUBLE_EQ(p.uarchs[0].timeNs, 14.0);  // 140 x 0.1 ns
  EXPECT_DOUBLE_EQ(p.uarchs[0].cycles, 28.0);  // at 2 GHz
  EXPECT_DOUBLE_EQ(p.uarchs[0].cpi, 0.28);
  EXPECT_DOUBLE_EQ(p.uarchs[1].timeNs, 32.0);
  EXPECT_EQ(p.uarchs[1].cycles, 0.0);  // clock unknown
}

RC_GTEST_PROP(DotPredictor, isLinearInTheRepresentation, ()) {
  Model m = twoUarchModel();
  auto gen = rc::gen::container<std::vector<double>>(3, rc::gen::map(rc::gen::inRange(0, 1000),
                                                                     [](int v) { return v / 4.0; }));
  std::vector<double> a = *gen, b = *gen, sum(3);
  for (int d = 0; d < 3; ++d) sum[d] = a[d] + b[d];
  auto pa = predict(a, 0, 1, m.encoderHash, m, "a"), pb = predict(b, 0, 1, m.encoderHash, m, "b"),
       ps = predict(sum, 0, 1, m.encoderHash, m, "s");
  for (size_t u = 0; u < 2; ++u)
    for (size_t t = 0; t < 2; ++t)
      RC_ASSERT(std::abs(ps.uarchs[u].targets[t] - pa.uarchs[u].targets[t] - pb.uarchs[u].targets[t]) < 1e-9);
}

// R_p is a sum of ReLU outputs: a negative entry is a damaged input.
TEST(DotPredictor, refusesANegativeRepresentationEntry) {
  Model m = twoUarchModel();
  try {
    predict({1, -0.5, 3}, 100, 50, m.encoderHash, m, "rp.pvs");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), "rp.pvs");
    EXPECT_NE(e.message().find("representation entry 1 is -0.5 (instructions 100..150)"), std::string::npos)
        << e.message();
  }
}

// A model with signed M_u can predict a negative time: that is an error
// naming the target, the microarchitecture and the instructions, never a
// row of output.
TEST(DotPredictor, aNegativePredictionIsAnErrorNotANumber) {
  Model m = twoUarchModel();
  m.uarchs[1].representation[3] = -100;  // slow's commit: 1 x -100 + 2 x 50 + 3 x 60 = 180
  EXPECT_NO_THROW(predict({1, 2, 3}, 0, 6, m.encoderHash, m, "rp.pvs"));
  m.uarchs[1].representation[3] = -300;  // -300 + 100 + 180 = -20
  try {
    predict({1, 2, 3}, 0, 6, m.encoderHash, m, "rp.pvs");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), "rp.pvs");
    EXPECT_NE(e.message().find("predicted commit = -20 on microarchitecture 'slow' for instructions 0..6"),
              std::string::npos)
        << e.message();
    EXPECT_NE(e.message().find("unconstrained"), std::string::npos) << e.message();
  }
}

TEST(DotPredictor, refusesARepresentationOfAnotherEncoder) {
  Model m = twoUarchModel();
  try {
    predict({1, 2, 3}, 0, 1, "xxh3-128:0123", m, "rp.pvs");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), "rp.pvs");
    EXPECT_NE(e.message().find("made by encoder xxh3-128:0123 cannot be combined"), std::string::npos);
  }
}

// The executable: a model file whose hash differs from the one the program
// representation records gives a clear error and exit status 1; the right
// one prints the table.
TEST(DotPredictor, theExecutableRefusesAModelWithAnotherHash) {
  testing::ScratchDir dir;
  Model right = twoUarchModel();
  saveModel(right, dir / "right.pvm");
  Model other = twoUarchModel();
  other.tensors[0].values[0] = 0.25f;  // another encoder
  saveModel(other, dir / "other.pvm");
  testing::writeProgram(dir / "rp.pvs", right.encoderHash, ProgramRepresentation{100, {1, 2, 3}, {}});
  auto bad = testing::shell(testing::bin("pv-dot-predict") + " -m " + (dir / "other.pvm") + " " +
                                (dir / "rp.pvs"),
                            dir.path());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("pv-dot-predict: " + (dir / "rp.pvs") + ": representation made by encoder " +
                         right.encoderHash + " cannot be combined with microarchitectures of encoder " +
                         other.encoderHash),
            std::string::npos)
      << bad.err;
  auto good = testing::shell(testing::bin("pv-dot-predict") + " -m " + (dir / "right.pvm") + " --format csv " +
                                 (dir / "rp.pvs") + " > " + (dir / "table.csv"),
                             dir.path());
  EXPECT_EQ(good.status, 0) << good.err;
  EXPECT_EQ(testing::slurp(dir / "table.csv"),
            "uarch,time_ns,clock_ghz,cycles,cpi\nfast,14,2,28,0.28\nslow,32,0,0,0\n");
}

}  // namespace
}  // namespace pv
