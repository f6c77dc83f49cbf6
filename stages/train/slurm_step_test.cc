// pv-train as a Slurm step task: the first host of a host list, the
// variables of a step, their precedence under the flags and torchrun's.

#include "stages/train/slurm_step.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "stages/runtime/tool.h"
#include "stages/train/train_command.h"

namespace pv::train {
namespace {

// An environment of these variables only.
Environment environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) {
    auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
}

// What srun gives task `rank` of a two-task step of job 4711 on two nodes.
std::map<std::string, std::string> stepTask(int rank) {
  return {{"SLURM_JOB_ID", "4711"},
          {"SLURM_STEP_ID", "0"},
          {"SLURM_PROCID", std::to_string(rank)},
          {"SLURM_LOCALID", "0"},
          {"SLURM_NTASKS", "2"},
          {"SLURM_STEP_NUM_TASKS", "2"},
          {"SLURM_STEP_NODELIST", "gpu[07-08]"},
          {"SLURM_JOB_NODELIST", "gpu[07-08],login1"}};
}

// The message of the usage error `f` throws ("" if none).
template <typename F>
std::string usageError(F f) {
  try {
    f();
  } catch (const runtime::UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(SlurmHostList, TheFirstHostOfAList) {
  EXPECT_EQ(firstHost("localhost", "V"), "localhost");
  EXPECT_EQ(firstHost("node[01-03,07],gpu5", "V"), "node01");
  EXPECT_EQ(firstHost("gpu5,node[01-03]", "V"), "gpu5");
  EXPECT_EQ(firstHost("n[7,1-3]", "V"), "n7");  // the first as written
  EXPECT_EQ(firstHost("rack[2-3]-node[009-010].ib", "V"), "rack2-node009.ib");
  EXPECT_EQ(firstHost("cn[0099-0100]", "V"), "cn0099");  // the width of the low bound
  EXPECT_EQ(firstHost("a_b.example.org", "V"), "a_b.example.org");
}

TEST(SlurmHostList, AListSlurmWouldNotWriteIsAUsageErrorNamingTheVariableAndItsValue) {
  EXPECT_EQ(usageError([] { firstHost("node[01-03", "SLURM_STEP_NODELIST"); }),
            "SLURM_STEP_NODELIST='node[01-03': not a Slurm host list: a '[' without its ']'");
  EXPECT_EQ(usageError([] { firstHost("n[5-2]", "SLURM_JOB_NODELIST"); }),
            "SLURM_JOB_NODELIST='n[5-2]': not a Slurm host list: the range '5-2' goes down");
  EXPECT_EQ(usageError([] { firstHost("", "X"); }), "X='': an empty host list");
  for (const char* bad : {"a,,b", "a,", ",a", "n[]", "n[1-]", "n[a-b]", "n[1,,2]", "n[[1]]", "a b", "n]1"})
    EXPECT_NE(usageError([&] { firstHost(bad, "X"); }).find(std::string("X='") + bad + "'"), std::string::npos)
        << bad;
}

TEST(SlurmStep, EveryTaskFindsItsRankTheStepsSizeAndTheSameRendezvous) {
  EXPECT_EQ(slurmMasterPort(4711), 29500 + 711);
  EXPECT_EQ(slurmMasterPort(1), 29501);
  for (int rank : {0, 1}) {
    const std::optional<SlurmStep> s = slurmStep(environment(stepTask(rank)));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->rank, rank);
    EXPECT_EQ(s->tasks, 2);
    EXPECT_EQ(s->masterHost, "gpu07");  // the step's first node, not the job's
    EXPECT_EQ(s->masterPort, 30211);
    EXPECT_EQ(s->jobId, "4711");
  }
  auto vars = stepTask(1);
  vars.erase("SLURM_STEP_NODELIST");  // the job's list then
  vars["MASTER_PORT"] = "6000";
  const std::optional<SlurmStep> s = slurmStep(environment(vars));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->masterHost, "gpu07");
  EXPECT_EQ(s->masterPort, 6000);
  vars["MASTER_ADDR"] = "10.1.2.3";
  EXPECT_EQ(slurmStep(environment(vars))->masterHost, "10.1.2.3");
}

// A batch script of -n 2 has SLURM_PROCID=0 and SLURM_NTASKS=2 but is one
// process: not a step task (it would wait for a rank 1 forever).
TEST(SlurmStep, ABatchScriptOrAProcessOutsideSlurmIsNotAStepTask) {
  auto batch = stepTask(0);
  batch.erase("SLURM_STEP_NUM_TASKS");
  batch.erase("SLURM_STEP_ID");
  batch.erase("SLURM_STEP_NODELIST");
  EXPECT_FALSE(slurmStep(environment(batch)));
  EXPECT_EQ(slurmJobTasksOutsideAStep(environment(batch)), 2);
  EXPECT_FALSE(slurmStep(environment({})));
  EXPECT_EQ(slurmJobTasksOutsideAStep(environment({})), 0);
  EXPECT_EQ(slurmJobTasksOutsideAStep(environment(stepTask(0))), 0);
}

TEST(SlurmStep, AnInconsistentEnvironmentIsAUsageErrorNamingTheVariable) {
  auto with = [](const char* name, const char* value) {
    auto vars = stepTask(1);
    if (*value) vars[name] = value;
    else vars.erase(name);
    return usageError([&] { slurmStep(environment(vars)); });
  };
  EXPECT_EQ(with("SLURM_PROCID", "2"),
            "SLURM_PROCID='2' is not below SLURM_STEP_NUM_TASKS='2' (a task's rank must be one of the step's tasks)");
  EXPECT_EQ(with("SLURM_PROCID", "one"), "SLURM_PROCID='one': expected a number from 0 to 1048576");
  EXPECT_EQ(with("SLURM_PROCID", "-1"), "SLURM_PROCID='-1': expected a number from 0 to 1048576");
  EXPECT_EQ(with("SLURM_STEP_NUM_TASKS", "0"), "SLURM_STEP_NUM_TASKS='0': expected a number from 1 to 1048576");
  EXPECT_EQ(with("SLURM_STEP_NUM_TASKS", "2x"), "SLURM_STEP_NUM_TASKS='2x': expected a number from 1 to 1048576");
  EXPECT_EQ(with("MASTER_PORT", "70000"), "MASTER_PORT='70000': expected a number from 1 to 65535");
  EXPECT_EQ(with("SLURM_JOB_ID", "12_3"), "SLURM_JOB_ID='12_3': expected a number from 0 to 18446744073709551615");
  EXPECT_NE(with("SLURM_STEP_NODELIST", "gpu[07-08").find("SLURM_STEP_NODELIST='gpu[07-08'"), std::string::npos);
  EXPECT_NE(with("SLURM_JOB_ID", "").find("without SLURM_JOB_ID"), std::string::npos);
  auto noList = stepTask(1);
  noList.erase("SLURM_STEP_NODELIST");
  noList.erase("SLURM_JOB_NODELIST");
  EXPECT_NE(usageError([&] { slurmStep(environment(noList)); }).find("without SLURM_STEP_NODELIST or SLURM_JOB_NODELIST"),
            std::string::npos);
  // A step of one task needs no rendezvous: no host list or job id.
  EXPECT_TRUE(slurmStep(environment({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}})));
}

TEST(SlurmStep, TheFlagsThenTorchrunsVariablesThenSlurmsGiveTheRank) {
  auto slurm = stepTask(1);
  slurm["SLURM_LOCALID"] = "1";
  TrainOptions o;
  const RendezvousSource source = rendezvousFromEnvironment(o, environment(slurm));
  EXPECT_EQ(o.rank, 1);
  EXPECT_EQ(o.world, 2);
  EXPECT_EQ(o.master, "gpu07:30211");
  EXPECT_EQ(o.localRank, 1);
  EXPECT_EQ(source.from, "Slurm job 4711, step 0");

  auto torchrun = slurm;
  torchrun.insert({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "7"}, {"LOCAL_RANK", "0"}});
  TrainOptions t;
  EXPECT_EQ(rendezvousFromEnvironment(t, environment(torchrun)).from, "torchrun");
  EXPECT_EQ(t.rank, 0);
  EXPECT_EQ(t.world, 4);
  EXPECT_EQ(t.master, "h:7");
  EXPECT_EQ(t.localRank, 0);  // LOCAL_RANK before SLURM_LOCALID

  TrainOptions flags;
  flags.rank = 0;
  flags.world = 3;
  flags.master = "m:1";
  slurm["SLURM_PROCID"] = "bad";  // not read: the flags say it all
  EXPECT_EQ(rendezvousFromEnvironment(flags, environment(slurm)).from, "");
  EXPECT_EQ(flags.rank, 0);
  EXPECT_EQ(flags.world, 3);
  EXPECT_EQ(flags.master, "m:1");
  EXPECT_EQ(flags.localRank, 1);  // the task's SLURM_LOCALID

  // --master alone keeps its address for the Slurm ranks.
  TrainOptions master;
  master.master = "10.0.0.9:5000";
  rendezvousFromEnvironment(master, environment(stepTask(0)));
  EXPECT_EQ(master.rank, 0);
  EXPECT_EQ(master.master, "10.0.0.9:5000");

  // A step of one task, and a batch script, train on one machine.
  TrainOptions one;
  auto single = stepTask(0);
  single["SLURM_STEP_NUM_TASKS"] = "1";
  EXPECT_EQ(rendezvousFromEnvironment(one, environment(single)).from, "");
  EXPECT_EQ(one.rank, -1);
  auto batch = stepTask(0);
  batch.erase("SLURM_STEP_NUM_TASKS");
  TrainOptions b;
  const RendezvousSource alone = rendezvousFromEnvironment(b, environment(batch));
  EXPECT_EQ(b.rank, -1);
  EXPECT_NE(alone.note.find("not a task of a step"), std::string::npos) << alone.note;
}

}  // namespace
}  // namespace pv::train
