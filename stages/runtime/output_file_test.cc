// OutputFile: a file appears whole or not at all. Before commit() the old
// file is intact and the new bytes are in a temporary file beside it; an
// error unwinding past the writer, or SIGTERM, leaves no temporary file.

#include "stages/runtime/output_file.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "stages/core/stage_error.h"
#include "tests/composition/process.h"

namespace pv::runtime {
namespace {

using pv::testing::ScratchDir;
using pv::testing::slurp;
using pv::testing::spit;

// The names in a folder.
std::vector<std::string> filesIn(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(OutputFile, replacesTheOldFileOnlyWhenComplete) {
  ScratchDir dir;
  spit(dir / "table.csv", "old\n");
  {
    OutputFile out(dir / "table.csv");
    out.write("new ");
    out.write("table\n");
    EXPECT_EQ(slurp(dir / "table.csv"), "old\n");
    EXPECT_EQ(filesIn(dir.path()),
              (std::vector<std::string>{"table.csv", "table.csv.tmp." + std::to_string(::getpid())}));
    out.commit();
  }
  EXPECT_EQ(slurp(dir / "table.csv"), "new table\n");
  EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{"table.csv"});
}

TEST(OutputFile, anErrorBeforeCommitLeavesTheOldFileAndNoTemporary) {
  ScratchDir dir;
  spit(dir / "model.pvm", "old");
  try {
    OutputFile out(dir / "model.pvm");
    out.write("half a mod");
    throw std::runtime_error("the tool failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(slurp(dir / "model.pvm"), "old");
  EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{"model.pvm"});
  try {
    OutputFile out(dir / "new.pvm");
    throw std::runtime_error("the tool failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{"model.pvm"});
}

TEST(OutputFile, aFileThatCannotBeCreatedIsNamed) {
  ScratchDir dir;
  try {
    writeOutputFile(dir / "no/such/folder/x.csv", "x");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), dir / "no/such/folder/x.csv");
    EXPECT_EQ(e.message(), "cannot create: No such file or directory");
  }
  try {
    writeOutputFile(dir.path(), "x");  // a folder
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), dir.path());
    EXPECT_EQ(e.message(), "cannot create: Is a directory");
  }
}

TEST(OutputFile, aDeviceOrFifoIsWrittenInPlace) {
  ScratchDir dir;
  writeOutputFile("/dev/null", "nothing");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  // A reader in the background; the FIFO stays a FIFO and gets the bytes.
  auto reader = pv::testing::shell("(cat " + (dir / "fifo") + " > " + (dir / "read") + ") & echo", dir.path());
  ASSERT_EQ(reader.status, 0);
  writeOutputFile(dir / "fifo", "through the fifo\n");
  for (int i = 0; i < 200 && slurp(dir / "read").empty(); ++i) ::usleep(10000);
  EXPECT_EQ(slurp(dir / "read"), "through the fifo\n");
  ASSERT_EQ(::stat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(OutputFile, sigtermWhileWritingRemovesTheTemporaryFile) {
  ScratchDir dir;
  spit(dir / "report.json", "old");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    OutputFile out(dir / "report.json");
    out.write("[{\"uarch\": ");
    ::kill(::getpid(), SIGTERM);
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(slurp(dir / "report.json"), "old");
  EXPECT_EQ(filesIn(dir.path()), std::vector<std::string>{"report.json"});
}

}  // namespace
}  // namespace pv::runtime
