// Tool: what every executable prints and returns for each kind of failure,
// and --help with a section of the program's own after the usage.

#include "stages/runtime/tool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <new>
#include <vector>

#include "stages/core/stage_error.h"
#include "stages/runtime/output_file.h"
#include "stages/runtime/stream.h"
#include "tests/composition/process.h"

namespace pv::runtime {
namespace {

struct Ending {
  int status;
  std::string err;
};

Ending guarded(const std::function<void()>& body) {
  Tool tool("pv-x", "A test tool");
  ::testing::internal::CaptureStderr();
  const int status = tool.guard(body);
  return {status, ::testing::internal::GetCapturedStderr()};
}

TEST(Tool, guardReturnsTheStatusOfEachKindOfFailureWithItsMessage) {
  auto ok = guarded([] {});
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(ok.err, "");

  auto usage = guarded([] { throw UsageError("give -o FILE"); });
  EXPECT_EQ(usage.status, 2);
  EXPECT_EQ(usage.err, "pv-x: give -o FILE\nRun 'pv-x --help' for usage.\n");

  auto data = guarded([] { throw StageError("trace.txt", "line 3", "bad op class"); });
  EXPECT_EQ(data.status, 1);
  EXPECT_EQ(data.err, "pv-x: trace.txt:line 3: bad op class\n");

  auto upstream = guarded([] { throw UpstreamError("pv-feature", "trace.txt", "line 3", "bad op class"); });
  EXPECT_EQ(upstream.status, 1);
  EXPECT_EQ(upstream.err, "pv-x: upstream stage pv-feature failed: trace.txt:line 3: bad op class\n");

  auto memory = guarded([] { throw std::bad_alloc(); });
  EXPECT_EQ(memory.status, 1);
  EXPECT_EQ(memory.err, "pv-x: out of memory (std::bad_alloc)\n");

  auto crashed = guarded([] { throw ExitStatus(3, "a stage crashed"); });
  EXPECT_EQ(crashed.status, 3);
  EXPECT_EQ(crashed.err, "pv-x: a stage crashed\n");

  auto said = guarded([] { throw ExitStatus(5, ""); });  // reported already
  EXPECT_EQ(said.status, 5);
  EXPECT_EQ(said.err, "");
}

TEST(Tool, aFailingToolLeavesNoOutputFile) {
  pv::testing::ScratchDir dir;
  auto failed = guarded([&] {
    OutputFile out(dir / "model.pvm");
    out.write("part of a model");
    throw StageError(dir / "input.pvs", "record 7", "truncated");
  });
  EXPECT_EQ(failed.status, 1);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

int parse(Tool& tool, std::vector<std::string> args, std::string* out, std::string* err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  auto rc = tool.parse(static_cast<int>(argv.size()), argv.data());
  *out = ::testing::internal::GetCapturedStdout();
  *err = ::testing::internal::GetCapturedStderr();
  return rc ? *rc : -1;
}

TEST(Tool, helpIsFollowedByTheProgramsOwnSection) {
  Tool tool("pv-x", "A test tool");
  std::string file;
  tool.cli().add_option("file", file, "A file");
  tool.afterHelp([&] {
    if (file == "bad") throw ExitStatus(2, "bad: cannot open");
    std::cout << "Parameters of " << file << "\n";
  });
  std::string out, err;
  EXPECT_EQ(parse(tool, {"pv-x", "p.toml", "--help"}, &out, &err), 0);
  EXPECT_EQ(out.rfind("A test tool\nUsage: pv-x", 0), 0u) << out;
  EXPECT_TRUE(out.ends_with("\nParameters of p.toml\n")) << out;
  EXPECT_EQ(err, "");

  Tool other("pv-x", "A test tool");
  other.cli().add_option("file", file, "A file");
  other.afterHelp([&] { throw ExitStatus(2, file + ": cannot open"); });
  EXPECT_EQ(parse(other, {"pv-x", "bad", "--help"}, &out, &err), 2);
  EXPECT_EQ(err, "pv-x: bad: cannot open\n");
}

TEST(Tool, aBadCommandLineIsAUsageError) {
  Tool tool("pv-x", "A test tool");
  std::string out, err;
  EXPECT_EQ(parse(tool, {"pv-x", "--no-such-flag"}, &out, &err), 2);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "pv-x: The following argument was not expected: --no-such-flag\n"
                 "Run 'pv-x --help' for usage.\n");
}

}  // namespace
}  // namespace pv::runtime
