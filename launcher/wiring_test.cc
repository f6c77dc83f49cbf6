// Wiring: argv of each process per transport, executable lookup, shell
// rendering and quoting, the last stage's output file.

#include "launcher/wiring.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "launcher/test_support.h"
#include "stages/runtime/free_port.h"
#include "stages/runtime/process.h"

namespace pv::launch {
namespace {

using Args = std::vector<std::string>;

std::vector<StageCommand> threeStages() {
  return {{"tap", "pv-trace-tap", {"t.txt"}},
          {"feature", "pv-feature", {}},
          {"reuse", "pv-reuse-distance", {"-o", "f.pvs"}}};
}

TEST(Wiring, ipcLinksGoFirstThenTheCommonFlagsThenTheStageArgs) {
  auto links = linkEndpoints(Transport::kIpc, 2, "/tmp/d", "", 0);
  EXPECT_EQ(links, (Args{"ipc:///tmp/d/link-0.ipc", "ipc:///tmp/d/link-1.ipc"}));
  auto p = wire(threeStages(), {"/b/tap", "/b/feature", "/b/reuse"}, links,
                {{"--no-progress"}, {"--no-progress"}, {"--no-progress"}});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].name, "tap");
  EXPECT_EQ(p[0].program, "/b/tap");
  EXPECT_EQ(p[0].argv,
            (Args{"pv-trace-tap", "-o", "ipc:///tmp/d/link-0.ipc", "--no-progress", "t.txt"}));
  EXPECT_EQ(p[1].argv, (Args{"pv-feature", "ipc:///tmp/d/link-0.ipc", "-o",
                             "ipc:///tmp/d/link-1.ipc", "--no-progress"}));
  EXPECT_EQ(p[2].argv,
            (Args{"pv-reuse-distance", "ipc:///tmp/d/link-1.ipc", "--no-progress", "-o", "f.pvs"}));
}

TEST(Wiring, pipesAddNoEndpoints) {
  auto links = linkEndpoints(Transport::kPipe, 2, "", "", 0);
  auto p = wire(threeStages(), {"a", "b", "c"}, links, {{"--progress", "-q"}, {"--progress"}, {}});
  EXPECT_EQ(p[0].argv, (Args{"pv-trace-tap", "--progress", "-q", "t.txt"}));
  EXPECT_EQ(p[1].argv, (Args{"pv-feature", "--progress"}));
  EXPECT_EQ(p[2].argv, (Args{"pv-reuse-distance", "-o", "f.pvs"}));
  EXPECT_TRUE(p[0].reportsProgress);
  EXPECT_FALSE(p[2].reportsProgress);
}

TEST(Wiring, tcpLinksUseConsecutivePortsOrFreeOnes) {
  EXPECT_EQ(linkEndpoints(Transport::kTcp, 2, "", "127.0.0.1", 7000),
            (Args{"tcp://127.0.0.1:7000", "tcp://127.0.0.1:7001"}));
  auto free = linkEndpoints(Transport::kTcp, 1, "", "127.0.0.1", 0);
  ASSERT_EQ(free.size(), 1u);
  EXPECT_EQ(free[0].rfind("tcp://127.0.0.1:", 0), 0u);
  EXPECT_NE(free[0], "tcp://127.0.0.1:0");
  try {
    linkEndpoints(Transport::kTcp, 1, "", "localhost", 0);
    ADD_FAILURE() << "no error for --host localhost";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "--host: 'localhost' is not an IPv4 address");
  }
  // Each link its own port, none in the kernel's ephemeral range.
  auto three = linkEndpoints(Transport::kTcp, 3, "", "127.0.0.1", 0);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_NE(three[0], three[1]);
  EXPECT_NE(three[1], three[2]);
  EXPECT_NE(three[0], three[2]);
  const runtime::PortRange ephemeral = runtime::ephemeralPortRange();
  for (const std::string& e : three) {
    const int port = std::stoi(e.substr(e.rfind(':') + 1));
    EXPECT_TRUE(port < ephemeral.first || port > ephemeral.last) << e;
  }
}

TEST(Wiring, transportsHaveNames) {
  for (auto t : {Transport::kIpc, Transport::kPipe, Transport::kTcp})
    EXPECT_EQ(parseTransport(transportName(t)), t);
  EXPECT_FALSE(parseTransport("udp"));
}

TEST(Wiring, executablesAreFoundBesideTheLauncherBeforePath) {
  testing::ScratchDir dir;
  auto makeExe = [](const std::string& path) {
    testing::spit(path, "#!/bin/sh\n");
    ::chmod(path.c_str(), 0755);
  };
  ::mkdir((dir / "self").c_str(), 0755);
  ::mkdir((dir / "p1").c_str(), 0755);
  ::mkdir((dir / "p2").c_str(), 0755);
  makeExe(dir / "self/pv-x");
  makeExe(dir / "p1/pv-x");
  makeExe(dir / "p2/pv-y");
  testing::spit(dir / "p1/pv-y", "not executable");
  const std::string path = dir / "p1" + ":" + (dir / "p2");
  EXPECT_EQ(findExecutable("pv-x", dir / "self", path), dir / "self/pv-x");
  EXPECT_EQ(findExecutable("pv-y", dir / "self", path), dir / "p2/pv-y");
  EXPECT_EQ(findExecutable("pv-z", dir / "self", path), std::nullopt);
  EXPECT_EQ(findExecutable(dir / "p1/pv-x", "/nowhere", ""), dir / "p1/pv-x");
  EXPECT_EQ(findExecutable(dir / "p1/pv-y", "/nowhere", ""), std::nullopt);
  EXPECT_EQ(findExecutable("p1", dir.path(), ""), std::nullopt);  // a folder
}

// An installed tree: PREFIX/bin/pv-launch finds PREFIX/share/perfvec/pipelines/NAME[.toml]
// for a bare name that is not a file in the current folder.
TEST(Wiring, pipelinesNamedWithoutAPathAreFoundInTheInstalledTree) {
  testing::ScratchDir dir;
  const std::string bin = dir / "bin", pipelines = dir / "share/perfvec/pipelines";
  std::filesystem::create_directories(bin);
  std::filesystem::create_directories(pipelines);
  testing::spit(pipelines + "/pv-test-a.toml", "");
  testing::spit(pipelines + "/pv-test-b", "");
  EXPECT_EQ(findPipelineFile("pv-test-a.toml", bin), pipelines + "/pv-test-a.toml");
  EXPECT_EQ(findPipelineFile("pv-test-a", bin), pipelines + "/pv-test-a.toml");
  EXPECT_EQ(findPipelineFile("pv-test-b", bin), pipelines + "/pv-test-b");
  // A path is taken as it is, found or not (a file of the current folder
  // shadowing an installed one: tests/cli/install.sh).
  EXPECT_EQ(findPipelineFile("./pv-test-a.toml", bin), "./pv-test-a.toml");
  EXPECT_EQ(findPipelineFile(dir / "x.toml", bin), dir / "x.toml");
  EXPECT_EQ(findPipelineFile("no/pv-test-a.toml", bin), "no/pv-test-a.toml");
  try {
    findPipelineFile("pv-test-c", bin);
    ADD_FAILURE() << "no error for a pipeline that is nowhere";
  } catch (const PipelineError& e) {
    EXPECT_EQ(std::string(e.what()),
              "pv-test-c: no such pipeline file here or in " + pipelines + " (the installed ones)");
  }
}

TEST(Wiring, commonFlagsComeFromTheStagesHelp) {
  auto stage = probeCommonFlags(testing::bin("pv-feature"));
  EXPECT_TRUE(stage.progress);
  EXPECT_TRUE(stage.quiet);
  auto cat = probeCommonFlags(testing::bin("pv-cat"));
  EXPECT_FALSE(cat.progress);
  EXPECT_FALSE(cat.quiet);
  EXPECT_FALSE(probeCommonFlags("/nonexistent").progress);
  testing::ScratchDir dir;
  testing::spit(dir / "slow", "#!/bin/sh\necho --no-progress --progress; exec sleep 10\n");
  ::chmod((dir / "slow").c_str(), 0755);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(probeCommonFlags(dir / "slow", std::chrono::milliseconds(200)).progress);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Wiring, shellQuotingLeavesPlainWordsAlone) {
  EXPECT_EQ(shellQuote("run/trace.txt"), "run/trace.txt");
  EXPECT_EQ(shellQuote("ipc:///tmp/x-1.ipc"), "ipc:///tmp/x-1.ipc");
  EXPECT_EQ(shellQuote(""), "''");
  EXPECT_EQ(shellQuote("a b"), "'a b'");
  EXPECT_EQ(shellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(shellQuote("$HOME"), "'$HOME'");
}

// Any word survives a round trip through a real shell.
TEST(Wiring, quotedWordsReachTheCommandUnchanged) {
  testing::checkFew(25, [] {
    const std::string word = *rc::gen::container<std::string>(
        rc::gen::elementOf(std::string("ab ' \"$`\\!*?;&|<>(){}[]~#\t=/-.")));
    testing::ScratchDir dir;
    auto r = testing::shell("printf %s " + shellQuote(word) + " > " + (dir / "out"), dir.path());
    RC_ASSERT(r.status == 0);
    RC_ASSERT(testing::slurp(dir / "out") == word);
  });
}

TEST(Wiring, shellPipelineJoinsTheStagesWithPipes) {
  EXPECT_EQ(shellPipeline(threeStages()),
            "pv-trace-tap t.txt | pv-feature | pv-reuse-distance -o f.pvs");
  EXPECT_EQ(shellPipeline({{"a", "pv-cat", {"x y", "--format", "csv"}}}),
            "pv-cat 'x y' --format csv");
}

TEST(Wiring, outputFileIsThePlainFileOfTheLastOutputOption) {
  EXPECT_EQ(outputFile({"-o", "f.pvs"}), "f.pvs");
  EXPECT_EQ(outputFile({"-of.pvs"}), "f.pvs");
  EXPECT_EQ(outputFile({"--output=f.pvs"}), "f.pvs");
  EXPECT_EQ(outputFile({"--output", "a", "-o", "b"}), "b");
  EXPECT_EQ(outputFile({"-o", "-"}), std::nullopt);
  EXPECT_EQ(outputFile({"-o", "ipc:///tmp/x"}), std::nullopt);
  EXPECT_EQ(outputFile({"-o"}), std::nullopt);
  EXPECT_EQ(outputFile({"--", "-o", "x"}), std::nullopt);
  EXPECT_EQ(outputFile({}), std::nullopt);
}

// A pid that no process holds: a child that has exited and been reaped.
pid_t pidOfAnEndedProcess() {
  runtime::Child child = runtime::forkChild([] { return 0; });
  child.wait();
  return child.pid();
}

TEST(RunFolder, isPrivateAndNamesItsLauncher) {
  testing::ScratchDir tmp;
  const std::string dir = makeRunFolder(tmp.path());
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::ifstream in(dir + "/launcher.pid");
  long pid = 0;
  in >> pid;
  EXPECT_EQ(pid, ::getpid());
  // This launcher runs: its folder is not stale.
  EXPECT_TRUE(removeStaleRunFolders(tmp.path()).empty());
  EXPECT_TRUE(std::filesystem::exists(dir));
}

TEST(RunFolder, theFolderOfALauncherThatIsGoneIsRemovedAndNoOtherIs) {
  testing::ScratchDir tmp;
  const std::string dead = tmp.path() + "/pv-launch-dead01";
  const std::string fresh = tmp.path() + "/pv-launch-fresh1";  // no pid yet: being made
  const std::string old = tmp.path() + "/pv-launch-old001";    // no pid, untouched for an hour
  const std::string other = tmp.path() + "/other-dead01";      // not a run folder
  for (const auto& d : {dead, fresh, old, other}) std::filesystem::create_directory(d);
  const std::string deadPid = std::to_string(pidOfAnEndedProcess()) + "\n";
  testing::spit(dead + "/launcher.pid", deadPid);
  testing::spit(dead + "/link-0.ipc", "");
  testing::spit(other + "/launcher.pid", deadPid);
  std::filesystem::last_write_time(old, std::filesystem::file_time_type::clock::now() -
                                            std::chrono::hours(1));
  auto removed = removeStaleRunFolders(tmp.path());
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (Args{dead, old}));
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_FALSE(std::filesystem::exists(old));
  EXPECT_TRUE(std::filesystem::exists(fresh));
  EXPECT_TRUE(std::filesystem::exists(other));
}

TEST(RunFolder, aFolderThatCannotBeMadeIsNamedInTheError) {
  try {
    makeRunFolder("/nonexistent/tmp");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tmp/pv-launch-"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pv::launch
