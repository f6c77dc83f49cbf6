// pv-eval's evaluation on a small real model and labelled streams: every
// labelled pair of the model's table with its truth (the sum of the commit
// labels) and prediction (R_p . M_u); the tables byte for byte; the files
// and errors of the whole flow.

#include "stages/eval/evaluation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "stages/core/stage_error.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"
#include "tests/support/labelled_programs.h"

namespace pv::eval {
namespace {

using pv::testing::ScratchDir;
using pv::testing::slurp;

const std::vector<std::string> kTargets = {"fetch", "commit"};

// A label per record: commit = (uarch index + 1) x (record + 1), fetch = 1.
float label(uint64_t record, size_t uarch, size_t target) {
  return target == 1 ? static_cast<float>((uarch + 1) * (record + 1)) : 1.0f;
}

// u0 trained, u1 tuned, u2 not labelled in the streams; alpha is a training program.
Model model() {
  Model m = pv::testing::smallUntrainedModel({"u0@2", "u1@3", "u2"});
  m.uarchs[0].origin = "trained";
  m.uarchs[1].origin = "tuned";
  m.training.programs = {"alpha"};
  return m;
}

// alpha (40 records) and beta (24), labelled for u1, other and u0 (in that order).
struct Programs {
  ScratchDir dir;
  Model m = model();
  Programs() {
    saveModel(m, dir / "m.pvm");
    pv::testing::writeLabelledStream(dir / "alpha.pvs", m, {"u1", "other", "u0"}, kTargets, 40, 1, label);
    pv::testing::writeLabelledStream(dir / "beta.pvs", m, {"u1", "other", "u0"}, kTargets, 24, 2, label);
  }
  ProgramSummary summary(const std::string& name) const {
    return summarize(m, encode::loadEncoder(m, "m"), dir / (name + ".pvs"), name, SummaryOptions{});
  }
};

double commitPrediction(const Model& m, const ProgramSummary& s, size_t uarch) {
  double dot = 0;
  for (size_t d = 0; d < 4; ++d) dot += s.representation[d] * m.uarchs[uarch].representation[1 * 4 + d];
  return dot;
}

TEST(Evaluation, pairsEveryLabelledMicroarchitectureOfTheModelWithItsTruth) {
  Programs p;
  const ProgramSummary alpha = p.summary("alpha");
  const auto pairs = evaluateProgram(p.m, alpha, "alpha.pvs");
  ASSERT_EQ(pairs.size(), 2u);  // u2 has no labels, "other" is not in the model
  EXPECT_EQ(pairs[0].uarch, "u0");
  EXPECT_EQ(pairs[0].truth, 3.0 * 820);  // 3 x (1 + ... + 40)
  EXPECT_EQ(pairs[0].predicted, commitPrediction(p.m, alpha, 0));
  EXPECT_TRUE(pairs[0].programSeen);
  EXPECT_TRUE(pairs[0].uarchSeen);
  EXPECT_EQ(pairs[1].uarch, "u1");
  EXPECT_EQ(pairs[1].truth, 820.0);
  EXPECT_EQ(pairs[1].predicted, commitPrediction(p.m, alpha, 1));
  EXPECT_FALSE(pairs[1].uarchSeen);  // tuned
  EXPECT_NE(pairs[0].predicted, 0.0);
  const auto beta = evaluateProgram(p.m, p.summary("beta"), "beta.pvs");
  EXPECT_FALSE(beta[0].programSeen);
  EXPECT_EQ(beta[0].truth, 3.0 * 300);
}

TEST(Evaluation, tablesAreByteForByte) {
  Model m;
  m.name = "tiny";
  m.contentHash = "xxh3-128:c";
  Evaluation e;
  e.programs = {"alpha", "beta", "gamma"};
  e.pairs = {{"alpha", "u0", true, true, 100, 110},
             {"alpha", "u1", true, false, 200, 150},
             {"beta", "u0", false, true, 50, 45},
             {"beta", "u1", false, false, 80, 100},
             {"gamma", "u0", false, true, 10, 10.5}};
  EXPECT_EQ(formatEvaluationTable(m, e),
            "model tiny (xxh3-128:c)\n"
            "program          program | seen microarchitectures      | unseen microarchitectures   \n"
            "                         |      n       mean        max |      n       mean        max\n"
            "alpha            seen    |      1     10.00%     10.00% |      1     25.00%     25.00%\n"
            "beta             unseen  |      1     10.00%     10.00% |      1     25.00%     25.00%\n"
            "gamma            unseen  |      1      5.00%      5.00% |      0          -          -\n"
            "\n"
            "programs uarchs    pairs   mean |err|    max |err|\n"
            "seen     seen          1       10.00%       10.00%\n"
            "seen     unseen        1       25.00%       25.00%\n"
            "unseen   seen          2        7.50%       10.00%\n"
            "unseen   unseen        1       25.00%       25.00%\n");
  EXPECT_EQ(formatEvaluationCsv(e),
            "program,uarch,program_seen,uarch_seen,truth_ns,predicted_ns,error\n"
            "alpha,u0,1,1,10.000,11.000,0.100000\n"
            "alpha,u1,1,0,20.000,15.000,-0.250000\n"
            "beta,u0,0,1,5.000,4.500,-0.100000\n"
            "beta,u1,0,0,8.000,10.000,0.250000\n"
            "gamma,u0,0,1,1.000,1.050,0.050000\n");
}

// A negative predicted time is counted under the table, not averaged away.
TEST(Evaluation, negativePredictedTimesAreCountedUnderTheTable) {
  Model m;
  m.name = "tiny";
  m.contentHash = "xxh3-128:c";
  Evaluation e;
  e.programs = {"alpha"};
  e.pairs = {{"alpha", "u0", true, true, 100, 110}, {"alpha", "u1", true, true, 200, -30}};
  const std::string table = formatEvaluationTable(m, e);
  EXPECT_NE(table.find("\nNEGATIVE predicted times: 1 of 2 pairs"), std::string::npos) << table;
  e.pairs[1].predicted = 30;
  EXPECT_EQ(formatEvaluationTable(m, e).find("NEGATIVE"), std::string::npos);
}

TEST(Evaluation, theCommandWritesTheTableAndTheCsv) {
  Programs p;
  EvaluationOptions o;
  o.modelPath = p.dir / "m.pvm";
  o.streams = {p.dir / "alpha.pvs", p.dir / "beta.pvs"};
  o.csvPath = p.dir / "pairs.csv";
  std::ostringstream out, log;
  runEvaluation(o, out, log);
  const Model saved = loadModel(o.modelPath);
  Evaluation expected;
  expected.programs = {"alpha", "beta"};
  for (const std::string name : {"alpha", "beta"})
    for (const auto& pair : evaluateProgram(saved, p.summary(name), name)) expected.pairs.push_back(pair);
  EXPECT_EQ(out.str(), formatEvaluationTable(saved, expected));
  EXPECT_EQ(slurp(o.csvPath), formatEvaluationCsv(expected));
  EXPECT_EQ(log.str(), "pv-eval: alpha (1 of 2)\npv-eval: beta (2 of 2)\n");

  // Only beta, quietly, the CSV on stdout instead of the table.
  o.programs = {"beta"};
  o.quiet = true;
  o.csvPath = "-";
  std::ostringstream out2, log2;
  ::testing::internal::CaptureStdout();
  runEvaluation(o, out2, log2);
  const std::string csv = ::testing::internal::GetCapturedStdout();
  expected.programs = {"beta"};
  std::erase_if(expected.pairs, [](const EvaluatedPair& x) { return x.program != "beta"; });
  EXPECT_EQ(csv, formatEvaluationCsv(expected));
  EXPECT_EQ(out2.str(), "");
  EXPECT_EQ(log2.str(), "");
}

TEST(Evaluation, badInputsAreNamed) {
  Programs p;
  pv::testing::writeLabelledStream(p.dir / "nocommit.pvs", p.m, {"u0"}, {"fetch"}, 8, 3, label);
  pv::testing::writeLabelledStream(p.dir / "zero.pvs", p.m, {"u0"}, kTargets, 8, 3,
                                   [](uint64_t, size_t, size_t) { return 0.0f; });
  pv::testing::writeLabelledStream(p.dir / "foreign.pvs", p.m, {"x"}, kTargets, 8, 3, label);
  auto failure = [&](const std::vector<std::string>& streams, const std::vector<std::string>& programs = {}) {
    EvaluationOptions o;
    o.modelPath = p.dir / "m.pvm";
    o.streams = streams;
    o.programs = programs;
    o.csvPath = p.dir / "pairs.csv";
    std::ostringstream out, log;
    try {
      runEvaluation(o, out, log);
    } catch (const StageError& e) {
      EXPECT_FALSE(std::filesystem::exists(o.csvPath));
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(failure({p.dir / "nocommit.pvs"}), (p.dir / "nocommit.pvs") + ":header: no 'commit' labels (no ground truth)");
  EXPECT_EQ(failure({p.dir / "zero.pvs"}), (p.dir / "zero.pvs") + ":u0: a ground-truth time of 0");
  EXPECT_EQ(failure({p.dir / "foreign.pvs"}),
            (p.dir / "m.pvm") + ": no microarchitecture of the model is labelled in these programs");
  EXPECT_EQ(failure({p.dir / "alpha.pvs"}, {"gamma"}),
            "--programs: none of these programs is among the finished workloads and streams given");
  EXPECT_THROW(failure({}), runtime::UsageError);
}

}  // namespace
}  // namespace pv::eval
