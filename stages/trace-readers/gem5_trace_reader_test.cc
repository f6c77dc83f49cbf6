// Gem5TraceReader: the example trace, bad inputs with file and line,
// batch-size independence and live (bounded) pipes.
#include "stages/trace-readers/gem5_trace_reader.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "stages/trace-readers/test_sources.h"
#include "tests/tools/gem5_synth.h"

namespace pv::gem5 {
namespace {

using testing::errorOf;
using testing::readFile;
using testing::stringSource;

// Reads a whole trace with one batch size.
std::vector<Instruction> readAll(Gem5TraceReader& reader, size_t batchSize,
                                 std::vector<StartMark>* starts = nullptr) {
  std::vector<Instruction> all;
  InstructionBatch batch;
  uint64_t expectedFirst = 0;
  while (reader.next(batch, batchSize, starts)) {
    EXPECT_EQ(batch.firstIndex, expectedFirst);
    EXPECT_LE(batch.rows.size(), batchSize);
    EXPECT_EQ(reader.lineNumbers().size(), batch.rows.size());
    expectedFirst += batch.rows.size();
    all.insert(all.end(), batch.rows.begin(), batch.rows.end());
  }
  return all;
}

std::vector<Instruction> readText(const std::string& trace, const std::string& sq,
                                  size_t batchSize = 4096, size_t piece = 1 << 20,
                                  Gem5ReaderOptions options = {}) {
  Gem5TraceReader reader(
      stringSource("trace.txt", trace, piece),
      sq.empty() ? SourceOpener{} : stringSource("trace.sq.txt", sq, piece), options);
  return readAll(reader, batchSize);
}

std::string readErrorWith(const std::string& trace, const std::string& sq, bool withSq,
                          bool inputThreads) {
  Gem5ReaderOptions options;
  options.inputThreads = inputThreads;
  return errorOf([&] {
    Gem5TraceReader reader(stringSource("trace.txt", trace),
                           withSq ? stringSource("trace.sq.txt", sq) : SourceOpener{}, options);
    readAll(reader, 5);
  });
}

// The error of reading a damaged trace, which must not depend on whether the
// inputs are read on their own threads or on the caller's.
std::string readError(const std::string& trace, const std::string& sq,
                      bool withSq = true) {
  std::string threaded = readErrorWith(trace, sq, withSq, true);
  EXPECT_EQ(readErrorWith(trace, sq, withSq, false), threaded) << "inline inputs";
  return threaded;
}

std::string exampleTrace() { return readFile(testing::kExampleDir + "/trace.txt"); }
std::string exampleSq() { return readFile(testing::kExampleDir + "/trace.sq.txt"); }

TEST(Gem5TraceReader, ReadsThe21InstructionsOfTheExampleWithStoresMerged) {
  auto reader = testing::exampleReader();
  std::vector<Instruction> rows = readAll(*reader, 4096);
  ASSERT_EQ(rows.size(), 21u);
  EXPECT_EQ(reader->traceLines(), 21u);
  EXPECT_EQ(rows[0].pc, 4196448u);
  EXPECT_EQ(rows[20].pc, 4196976u);
  // Lines 15 and 16 are the store-queue records of trace.sq.txt.
  for (int r : {14, 15}) {
    EXPECT_EQ(rows[r].sqIndex, r - 13);
    EXPECT_TRUE(rows[r].timing.hasStoreTiming);
    EXPECT_EQ(rows[r].opClass, kOpMemWrite);
    EXPECT_EQ(rows[r].pc, 4196960u);
    EXPECT_TRUE(rows[r].isStore());
  }
  EXPECT_EQ(rows[14].dataAddr, 549755747600u);
  EXPECT_EQ(rows[15].dataAddr, 549755747608u);
  EXPECT_EQ(rows[15].timing.sqOutLatency, 99500);
  EXPECT_EQ(rows[15].src[1], (RegId{0, 30}));
  int stores = 0;
  for (const auto& i : rows) stores += i.isStoreQueueEntry();
  EXPECT_EQ(stores, 2);
}

TEST(Gem5TraceReader, ReportsTraceLineNumbersOfEachRow) {
  std::string trace = "0 -99 5000 0 0 0 0 0 0\n" + exampleTrace();
  Gem5TraceReader reader(stringSource("t", trace), stringSource("s", exampleSq()));
  InstructionBatch batch;
  ASSERT_TRUE(reader.next(batch, 3));
  EXPECT_EQ(reader.lineNumbers(), (std::vector<uint64_t>{2, 3, 4}));
}

TEST(Gem5TraceReader, ReportsStartLinesWithTheIndexOfTheNextInstruction) {
  std::string text = exampleTrace();
  size_t third = text.find('\n', text.find('\n') + 1) + 1;
  std::string trace = "0 -99 1000 0 0 0 0 0 0\n" + text.substr(0, third) +
                      "0 -99 90000 0 0 0 0 0 0\n" + text.substr(third) +
                      "0 -99 777\n";
  Gem5TraceReader reader(stringSource("t", trace), stringSource("s", exampleSq()));
  std::vector<StartMark> starts;
  EXPECT_EQ(readAll(reader, 4, &starts).size(), 21u);
  EXPECT_EQ(starts, (std::vector<StartMark>{{0, 1000}, {2, 90000}, {21, 777}}));
}

TEST(Gem5TraceReader, NamesTheLineOfAParseError) {
  std::string trace = exampleTrace();
  size_t line3 = trace.find('\n', trace.find('\n') + 1) + 1;
  trace.replace(line3, 1, "x");
  EXPECT_EQ(readError(trace, exampleSq()),
            "trace.txt:line 3: field 1: not a number: 'x'");
}

TEST(Gem5TraceReader, RejectsAStoreQueueRecordWithoutAnSqFile) {
  EXPECT_EQ(readError(exampleTrace(), "", false),
            "trace.txt:line 15: missing sq file: a store-queue record (sq_index 1) "
            "needs its trace.sq.txt line (--sq FILE)");
}

TEST(Gem5TraceReader, RejectsAnSqFileThatEndsEarly) {
  std::string sq = exampleSq();
  sq = sq.substr(0, sq.find('\n') + 1);
  EXPECT_EQ(readError(exampleTrace(), sq),
            "trace.sq.txt: ended early after 1 lines: no store-queue record for "
            "trace.txt:line 16 (sq_index 2)");
}

TEST(Gem5TraceReader, RejectsUnconsumedSqLinesAtTheEnd) {
  std::string sq = exampleSq();
  sq += sq.substr(0, sq.find('\n') + 1);
  EXPECT_EQ(readError(exampleTrace(), sq),
            "trace.sq.txt:line 3: unconsumed store-queue record: trace.txt ended "
            "after line 21");
}

TEST(Gem5TraceReader, RejectsATruncatedLastLine) {
  std::string trace = exampleTrace();
  trace.pop_back();  // the final newline
  EXPECT_EQ(readError(trace, exampleSq()),
            "trace.txt:line 21: truncated last line (no final newline)");
  std::string sq = exampleSq();
  sq.pop_back();
  EXPECT_EQ(readError(exampleTrace(), sq),
            "trace.sq.txt:line 2: truncated last line (no final newline)");
}

TEST(Gem5TraceReader, RejectsSqLinesThatDisagreeNamingBothFilesAndLines) {
  std::string sq = exampleSq();
  size_t second = sq.find('\n') + 1;
  sq.replace(sq.find("5500", second), 4, "5600");
  EXPECT_EQ(readError(exampleTrace(), sq),
            "trace.txt:line 16: store-queue record disagrees with trace.sq.txt:line 2 "
            "on field 4 (rob_out_latency): 5500 in trace.txt, 5600 in trace.sq.txt");
}

TEST(Gem5TraceReader, DeliversTheRowsBeforeAnErrorFirst) {
  std::string trace = exampleTrace();
  trace += "garbage\n";
  Gem5TraceReader reader(stringSource("t", trace), stringSource("s", exampleSq()));
  InstructionBatch batch;
  ASSERT_TRUE(reader.next(batch, 21));
  EXPECT_EQ(batch.rows.size(), 21u);
  EXPECT_EQ(errorOf([&] { reader.next(batch, 21); }),
            "t:line 22: field 1: not a number: 'garbage'");
}

TEST(Gem5TraceReader, NeverDeliversARowOfTheLineThatFailed) {
  // A batch one row larger than the good lines: the failed line must not
  // fill it with a half-parsed instruction (it once did, on input threads).
  std::string trace = exampleTrace();
  trace += "garbage\n";
  for (bool threads : {true, false}) {
    Gem5ReaderOptions options;
    options.inputThreads = threads;
    Gem5TraceReader reader(stringSource("t", trace), stringSource("s", exampleSq()), options);
    InstructionBatch batch;
    EXPECT_EQ(errorOf([&] { reader.next(batch, 22); }),
              "t:line 22: field 1: not a number: 'garbage'")
        << (threads ? "input threads" : "inline");
  }
}

TEST(Gem5TraceReader, ReportsAnOpenFailureOfAnInput) {
  Gem5TraceReader reader(
      [] () -> std::unique_ptr<runtime::ByteSource> {
        throw StageError("nope.txt", "", "No such file or directory");
      },
      SourceOpener{});
  InstructionBatch batch;
  EXPECT_EQ(errorOf([&] { reader.next(batch, 8); }),
            "nope.txt: No such file or directory");
}

TEST(Gem5TraceReader, ReadsAnEmptyTraceAsNoInstructions) {
  EXPECT_TRUE(readText("", "").empty());
}

RC_GTEST_PROP(Gem5TraceReader, GivesTheSameInstructionsForAnyBatchAndChunkSize,
              ()) {
  synth::Gem5SynthOptions o;
  o.instructions = *rc::gen::inRange<uint64_t>(0, 3000);
  o.seed = *rc::gen::inRange<uint64_t>(1, 1000);
  const auto text = synth::generateGem5Trace(o);
  static std::map<std::pair<uint64_t, uint64_t>, std::vector<Instruction>> cache;
  auto& reference = cache[{o.seed, o.instructions}];
  if (reference.empty()) reference = readText(text.trace, text.sq, 1 << 20);
  RC_ASSERT(reference.size() == o.instructions);

  const size_t batch = *rc::gen::inRange<size_t>(1, 600);
  const size_t piece = *rc::gen::inRange<size_t>(1, 5000);
  Gem5ReaderOptions options;
  options.chunkBytes = *rc::gen::inRange<size_t>(1, 70000);
  options.queueBytes = *rc::gen::inRange<size_t>(1, 300000);
  options.inputThreads = *rc::gen::arbitrary<bool>();
  RC_ASSERT(readText(text.trace, text.sq, batch, piece, options) == reference);
}

// Writes a synthetic trace through two 64 KB pipes (blocking like named
// pipes) while a reader with small read-ahead reads it; returns what it read.
std::vector<Instruction> readThroughPipes(const synth::Gem5SynthOptions& o) {
  auto tracePipe = std::make_shared<testing::BoundedPipe>(1 << 16);
  auto sqPipe = std::make_shared<testing::BoundedPipe>(1 << 16);
  std::thread writer([&] {
    synth::generateGem5Trace(
        o, [&](std::string_view s) { tracePipe->write(s); },
        [&](std::string_view s) { sqPipe->write(s); }, 4096);
    tracePipe->close();
    sqPipe->close();
  });
  Gem5ReaderOptions options;
  options.chunkBytes = 1 << 14;
  options.readAheadBytes = 1 << 16;  // far less than the lag
  Gem5TraceReader reader(
      openedSource(std::make_unique<testing::PipeSource>("trace.txt", tracePipe)),
      openedSource(std::make_unique<testing::PipeSource>("trace.sq.txt", sqPipe)),
      options);
  std::vector<Instruction> rows = readAll(reader, 4096);
  writer.join();
  return rows;
}

TEST(Gem5TraceReader, KeepsDrainingTheTraceWhileWaitingForAnSqLine) {
  // The store-queue records lag 20000 trace lines (~3 MB) behind, and each
  // pipe holds only 64 KB: a reader that did not drain the trace while
  // waiting for trace.sq.txt would block the writer forever.
  synth::Gem5SynthOptions o;
  o.instructions = 60000;
  o.sqDelay = 20000;
  const auto text = synth::generateGem5Trace(o);
  std::vector<Instruction> rows = readThroughPipes(o);
  EXPECT_EQ(rows.size(), 60000u);
  EXPECT_EQ(rows, readText(text.trace, text.sq));
}

TEST(Gem5TraceReader, ReadsATraceWrittenWhollyBeforeItsStoreQueueRecords) {
  synth::Gem5SynthOptions o;
  o.instructions = 30000;
  o.sqDelay = 1000000;  // every trace.sq.txt line after the whole trace.txt
  const auto text = synth::generateGem5Trace(o);
  EXPECT_EQ(readThroughPipes(o), readText(text.trace, text.sq));
}

TEST(Gem5TraceReader, ReadsLiveNamedPipes) {
  char dirTemplate[] = "/tmp/trace_tap_test.XXXXXX";
  ASSERT_NE(::mkdtemp(dirTemplate), nullptr);
  const std::string dir = dirTemplate;
  const std::string tracePath = dir + "/trace.txt", sqPath = dir + "/trace.sq.txt";
  ASSERT_EQ(::mkfifo(tracePath.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(sqPath.c_str(), 0600), 0);
  synth::Gem5SynthOptions o;
  o.instructions = 20000;
  o.sqDelay = 5000;
  const auto text = synth::generateGem5Trace(o);
  // The writer opens trace.sq.txt first: a reader that opened trace.txt
  // first and alone would wait for it forever.
  std::thread writer([&] {
    std::FILE* sq = std::fopen(sqPath.c_str(), "w");
    std::FILE* trace = std::fopen(tracePath.c_str(), "w");
    if (sq == nullptr || trace == nullptr) return;
    synth::generateGem5Trace(
        o, [&](std::string_view s) { std::fwrite(s.data(), 1, s.size(), trace); },
        [&](std::string_view s) { std::fwrite(s.data(), 1, s.size(), sq); }, 4096);
    std::fclose(trace);
    std::fclose(sq);
  });
  Gem5TraceReader reader(sourceAt(tracePath), sourceAt(sqPath));
  std::vector<Instruction> rows = readAll(reader, 1000);
  writer.join();
  EXPECT_EQ(reader.traceName(), tracePath);
  EXPECT_EQ(rows, readText(text.trace, text.sq));
  std::filesystem::remove_all(dir);
}

TEST(Gem5TraceReader, LetsGoOfAnInputBlockedOnALivePipe) {
  // trace.sq.txt is a named pipe nobody opens: its read thread stays in
  // open() for good. A reader that fails on the trace must still return
  // (the blocked thread is left to end when open() does), and promptly.
  char dirTemplate[] = "/tmp/trace_tap_test.XXXXXX";
  ASSERT_NE(::mkdtemp(dirTemplate), nullptr);
  const std::string dir = dirTemplate;
  const std::string sqPath = dir + "/trace.sq.txt";
  ASSERT_EQ(::mkfifo(sqPath.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(errorOf([&] {
              // sourceAt owns its copy of the path: the read thread left
              // blocked in open() outlives this scope (and the test).
              Gem5TraceReader reader(stringSource("t", "garbage\n"), sourceAt(sqPath));
              readAll(reader, 5);
            }),
            "t:line 1: field 1: not a number: 'garbage'");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Unblock and remove the pipe: the detached thread's open() returns.
  int fd = ::open(sqPath.c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0) ::close(fd);
  std::filesystem::remove_all(dir);
}

TEST(Gem5TraceReader, OpensBothInputsConcurrently) {
  // A writer that opens trace.sq.txt first must not deadlock against a
  // reader that would open trace.txt first.
  // The openers share their state by shared_ptr (an opener owns what it
  // uses: see SourceOpener).
  struct Rendezvous {
    std::mutex m;
    std::condition_variable cv;
    bool sqOpened = false;
  };
  auto meet = std::make_shared<Rendezvous>();
  Gem5TraceReader reader(
      [meet]() -> std::unique_ptr<runtime::ByteSource> {
        std::unique_lock lock(meet->m);
        meet->cv.wait(lock, [&] { return meet->sqOpened; });
        return std::make_unique<testing::StringSource>("trace.txt", exampleTrace());
      },
      [meet]() -> std::unique_ptr<runtime::ByteSource> {
        std::lock_guard lock(meet->m);
        meet->sqOpened = true;
        meet->cv.notify_all();
        return std::make_unique<testing::StringSource>("trace.sq.txt", exampleSq());
      });
  EXPECT_EQ(readAll(reader, 100).size(), 21u);
}

TEST(Gem5TraceReader, FindsTheSqFileBesideTheTrace) {
  std::set<std::string> files;
  auto exists = [&](const std::string& p) { return files.count(p) > 0; };
  files = {"run/trace.sq.txt"};
  EXPECT_EQ(defaultSqPath("run/trace.txt", exists), "run/trace.sq.txt");
  EXPECT_EQ(defaultSqPath("run/trace.txt.zst", exists), "run/trace.sq.txt");
  files = {"run/trace.sq.txt.zst"};
  EXPECT_EQ(defaultSqPath("run/trace.txt.zst", exists), "run/trace.sq.txt.zst");
  EXPECT_EQ(defaultSqPath("run/trace.txt", exists), "run/trace.sq.txt.zst");
  files = {"a.gem5.sq.txt"};
  EXPECT_EQ(defaultSqPath("a.gem5", exists), "a.gem5.sq.txt");
  EXPECT_EQ(defaultSqPath("-", exists), "");
  files = {};
  EXPECT_EQ(defaultSqPath("run/trace.txt", exists), "");
}

}  // namespace
}  // namespace pv::gem5
