// pv-dataset's parts one by one (configurations, keys, environment, logs,
// output checks, --list) and whole runs on the real pv-launch, pv-uarch and
// stages: a pipeline file of the test's own labels the 21-instruction gem5
// example instead of tracing a program under Valgrind, so that a run takes
// a second. Its `count` is the tap's --batch-size: a workload whose count
// is above 65536 makes the tap fail, as a failing program would.
// Tests run from the repository root; the executables are beside this one.

#include "dataset/dataset_runner.h"
#include "dataset/dataset_slurm.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"
#include "stages/runtime/process.h"
#include "stages/runtime/tool.h"
#include "tests/composition/process.h"

namespace pv::dataset {
namespace {

namespace fs = std::filesystem;
using pv::testing::bin;
using pv::testing::binDir;
using pv::testing::ScratchDir;
using pv::testing::slurp;
using pv::testing::spit;

// The exit code and message of what `body` throws.
template <class Body>
std::pair<int, std::string> failureOf(Body body) {
  try {
    body();
  } catch (const runtime::ExitStatus& e) {
    return {e.code(), e.what()};
  } catch (const std::exception& e) {
    return {-1, e.what()};
  }
  return {0, "no error"};
}

// ---- configurations

TEST(DatasetConfigs, AreTheTomlFilesInNameOrderNamedByTheirNameKey) {
  ScratchDir dir;
  fs::create_directories(dir / "uarchs");
  spit(dir / "uarchs/b.toml", "name = \"beta\"\n[core]\n");
  spit(dir / "uarchs/a.toml", "[core]\nrob = 64\n");
  spit(dir / "uarchs/notes.txt", "not a configuration");
  const ConfigSet set = readConfigSet(dir / "uarchs", dir.path());
  EXPECT_EQ(set.files, (std::vector<std::string>{"uarchs/a.toml", "uarchs/b.toml"}));
  EXPECT_EQ(set.names, (std::vector<std::string>{"a", "beta"}));
  EXPECT_EQ(set.hashes, (std::vector<std::string>{hashOf("[core]\nrob = 64\n"), hashOf("name = \"beta\"\n[core]\n")}));

  // Read by pv-uarch's reader (stages/model-lib/uarch_config.h): not TOML,
  // or a configuration pv-uarch would refuse, is a set-up error with the
  // file's position.
  spit(dir / "uarchs/c.toml", "[core\n");
  auto [code, message] = failureOf([&] { readConfigSet(dir / "uarchs", dir.path()); });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(message.rfind(dir / "uarchs/c.toml:1:", 0), 0u) << message;
  EXPECT_NE(message.find(": TOML: "), std::string::npos) << message;
  spit(dir / "uarchs/c.toml", "[core]\nwidth = 4\n");
  std::tie(code, message) = failureOf([&] { readConfigSet(dir / "uarchs", dir.path()); });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(message.rfind(dir / "uarchs/c.toml:2:1: unknown key 'width' in [core]", 0), 0u) << message;
}

TEST(DatasetConfigs, AreCopiedAndReplacedOnlyWhileNothingIsFinishedWithThem) {
  ScratchDir dir;
  for (const char* d : {"one", "two", "empty", "out"}) fs::create_directories(dir / d);
  spit(dir / "one/x.toml", "name = \"x\"\n");
  spit(dir / "two/y.toml", "name = \"y\"\n");
  const fs::path out = dir / "out";
  std::string source;

  auto [code, message] = failureOf([&] { prepareConfigs(out, binDir(), "", 0, 1, false, source); });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(message, "no microarchitectures: give --configs DIR or --sample N [--seed S] (" + (dir / "out/uarchs") +
                         " does not exist yet)");

  ConfigSet set = prepareConfigs(out, binDir(), dir / "one", 0, 1, false, source);
  EXPECT_EQ(set.names, std::vector<std::string>{"x"});
  EXPECT_EQ(source, "dir " + (dir / "one"));
  EXPECT_EQ(slurp(dir / "out/uarchs/x.toml"), "name = \"x\"\n");
  // Again with neither option: what is there.
  EXPECT_EQ(prepareConfigs(out, binDir(), "", 0, 1, true, source).names, std::vector<std::string>{"x"});
  // Others, once a workload is finished: refused, and the folder kept.
  std::tie(code, message) = failureOf([&] { prepareConfigs(out, binDir(), dir / "two", 0, 1, true, source); });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(message, (dir / "out/uarchs") +
                         " holds other microarchitectures, with which workloads are already finished; use "
                         "another output folder (or the same configurations)");
  EXPECT_TRUE(fs::exists(dir / "out/uarchs/x.toml"));
  EXPECT_FALSE(fs::exists(dir / "out/uarchs.new"));
  // Others while nothing is finished: replaced.
  EXPECT_EQ(prepareConfigs(out, binDir(), dir / "two", 0, 1, false, source).names, std::vector<std::string>{"y"});
  EXPECT_FALSE(fs::exists(dir / "out/uarchs/x.toml"));

  std::tie(code, message) = failureOf([&] { prepareConfigs(out, binDir(), dir / "empty", 0, 1, false, source); });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(message, (dir / "out/uarchs") + ": no configurations (*.toml)");
}

TEST(DatasetConfigs, AreDrawnByPvUarchSample) {
  ScratchDir dir;
  std::string source;
  const ConfigSet set = prepareConfigs(dir.path(), binDir(), "", 2, 7, false, source);
  EXPECT_EQ(set.names, (std::vector<std::string>{"s7-0000", "s7-0001"}));
  EXPECT_EQ(source, "sample --seed 7 --count 2");
  // The same draw again is the same files: nothing finished is invalidated.
  EXPECT_EQ(prepareConfigs(dir.path(), binDir(), "", 2, 7, true, source).hashes, set.hashes);

  // A dataset drawn by an older pv-uarch, whose files were laid out
  // otherwise: the same values, so the dataset goes on with its own files.
  const std::string first = dir / "uarchs/s7-0000.toml";
  spit(first, "# another layout\n" + slurp(first));
  const ConfigSet older = prepareConfigs(dir.path(), binDir(), "", 2, 7, true, source);
  EXPECT_EQ(older.names, set.names);
  EXPECT_NE(older.hashes[0], set.hashes[0]);
  EXPECT_EQ(older.hashes[0], hashOf(slurp(first)));
  // Other values, with workloads finished: refused.
  std::string text = slurp(first);
  const size_t rob = text.find("\nrob = ");
  ASSERT_NE(rob, std::string::npos) << text;
  text.replace(rob, text.find('\n', rob + 1) - rob, "\nrob = 17");
  spit(first, text);
  const auto [otherCode, otherMessage] = failureOf([&] { prepareConfigs(dir.path(), binDir(), "", 2, 7, true, source); });
  EXPECT_EQ(otherCode, 2);
  EXPECT_NE(otherMessage.find("holds other microarchitectures"), std::string::npos) << otherMessage;

  ScratchDir noTools;
  const auto [code, message] = failureOf([&] { prepareConfigs(dir.path(), noTools.path(), "", 2, 7, false, source); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(message, "cannot run " + (noTools / "pv-uarch") + ": No such file or directory");
}

// ---- keys, environment, logs

TEST(DatasetKeys, DependOnEverythingThatDecidesTheFileAndNothingElse) {
  Workload w;
  w.name = "w";
  w.env = {{"A", "1"}};
  w.skip = 10;
  w.description = "not part of the key";
  const std::vector<std::string> command = {"/bin/prog", "in.txt"};
  ConfigSet configs;
  configs.names = {"u0", "u1"};
  configs.hashes = {"00000000000000aa", "00000000000000bb"};
  configs.files = {"uarchs/u0.toml", "uarchs/u1.toml"};
  const std::string key = entryKey(command, w, 100, configs, "inputs", "pipeline");
  // A manifest written by an earlier pv-dataset stays valid: the key's recipe does not change.
  EXPECT_EQ(key, "28955086e035c6a8");

  Workload other = w;
  other.description = "another";
  other.split = "test";
  ConfigSet moved = configs;
  moved.files = {"elsewhere/u0.toml", "elsewhere/u1.toml"};
  EXPECT_EQ(entryKey(command, other, 100, moved, "inputs", "pipeline"), key);

  std::set<std::string> keys = {key};
  auto add = [&](const std::string& k) { EXPECT_TRUE(keys.insert(k).second) << "a change left the key " << k; };
  add(entryKey({"/bin/prog", "in2.txt"}, w, 100, configs, "inputs", "pipeline"));
  other = w;
  other.env["A"] = "2";
  add(entryKey(command, other, 100, configs, "inputs", "pipeline"));
  other = w;
  other.skip = 11;
  add(entryKey(command, other, 100, configs, "inputs", "pipeline"));
  add(entryKey(command, w, 101, configs, "inputs", "pipeline"));
  ConfigSet changed = configs;
  changed.names[1] = "u2";
  add(entryKey(command, w, 100, changed, "inputs", "pipeline"));
  changed = configs;
  changed.hashes[0] = "00000000000000cc";
  add(entryKey(command, w, 100, changed, "inputs", "pipeline"));
  add(entryKey(command, w, 100, configs, "inputs2", "pipeline"));
  add(entryKey(command, w, 100, configs, "inputs", "pipeline2"));
}

// A HOME that exists (a folder, a file, or a link, even a dangling one) is
// named, with why it must not; a missing one is fine. pv-dataset checks
// kWorkloadHome with it before and after every workload.
TEST(DatasetEnvironment, AnExistingHomeIsAProblemThatNamesIt) {
  ScratchDir dir;
  const fs::path home = fs::path(dir.path()) / "home";
  EXPECT_EQ(homeProblem(home), "");
  fs::create_directory(home);
  const std::string problem = homeProblem(home);
  EXPECT_EQ(problem.rfind(home.string() + " exists on this machine, but the workloads run with HOME=" + home.string(), 0),
            0u)
      << problem;
  fs::remove(home);
  std::ofstream(home.string()) << "x";
  EXPECT_NE(homeProblem(home), "");
  fs::remove(home);
  fs::create_symlink(fs::path(dir.path()) / "missing", home);
  EXPECT_NE(homeProblem(home), "") << "a link in HOME's place still lets a program create its target";
}

TEST(DatasetEnvironment, IsFixedWithTheCallersTmpdirAndTheWorkloadsOwn) {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string savedTmpdir = tmpdir ? tmpdir : "";
  ::setenv("TMPDIR", "/var/pv-tmp", 1);
  ::unsetenv("PV_VALGRIND_LIB");
  ::setenv("PV_DATASET_TEST_NOT_PASSED", "1", 1);
  Workload w;
  w.env = {{"LANG", "en_GB.UTF-8"}, {"GZIP", "-9"}};
  EXPECT_EQ(workloadEnvironment(w), (std::map<std::string, std::string>{{"GZIP", "-9"},
                                                                        {"HOME", "/nonexistent"},
                                                                        {"LANG", "en_GB.UTF-8"},
                                                                        {"LC_ALL", "C"},
                                                                        {"PATH", "/usr/local/bin:/usr/bin:/bin"},
                                                                        {"TMPDIR", "/var/pv-tmp"},
                                                                        {"TZ", "UTC"}}));
  ::unsetenv("PV_DATASET_TEST_NOT_PASSED");
  if (tmpdir)
    ::setenv("TMPDIR", savedTmpdir.c_str(), 1);
  else
    ::unsetenv("TMPDIR");
}

TEST(DatasetLogs, AFailureIsExplainedByTheReportLinesElseTheLastLines) {
  ScratchDir dir;
  spit(dir / "a.log",
       "[tap] noise 1\npv-launch: first\n[uarch] noise 2\npv-launch: second\n\npv-dataset: third\n"
       "pv-launch: fourth\npv-launch: fifth\n[reuse] noise 3\n");
  EXPECT_EQ(explainFailure(dir / "a.log"), "\n  pv-launch: second\n  pv-dataset: third\n  pv-launch: fourth\n"
                                           "  pv-launch: fifth");
  spit(dir / "b.log", "1\n2\n3\n4\n5\n");
  EXPECT_EQ(explainFailure(dir / "b.log"), "\n  2\n  3\n  4\n  5");
  EXPECT_EQ(explainFailure(dir / "missing.log"), "");
  spit(dir / "slurm.log", "pv-dataset: interrupted\nnoise\nslurmstepd-n: error: *** JOB 8 ON n CANCELLED AT 2026 ***\n");
  EXPECT_EQ(explainFailure(dir / "slurm.log"),
            "\n  pv-dataset: interrupted\n  slurmstepd-n: error: *** JOB 8 ON n CANCELLED AT 2026 ***");

  spit(dir / "c.log", "[tap] pv-trace-tap: 12 instructions traced\n[tap] pv-trace-tap: 1234 instructions traced\n");
  EXPECT_EQ(tracedInstructions(dir / "c.log"), 1234u);
  EXPECT_EQ(tracedInstructions(dir / "b.log"), 0u);
}

TEST(DatasetText, CommasAndTheList) {
  EXPECT_EQ(withCommas(0), "0");
  EXPECT_EQ(withCommas(999), "999");
  EXPECT_EQ(withCommas(1000), "1,000");
  EXPECT_EQ(withCommas(1234567890), "1,234,567,890");
  Suite suite = parseSuite(R"([suite]
name = "t"
[[workload]]
name = "gz"
packages = ["gzip"]
command = ["/usr/bin/gzip"]
skip = 2000000
count = 50000
split = "train"
description = "compress"
[[workload]]
name = "k"
packages = []
command = ["{bin}/pv-kernels"]
skip = 0
count = 5
split = "test"
)",
                           "t.toml");
  // Columns: name 15 left, split 10 left (validation), skip 15 right, count 12 right, two
  // blanks, packages 22 left, description.
  auto blanks = [](size_t n) { return std::string(n, ' '); };
  const std::string header = "name" + blanks(12) + "split" + blanks(17) + "skip" + blanks(8) + "count" +
                             blanks(2) + "packages" + blanks(15) + "description\n";
  const std::string gz = "gz" + blanks(14) + "train" + blanks(12) + "2,000,000" + blanks(7) + "50,000" +
                         blanks(2) + "gzip" + blanks(19) + "compress\n";
  const std::string k = "k" + blanks(15) + "test" + blanks(21) + "0" + blanks(12) + "5" + blanks(2) +
                        "(perfvec)" + blanks(14) + "\n";
  EXPECT_EQ(formatList(suite, suite.workloads), header + gz + k + "2 of 2 workloads of t\n");
  EXPECT_EQ(formatList(suite, {suite.workloads[1]}), header + k + "1 of 2 workloads of t\n");
}

// ---- whole runs

std::string repoRoot() { return fs::current_path().string(); }  // tests run from there

// A suite of `workloads` (TOML tables) and the test's pipeline in `dir`;
// options that run them into DIR/out with two sampled configurations.
DatasetOptions prepareRun(const ScratchDir& dir, const std::string& workloads) {
  spit(dir / "suite.toml", "[suite]\nname = \"t\"\n" + workloads);
  spit(dir / "labelled.toml", "[pipeline]\nname = \"test-labelled\"\n"
                              "[params]\n"
                              "command = { help = \"ignored\" }\n"
                              "skip = \"0\"\n"
                              "count = \"4096\"\n"
                              "uarch_options = { help = \"pv-uarch options\" }\n"
                              "out = \"labelled.pvs.zst\"\n"
                              "trace = \"" + repoRoot() + "/examples/gem5-arm-21/trace.txt\"\n"
                              "[[stage]]\nname = \"tap\"\nrun = \"pv-trace-tap\"\n"
                              "args = [\"{trace}\", \"--batch-size\", \"{count}\"]\n"
                              "[[stage]]\nname = \"uarch\"\nrun = \"pv-uarch\"\nargs = [\"{*uarch_options}\"]\n"
                              "[[stage]]\nname = \"feature\"\nrun = \"pv-feature\"\n"
                              "[[stage]]\nname = \"reuse\"\nrun = \"pv-reuse-distance\"\nargs = [\"-o\", \"{out}\"]\n");
  DatasetOptions o;
  o.suitePath = dir / "suite.toml";
  o.pipeline = dir / "labelled.toml";
  o.out = dir / "out";
  o.sample = 2;
  o.bin = binDir();
  o.quiet = true;
  o.progress = 0;
  return o;
}

std::string workload(const std::string& name, const std::string& program, uint64_t count) {
  return "[[workload]]\nname = \"" + name + "\"\npackages = [\"pv-test-package\"]\ncommand = [\"" + program +
         "\", \"{inputs}/x\"]\nskip = 3\ncount = " + std::to_string(count) + "\nsplit = \"train\"\n";
}

const std::string kWorkloads = workload("alpha", "/bin/true", 100) + workload("beta", "/bin/true", 7) +
                               workload("broken", "/bin/true", 100000) + workload("absent", "/nonexistent/prog", 10);

int noInterrupt() { return 0; }

std::vector<std::string> partialFiles(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".part.") != std::string::npos) found.push_back(e.path().string());
  return found;
}

TEST(DatasetRun, FinishedWorkloadsAreRecordedFailedOnesSaySoAndARerunKeepsTheFinished) {
  ScratchDir dir;
  const DatasetOptions o = prepareRun(dir, kWorkloads);
  EXPECT_EQ(run(o, noInterrupt), 1);  // two failed
  const fs::path out = o.out;
  Manifest m = *readManifest(out);
  EXPECT_EQ(m.configs, (std::vector<std::string>{"s1-0000", "s1-0001"}));
  EXPECT_EQ(m.configSource, "sample --seed 1 --count 2");
  const ConfigSet configs = readConfigSet(out / "uarchs", out);
  EXPECT_EQ(m.configHashes, configs.hashes);
  const std::string pipelineHash = hashOf(slurp(o.pipeline));
  const Suite suite = loadSuite(o.suitePath);
  for (const std::string name : {"alpha", "beta"}) {
    const ManifestEntry& e = *m.find(name);
    EXPECT_EQ(e.status, "done") << e.error;
    EXPECT_EQ(e.file, name + ".pvs.zst");
    EXPECT_EQ(e.report, "reports/" + name + ".json");
    EXPECT_EQ(e.bytes, fs::file_size(out / e.file));
    EXPECT_EQ(e.xxh3, hashFile(out / e.file));
    EXPECT_EQ(e.records, verifyOutput(out / e.file, configs));
    EXPECT_GE(e.records, 21u);  // the example's instructions, memory ones split in micro-ops
    EXPECT_TRUE(fs::is_regular_file(out / e.report));
    const Workload& w = *std::find_if(suite.workloads.begin(), suite.workloads.end(),
                                      [&](const Workload& x) { return x.name == name; });
    EXPECT_EQ(e.command, (std::vector<std::string>{"/bin/true", "inputs/x"}));
    EXPECT_EQ(e.key, entryKey(e.command, w, w.count, configs, m.inputsHash, pipelineHash));
  }
  // The same trace, batched by 100 or by 7: the same records.
  EXPECT_EQ(m.find("alpha")->records, m.find("beta")->records);

  const ManifestEntry& broken = *m.find("broken");
  EXPECT_EQ(broken.status, "failed");
  EXPECT_EQ(broken.error.rfind("pipeline exit status 1\n  pv-launch: ", 0), 0u) << broken.error;
  EXPECT_NE(broken.error.find("pv-launch: pipeline test-labelled failed: stage 'tap' (pv-trace-tap) exit status 2"),
            std::string::npos)
      << broken.error;
  EXPECT_EQ(m.find("absent")->status, "failed");
  EXPECT_EQ(m.find("absent")->error,
            "/nonexistent/prog not found: install the Debian package pv-test-package (apt-get install "
            "pv-test-package)");
  EXPECT_EQ(partialFiles(out), std::vector<std::string>{});

  // A rerun redoes the failed ones only: the finished files stay as they are.
  struct stat before {};
  ASSERT_EQ(::stat((out / "alpha.pvs.zst").c_str(), &before), 0);
  const std::string alphaBytes = slurp(out / "alpha.pvs.zst");
  EXPECT_EQ(run(o, noInterrupt), 1);
  struct stat after {};
  ASSERT_EQ(::stat((out / "alpha.pvs.zst").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  Manifest again = *readManifest(out);
  EXPECT_EQ(again.find("alpha")->seconds, m.find("alpha")->seconds);  // not run again

  // A finished file that changed is not trusted: it is made again, the same bytes.
  spit(out / "alpha.pvs.zst", alphaBytes.substr(0, alphaBytes.size() / 2));
  DatasetOptions onlyAlpha = o;
  onlyAlpha.names = {"alpha"};
  EXPECT_EQ(run(onlyAlpha, noInterrupt), 0);
  EXPECT_EQ(slurp(out / "alpha.pvs.zst"), alphaBytes);
  EXPECT_EQ(readManifest(out)->find("beta")->seconds, m.find("beta")->seconds);

  // Other configurations in a folder with finished workloads: refused.
  DatasetOptions otherSeed = o;
  otherSeed.seed = 2;
  const auto [code, message] = failureOf([&] { run(otherSeed, noInterrupt); });
  EXPECT_EQ(code, 2);
  EXPECT_NE(message.find("holds other microarchitectures"), std::string::npos) << message;
}

TEST(DatasetRun, OutputsThatAreNotTheFinishedStreamAreRefused) {
  ScratchDir dir;
  DatasetOptions o = prepareRun(dir, workload("alpha", "/bin/true", 100));
  ASSERT_EQ(run(o, noInterrupt), 0);
  const fs::path out = o.out;
  const std::string file = out / "alpha.pvs.zst";
  ConfigSet other;
  other.names = {"s1-0001", "s1-0000"};
  auto [code, message] = failureOf([&] { verifyOutput(file, other); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(message, "labelled for [s1-0000 s1-0001], expected [s1-0001 s1-0000]");

  const std::string bytes = slurp(file);
  spit(dir / "cut.pvs.zst", bytes.substr(0, bytes.size() - 9));
  std::tie(code, message) = failureOf([&] { verifyOutput(dir / "cut.pvs.zst", readConfigSet(out / "uarchs", out)); });
  EXPECT_EQ(code, -1) << message;  // the stream reader's error
  EXPECT_NE(message.find("cut.pvs.zst"), std::string::npos) << message;

  ASSERT_EQ(pv::testing::shell(bin("pv-trace-tap") + " " + repoRoot() + "/examples/gem5-arm-21/trace.txt -o " +
                                   (dir / "instructions.pvs"),
                               dir.path())
                .status,
            0);
  std::tie(code, message) = failureOf([&] { verifyOutput(dir / "instructions.pvs", other); });
  EXPECT_EQ(code, 1);
  EXPECT_EQ(message, "not a feature stream");
}

TEST(DatasetRun, AnInterruptStopsThePipelineAndLeavesTheWorkloadPending) {
  ScratchDir dir;
  const DatasetOptions o = prepareRun(dir, workload("alpha", "/bin/true", 100) + workload("beta", "/bin/true", 50));
  const fs::path out = o.out;
  // SIGINT arrives as soon as alpha's pipeline has started.
  EXPECT_EQ(run(o, [&] { return fs::exists(out / "logs/alpha.log") ? SIGINT : 0; }), 128 + SIGINT);
  Manifest m = *readManifest(out);
  EXPECT_EQ(m.find("alpha")->status, "pending");
  EXPECT_EQ(m.find("beta")->status, "pending");
  EXPECT_FALSE(fs::exists(out / "alpha.pvs.zst"));
  EXPECT_FALSE(fs::exists(out / "logs/beta.log"));  // never started
  EXPECT_EQ(partialFiles(out), std::vector<std::string>{});
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // pv-launch was reaped
  // Rerun: both finish.
  EXPECT_EQ(run(o, noInterrupt), 0);
  EXPECT_EQ(readManifest(out)->find("alpha")->status, "done");
}

TEST(DatasetRun, NativeRunsEveryWorkloadOnceAndCountsFailures) {
  ScratchDir dir;
  DatasetOptions o = prepareRun(dir, workload("fine", "/bin/true", 10) + workload("bad", "/bin/false", 10) +
                                         workload("absent", "/nonexistent/prog", 10));
  o.native = true;
  EXPECT_EQ(run(o, noInterrupt), 1);
  EXPECT_TRUE(fs::exists(dir / "out/logs/fine.native.log"));
  EXPECT_TRUE(fs::exists(dir / "out/logs/bad.native.log"));
  EXPECT_FALSE(fs::exists(dir / "out/manifest.toml"));
  o.names = {"fine"};
  EXPECT_EQ(run(o, noInterrupt), 0);
}

TEST(DatasetRun, NativeRunsAProgramWithRegionsOnce) {
  ScratchDir dir;
  std::string regions = workload("multi", "/bin/true", 10) + "regions = 3\nevery = 20\n";
  DatasetOptions o = prepareRun(dir, regions);
  o.native = true;
  EXPECT_EQ(run(o, noInterrupt), 0);
  EXPECT_TRUE(fs::exists(dir / "out/logs/multi.native.log"));
  EXPECT_FALSE(fs::exists(dir / "out/logs/multi.r1.native.log"));
  o.names = {"multi.r2"};  // one region selects its program
  EXPECT_EQ(run(o, noInterrupt), 0);
}

TEST(DatasetRun, SetUpProblemsAreExitStatusTwo) {
  ScratchDir dir;
  DatasetOptions o = prepareRun(dir, workload("alpha", "/bin/true", 100));
  DatasetOptions noOut = o;
  noOut.out.clear();
  EXPECT_EQ(failureOf([&] { run(noOut, noInterrupt); }), std::make_pair(2, std::string("give the output folder: -o DIR")));
  DatasetOptions noPipeline = o;
  noPipeline.pipeline = dir / "none.toml";
  EXPECT_EQ(failureOf([&] { run(noPipeline, noInterrupt); }),
            std::make_pair(2, (dir / "none.toml") + ": pipeline file not found"));
  ScratchDir emptyBin;
  DatasetOptions noLauncher = o;
  noLauncher.bin = emptyBin.path();
  EXPECT_EQ(failureOf([&] { run(noLauncher, noInterrupt); }),
            std::make_pair(2, (emptyBin / "pv-launch") + " not found (build it, or give --bin)"));
  DatasetOptions noSplit = o;
  noSplit.split = "test";
  EXPECT_EQ(failureOf([&] { run(noSplit, noInterrupt); }),
            std::make_pair(2, std::string("no workload selected (split 'test')")));
}

// ---- on a Slurm cluster (dataset_slurm.h; tests/cli/slurm_dataset.sh runs it on a real one)

TEST(DatasetSlurm, TheJobScriptIsAPlainSbatchFile) {
  EXPECT_EQ(runtime::shellQuote("/a/b-c_d.e"), "/a/b-c_d.e");
  EXPECT_EQ(runtime::shellQuote("a b"), "'a b'");
  EXPECT_EQ(runtime::shellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(runtime::shellQuote(""), "''");
  slurm::JobScript job;
  job.dataset = "/d/out";
  job.workDir = "/home/u";
  job.logDir = "/d/out/logs";
  job.workloads = {"gzip.r1", "qsort.r1"};
  job.command = {"/p/pv-dataset", "--slurm-task", "-o", "out", "--scale", "0.5"};
  runtime::slurm::Options options;
  options.submit = true;
  options.partition = "short";
  options.time = "1:00:00";
  options.mem = "2G";
  options.extra = {"--account=x y"};
  job.options = runtime::slurm::sbatchOptions(options);
  job.maxRunning = 4;
  const std::string script = slurm::formatScript(job);
  const std::string tail = "#SBATCH --job-name=pv-dataset\n"
                           "#SBATCH --array=0-1%4\n"
                           "#SBATCH --chdir=/home/u\n"
                           "#SBATCH --output=/d/out/logs/slurm-%A_%a.out\n"
                           "#SBATCH --partition=short\n"
                           "#SBATCH --time=1:00:00\n"
                           "#SBATCH --mem=2G\n"
                           "#SBATCH --account=x y\n"
                           "set -eu\n"
                           "# The programs see TMPDIR as in a local run (Slurm sets it when unset).\n"
                           "unset TMPDIR\n"
                           "workloads=(gzip.r1 qsort.r1)\n"
                           "exec /p/pv-dataset --slurm-task -o out --scale 0.5 -w \"${workloads[$SLURM_ARRAY_TASK_ID]}\"\n";
  EXPECT_EQ(script.rfind("#!/bin/bash\n# pv-dataset: 2 workloads of /d/out as a Slurm array job,\n", 0), 0u) << script;
  ASSERT_GE(script.size(), tail.size());
  EXPECT_EQ(script.substr(script.size() - tail.size()), tail) << script;
  job.tmpdir = "/scratch/my tmp";
  EXPECT_NE(slurm::formatScript(job).find("\nexport TMPDIR='/scratch/my tmp'\n"), std::string::npos);
}

// The hand-submitted path: --slurm-print prepares the folder and writes the
// script, each task (--slurm-task) records its workload in a part, and the
// next run merges the parts and has nothing left to do.
TEST(DatasetSlurm, TasksRecordPartsThatTheNextRunMerges) {
  ScratchDir dir;
  DatasetOptions o = prepareRun(dir, workload("alpha", "/bin/true", 100) + workload("beta", "/bin/true", 7) +
                                         workload("broken", "/bin/true", 100000));
  const fs::path out = o.out;
  DatasetOptions print = o;
  print.slurm.print = true;
  print.slurm.partition = "debug";
  EXPECT_EQ(run(print, noInterrupt), 0);
  const std::string script = slurp(out / "slurm/job.sbatch");
  EXPECT_NE(script.find("\n#SBATCH --array=0-2\n"), std::string::npos) << script;
  EXPECT_NE(script.find("\n#SBATCH --partition=debug\n"), std::string::npos) << script;
  EXPECT_NE(script.find("\nworkloads=(alpha beta broken)\n"), std::string::npos) << script;
  const Manifest printed = *readManifest(out);
  for (const auto& e : printed.workloads) EXPECT_EQ(e.status, "pending") << e.name;

  DatasetOptions task = o;
  task.sample = 0;  // a task takes the folder's configurations
  task.slurmTask = true;
  for (const std::string name : {"alpha", "broken"}) {
    task.names = {name};
    EXPECT_EQ(run(task, noInterrupt), name == "alpha" ? 0 : 1);
    const Manifest part = parseManifest(slurp(slurm::partPath(out, name)), name);
    ASSERT_EQ(part.workloads.size(), 1u);
    EXPECT_EQ(part.workloads[0].status, name == "alpha" ? "done" : "failed");
  }
  task.names = {"alpha", "beta"};
  EXPECT_EQ(failureOf([&] { run(task, noInterrupt); }).first, 2);  // one workload per task
  // The tasks never write the manifest.
  const Manifest afterTasks = *readManifest(out);
  for (const auto& e : afterTasks.workloads) EXPECT_EQ(e.status, "pending") << e.name;
  EXPECT_TRUE(fs::exists(out / "alpha.pvs.zst"));

  // A part of other configurations, and a damaged one, are left out.
  Manifest stale = parseManifest(slurp(slurm::partPath(out, "alpha")), "alpha");
  stale.configHashes[0] = "0000000000000000";
  stale.workloads[0].name = "beta";
  spit(slurm::partPath(out, "beta"), formatManifest(stale));
  spit(out / "slurm/parts/zz.toml", "not a [manifest");

  const std::string alphaBytes = slurp(out / "alpha.pvs.zst");
  DatasetOptions next = o;
  next.names = {"alpha"};
  EXPECT_EQ(run(next, noInterrupt), 0);  // merged: nothing to do
  EXPECT_EQ(slurp(out / "alpha.pvs.zst"), alphaBytes);
  Manifest m = *readManifest(out);
  EXPECT_EQ(m.find("alpha")->status, "done");
  EXPECT_EQ(m.find("broken")->status, "failed");
  EXPECT_EQ(m.find("beta")->status, "pending");
  EXPECT_TRUE(fs::is_empty(out / "slurm/parts"));
}

TEST(DatasetSlurm, APartWhoseFileChangedIsFailedAndOptionsNeedSlurm) {
  ScratchDir dir;
  DatasetOptions o = prepareRun(dir, workload("alpha", "/bin/true", 100));
  const fs::path out = o.out;
  DatasetOptions print = o;
  print.slurm.print = true;
  EXPECT_EQ(run(print, noInterrupt), 0);
  DatasetOptions task = o;
  task.sample = 0;
  task.slurmTask = true;
  EXPECT_EQ(run(task, noInterrupt), 0);
  spit(out / "alpha.pvs.zst", "other bytes");
  Manifest m = *readManifest(out);
  EXPECT_EQ(slurm::mergeParts(out, m).size(), 1u);
  EXPECT_EQ(m.find("alpha")->status, "failed");
  EXPECT_EQ(m.find("alpha")->error, "its Slurm task recorded alpha.pvs.zst, which is missing or has other bytes now");

  DatasetOptions mem = o;
  mem.slurm.mem = "1G";
  EXPECT_EQ(failureOf([&] { run(mem, noInterrupt); }),
            std::make_pair(2, std::string("--partition, --time, --mem and --slurm-opt are for --slurm or --slurm-print")));
  DatasetOptions native = print;
  native.native = true;
  EXPECT_EQ(failureOf([&] { run(native, noInterrupt); }).first, 2);
}

}  // namespace
}  // namespace pv::dataset
