// pv-eval's evaluation on a small real model and labelled streams: every
// labelled pair of the model's table with its truth (the sum of the commit
// labels) and prediction (R_p . M_u); the tables byte for byte; the files
// and errors of the whole flow.

#include "stages/eval/evaluation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "stages/core/stage_error.h"
#include "stages/eval/eval_slurm.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"
#include "tests/support/labelled_programs.h"

namespace pv::eval {
namespace {

using pv::testing::ScratchDir;
using pv::testing::slurp;
using pv::testing::spit;

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

// ---- on a Slurm cluster (eval_slurm.h; tests/cli/slurm_sweeps.sh runs it on a real one)

TEST(EvaluationOnSlurm, aPartHoldsThePairsExactlyAndOnlyForItsKey) {
  Programs p;
  const EvaluationInput alpha{p.dir / "alpha.pvs", "alpha"};
  const std::vector<EvaluatedPair> pairs = evaluateInput(p.m, encode::loadEncoder(p.m, "m"), alpha, 0);
  ASSERT_EQ(pairs.size(), 2u);
  const PartKey key{p.m.contentHash, alpha.spec, alpha.name, 0, streamIdentity(alpha.spec)};
  EXPECT_FALSE(key.stream.empty());
  spit(p.dir / "a.part", formatPart(key, pairs));
  const auto back = readPart(p.dir / "a.part", key);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ((*back)[i].program, "alpha");
    EXPECT_EQ((*back)[i].uarch, pairs[i].uarch);
    EXPECT_EQ((*back)[i].programSeen, pairs[i].programSeen);
    EXPECT_EQ((*back)[i].uarchSeen, pairs[i].uarchSeen);
    EXPECT_EQ((*back)[i].truth, pairs[i].truth);  // to the last bit: the merged CSV is a local run's
    EXPECT_EQ((*back)[i].predicted, pairs[i].predicted);
  }
  // Written for another model, another --max-rows or another stream file: not taken.
  PartKey other = key;
  other.model = "xxh3-128:other";
  EXPECT_FALSE(readPart(p.dir / "a.part", other));
  other = key;
  other.maxRows = 16;
  EXPECT_FALSE(readPart(p.dir / "a.part", other));
  other = key;
  other.stream = "1 2";
  EXPECT_FALSE(readPart(p.dir / "a.part", other));
  // Cut short, or missing.
  std::string text = slurp(p.dir / "a.part");
  spit(p.dir / "a.part", text.substr(0, text.rfind('\n', text.size() - 2) + 1));
  EXPECT_FALSE(readPart(p.dir / "a.part", key));
  EXPECT_FALSE(readPart(p.dir / "missing.part", key));
  std::vector<EvaluatedPair> tab = pairs;
  tab[0].uarch = "u\t0";
  EXPECT_THROW(formatPart(key, tab), StageError);
}

// Without a cluster: the printed script's tasks, run by bash as Slurm
// would, write parts that merge into the local run's CSV and table.
TEST(EvaluationOnSlurm, theScriptsTasksWritePartsThatMergeIntoTheLocalRunsReport) {
  Programs p;
  EvaluationOptions o;
  o.modelPath = p.dir / "m.pvm";
  o.streams = {p.dir / "alpha.pvs", p.dir / "beta.pvs"};
  o.threads = 1;
  o.threadsGiven = true;
  o.quiet = true;
  o.csvPath = p.dir / "local.csv";
  std::ostringstream local, log;
  runEvaluation(o, local, log);

  o.slurm.print = true;
  o.slurm.dir = p.dir / "slurm";
  o.csvPath = p.dir / "printed.csv";
  std::ostringstream none;
  ::testing::internal::CaptureStdout();
  runEvaluation(o, none, log);
  const std::string script = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(slurp(p.dir / "slurm/job.sbatch"), script);
  EXPECT_NE(script.find("\n#SBATCH --array=0-1\n"), std::string::npos) << script;
  EXPECT_NE(script.find("\nnames=(alpha beta)\n"), std::string::npos) << script;
  EXPECT_EQ(none.str(), "");
  EXPECT_FALSE(std::filesystem::exists(o.csvPath));
  for (const std::string task : {"0", "1"}) {
    runtime::Command bash("bash", {p.dir / "slurm/job.sbatch"});
    bash.environment = {{"SLURM_ARRAY_TASK_ID", task}};
    EXPECT_TRUE(runtime::spawn(bash).wait().ok()) << "task " << task;
  }
  // Every program has its part: the merge submits nothing.
  o.slurm.print = false;
  o.slurm.submit = true;
  const Model model = loadModel(o.modelPath);
  const std::optional<Evaluation> merged = evaluateOnSlurm(o, model, evaluationInputs(o), log);
  ASSERT_TRUE(merged);
  EXPECT_EQ(formatEvaluationCsv(*merged), slurp(p.dir / "local.csv"));
  EXPECT_EQ(formatEvaluationTable(model, *merged), local.str());
  EXPECT_TRUE(std::filesystem::is_empty(p.dir / "slurm/parts"));

  // Options that need --slurm, and streams that are not files.
  EvaluationOptions bad = o;
  bad.slurm.submit = false;
  bad.slurm.mem = "1G";
  std::ostringstream out;
  EXPECT_THROW(runEvaluation(bad, out, log), runtime::ExitStatus);
  bad.slurm.mem = "";
  EXPECT_THROW(runEvaluation(bad, out, log), runtime::ExitStatus);  // --slurm-dir alone
  bad = o;
  bad.streams = {"-"};
  try {
    evaluateOnSlurm(bad, model, evaluationInputs(bad), log);
    ADD_FAILURE() << "stdin accepted";
  } catch (const runtime::ExitStatus& e) {
    EXPECT_EQ(e.code(), 2);
    EXPECT_EQ(std::string(e.what()).rfind("-: not a file: with --slurm", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace pv::eval
