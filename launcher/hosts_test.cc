// Stages on hosts: the `host` and `address` keys of pipeline files (what
// parses, what is refused and where the error points), placement with
// parameters, the transport, link addresses and srun's command lines.

#include "launcher/hosts.h"

#include <gtest/gtest.h>

#include "launcher/supervisor.h"

namespace pv::launch {
namespace {

using Args = std::vector<std::string>;

// Three stages: tap here, feature on {node} (line 11), reuse on n2 at 10.0.0.7.
constexpr const char* kHosted = R"([pipeline]
name = "spread"
[params]
node = "localhost"
addr = "127.0.0.2"
[[stage]]
name = "tap"
run = "pv-trace-tap"
[[stage]]
name = "feature"
run = "pv-feature"
host = "{node}"
address = "{addr}"
[[stage]]
name = "reuse"
run = "pv-reuse-distance"
host = "n2"
address = "10.0.0.7"
args = ["-o", "f.pvs"]
)";

std::string errorOf(const std::string& text) {
  try {
    parsePipeline(text, "p.toml");
  } catch (const PipelineError& e) {
    return e.what();
  }
  return "";
}

// The error placing the stages of `text` with `assignments` raises, or "".
std::string placementError(const std::string& text, const std::vector<std::string>& assignments = {},
                           std::optional<Transport> transport = std::nullopt) {
  try {
    PipelineSpec spec = parsePipeline(text, "p.toml");
    auto placements = placeStages(spec, bindParams(spec, assignments), "127.0.0.1");
    pipelineTransport(spec, placements, transport);
  } catch (const PipelineError& e) {
    return e.what();
  }
  return "";
}

TEST(Hosts, hostAndAddressAreTemplatesWithTheirPositions) {
  PipelineSpec spec = parsePipeline(kHosted, "p.toml");
  EXPECT_FALSE(spec.stages[0].host.has_value());
  ASSERT_TRUE(spec.stages[1].host.has_value());
  EXPECT_EQ(spec.stages[1].host->text, "{node}");
  EXPECT_EQ(spec.stages[1].host->pos.line, 12u);
  EXPECT_EQ(spec.stages[1].host->pos.column, 8u);
  EXPECT_EQ(spec.stages[1].address->text, "{addr}");
  EXPECT_EQ(spec.stages[1].address->pos.line, 13u);
  EXPECT_EQ(spec.stages[2].host->text, "n2");
}

TEST(Hosts, badHostKeysAreRefusedAtTheirLine) {
  const std::string head = "[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\n";
  EXPECT_EQ(errorOf(head + "host = 3\n"), "p.toml:6:8: stage 'a': host must be a string, not an integer");
  EXPECT_EQ(errorOf(head + "host = \"{node}\"\n"),
            "p.toml:6:8: stage 'a': host uses undefined parameter 'node' (the file has no [params])");
  EXPECT_EQ(errorOf(head + "host = \"{*node}\"\n"),
            "p.toml:6:8: stage 'a': host: '{*node}' is only allowed in args");
  EXPECT_EQ(errorOf(head + "address = \"10.0.0.5\"\n"),
            "p.toml:6:11: stage 'a': address without host (the stages without a host use pv-launch --host)");
  EXPECT_EQ(errorOf(head + "hosts = \"n1\"\n"),
            "p.toml:6:1: unknown key 'hosts' in stage 1 (allowed: name, run, args, description, "
            "memory_limit, host, address)");
}

TEST(Hosts, eachStageRunsOnItsHostAndBindsOnItsAddress) {
  PipelineSpec spec = parsePipeline(kHosted, "p.toml");
  auto placements = placeStages(spec, bindParams(spec, {}), "192.168.1.2");
  ASSERT_EQ(placements.size(), 3u);
  EXPECT_EQ(placements[0].host, "");
  EXPECT_EQ(placements[0].address, "192.168.1.2");  // pv-launch --host
  EXPECT_EQ(placements[1].host, "localhost");
  EXPECT_EQ(placements[1].address, "127.0.0.2");
  EXPECT_EQ(placements[2].host, "n2");
  EXPECT_EQ(placements[2].address, "10.0.0.7");
  EXPECT_TRUE(anyHosted(placements));
  // Link i goes to stage i+1's address.
  EXPECT_EQ(linkAddresses(placements), (Args{"127.0.0.2", "10.0.0.7"}));
  EXPECT_EQ(tcpLinkEndpoints(linkAddresses(placements), 7000),
            (Args{"tcp://127.0.0.2:7000", "tcp://10.0.0.7:7001"}));
}

TEST(Hosts, anEmptyHostRunsTheStageHereAndAHostAloneBindsOnItsNamesAddress) {
  const std::string text =
      "[pipeline]\nname = \"x\"\n[params]\nnode = \"\"\n"
      "[[stage]]\nname = \"a\"\nrun = \"b\"\nhost = \"{node}\"\n"
      "[[stage]]\nname = \"c\"\nrun = \"d\"\n";
  PipelineSpec spec = parsePipeline(text, "p.toml");
  auto here = placeStages(spec, bindParams(spec, {}), "127.0.0.1");
  EXPECT_FALSE(anyHosted(here));
  EXPECT_EQ(pipelineTransport(spec, here, std::nullopt), Transport::kIpc);
  EXPECT_EQ(pipelineTransport(spec, here, Transport::kPipe), Transport::kPipe);
  auto there = placeStages(spec, bindParams(spec, {"node=localhost"}), "127.0.0.1");
  EXPECT_EQ(there[0].host, "localhost");
  EXPECT_EQ(there[0].address, "127.0.0.1");  // what localhost resolves to
  EXPECT_EQ(pipelineTransport(spec, there, std::nullopt), Transport::kTcp);
}

TEST(Hosts, placementsThatCannotWorkAreRefusedAtTheKey) {
  EXPECT_EQ(placementError(kHosted, {}, Transport::kPipe),
            "p.toml:12:8: stage 'feature' runs on host 'localhost', and only tcp links join stages on "
            "several hosts: --transport pipe cannot run this pipeline");
  EXPECT_EQ(placementError(kHosted, {}, Transport::kIpc),
            "p.toml:12:8: stage 'feature' runs on host 'localhost', and only tcp links join stages on "
            "several hosts: --transport ipc cannot run this pipeline");
  EXPECT_EQ(placementError(kHosted, {}, Transport::kTcp), "");
  EXPECT_EQ(placementError(kHosted, {"node=node[1-2]"}),
            "p.toml:12:8: stage 'feature': host 'node[1-2]' is not a node name (one Slurm node: letters, "
            "digits, '-', '_', '.')");
  EXPECT_EQ(placementError(kHosted, {"addr=10.0.0"}),
            "p.toml:13:11: stage 'feature': address '10.0.0' is not an IPv4 address");
  EXPECT_EQ(placementError(kHosted, {"node="}),
            "p.toml:13:11: stage 'feature': address without a host (its host is empty: the stage runs here, "
            "on pv-launch --host)");
  const std::string unresolvable =
      "[pipeline]\nname = \"x\"\n[[stage]]\nname = \"a\"\nrun = \"b\"\nhost = \"no-such-node.invalid\"\n";
  EXPECT_EQ(placementError(unresolvable),
            "p.toml:6:8: stage 'a': host 'no-such-node.invalid' has no IPv4 address here: give the stage "
            "address = \"A.B.C.D\", its address on the network the stages share");
}

TEST(Hosts, remoteModesHaveNames) {
  EXPECT_EQ(parseRemoteMode("srun"), RemoteMode::kSrun);
  EXPECT_EQ(parseRemoteMode("print"), RemoteMode::kPrint);
  EXPECT_FALSE(parseRemoteMode("ssh").has_value());
}

TEST(Hosts, srunStartsOneOverlappingUnbufferedTaskOnTheHost) {
  EXPECT_EQ(srunCommand("/usr/bin/srun", "n1", "p.feature", true),
            (Args{"/usr/bin/srun", "--nodes=1", "--ntasks=1", "--nodelist=n1", "--overlap",
                  "--disable-status", "--quiet", "--job-name=p.feature", "--unbuffered", "--"}));
  EXPECT_EQ(srunCommand("srun", "n1", "p.out", false).end()[-2], "--job-name=p.out");
}

TEST(Hosts, onlyALastStageThatWritesStdoutKeepsSrunsBuffering) {
  EXPECT_TRUE(writesStdout({}));
  EXPECT_TRUE(writesStdout({"-o", "-"}));
  EXPECT_FALSE(writesStdout({"-o", "f.rp"}));
  EXPECT_FALSE(writesStdout({"--output=tcp://h:1"}));
  EXPECT_TRUE(writesStdout({"--", "-o", "f"}));  // a program's options, not the stage's

  std::vector<ProcessSpec> processes = {
      {"tap", "/b/pv-trace-tap", {"pv-trace-tap", "-o", "tcp://127.0.0.2:7000", "t.txt"}},
      {"feature", "/b/pv-feature", {"pv-feature", "tcp://127.0.0.2:7000"}},
  };
  std::vector<Placement> placements = {{"", "127.0.0.1", {}}, {"n1", "127.0.0.2", {}}};
  launchWithSrun(processes, placements, "/usr/bin/srun", "p");
  EXPECT_FALSE(processes[0].remote.has_value());
  ASSERT_TRUE(processes[1].remote.has_value());
  EXPECT_EQ(processes[1].remote->host, "n1");
  EXPECT_EQ(processes[1].remote->stopSignal, SIGINT);
  // The last stage writes stdout: srun's own buffering, no terminal for it.
  EXPECT_EQ(commandLine(processes[1]),
            (Args{"/usr/bin/srun", "--nodes=1", "--ntasks=1", "--nodelist=n1", "--overlap", "--disable-status",
                  "--quiet", "--job-name=p.feature", "--", "/b/pv-feature", "tcp://127.0.0.2:7000"}));
  EXPECT_EQ(commandLine(processes[0]), processes[0].argv);
  EXPECT_EQ(stageCommandLine(processes[0]), "/b/pv-trace-tap -o tcp://127.0.0.2:7000 t.txt");
}

}  // namespace
}  // namespace pv::launch
