// Stream endpoints: whatever goes into a file, a zstd file or a ZeroMQ
// socket comes out unchanged; truncated and corrupted inputs give a clear
// StageError, never a crash or a silently shorter stream.

#include "stages/runtime/stream.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <variant>

#include "tests/support/arbitrary.h"

namespace pv::runtime {
namespace {

std::string tempPath(const std::string& suffix) {
  static std::atomic<int> counter{0};
  return "/tmp/pv_stream_test_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter++) + suffix;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

struct Recorded {
  StreamHeader header;
  std::vector<FeatureBatch> batches;
};

Recorded genStream() {
  Recorded s;
  s.header = testing::genHeader(PayloadKind::kFeatures, *rc::gen::arbitrary<bool>(),
                                *rc::gen::arbitrary<bool>());
  int count = *rc::gen::inRange(0, 6);
  uint64_t next = 0;
  for (int i = 0; i < count; ++i) {
    s.batches.push_back(testing::genFeatureBatch(s.header, next));
    next += s.batches.back().rows();
  }
  return s;
}

void writeAll(const std::string& spec, const Recorded& s) {
  auto writer = StreamWriter::open(spec);
  writer->writeHeader(s.header);
  uint64_t records = 0;
  for (const auto& b : s.batches) {
    writer->write(b);
    records += b.rows();
  }
  writer->writeEnd(records);
  writer->close();
}

Recorded readAll(const std::string& spec) {
  auto reader = StreamReader::open(spec);
  Recorded s;
  s.header = reader->header();
  FeatureBatch b;
  while (reader->next(b)) s.batches.push_back(b);
  return s;
}

bool operator==(const Recorded& a, const Recorded& b) {
  return a.header == b.header && a.batches == b.batches;
}

RC_GTEST_PROP(Stream, aFileGivesBackWhatWasWritten, ()) {
  Recorded s = genStream();
  std::string path = tempPath(*rc::gen::element<std::string>(".pvs", ".pvs.zst"));
  writeAll(path, s);
  RC_ASSERT(readAll(path) == s);
  std::remove(path.c_str());
}

RC_GTEST_PROP(Stream, aZeroMqIpcSocketGivesBackWhatWasWritten, ()) {
  Recorded s = genStream();
  const std::string socketFile = tempPath(".sock");
  std::string endpoint = "ipc://" + socketFile;
  Recorded got;
  std::exception_ptr failure;
  std::thread consumer([&] {
    try {
      got = readAll(endpoint);  // binds
    } catch (...) {
      failure = std::current_exception();
    }
  });
  writeAll(endpoint, s);  // connects (and retries until the reader binds)
  consumer.join();
  if (failure) std::rethrow_exception(failure);
  RC_ASSERT(got == s);
  // The reader bound the endpoint; closed, it leaves no socket file behind.
  RC_ASSERT(::access(socketFile.c_str(), F_OK) != 0);
}

// A program's intervals travel as messages of their own before the program
// message: read whole they are collected, read part by part they come one
// by one, and intervals that do not continue one another or do not cover
// the program are errors.
RC_GTEST_PROP(Stream, programIntervalsStreamAsMessagesOfTheirOwn, ()) {
  StreamHeader h;
  h.payload = PayloadKind::kProgram;
  h.representationDim = *rc::gen::inRange<uint32_t>(1, 8);
  h.modelId = "xxh3-128:test";
  const ProgramRepresentation program = testing::genProgram(h.representationDim);
  const std::string path = tempPath(".pvs");
  auto write = [&](const std::vector<ProgramPart>& parts, uint64_t records) {
    auto writer = StreamWriter::open(path);
    writer->writeHeader(h);
    for (const auto& part : parts) writer->write(part);
    writer->writeEnd(records);
    writer->close();
  };
  write({program}, program.instructions);
  {
    ProgramRepresentation whole;
    auto reader = StreamReader::open(path);
    RC_ASSERT(reader->next(whole));
    RC_ASSERT(whole == program);
    RC_ASSERT(!reader->next(whole));
  }
  {
    auto reader = StreamReader::open(path);
    ProgramPart part;
    for (const auto& interval : program.intervals) {
      RC_ASSERT(reader->next(part));
      RC_ASSERT(std::get<IntervalRepresentation>(part) == interval);
    }
    RC_ASSERT(reader->next(part));
    ProgramRepresentation bare = program;
    bare.intervals.clear();
    RC_ASSERT(std::get<ProgramRepresentation>(part) == bare);
    RC_ASSERT(!reader->next(part));
  }
  auto fails = [&](const std::vector<ProgramPart>& parts, uint64_t records) {
    write(parts, records);
    auto reader = StreamReader::open(path);
    ProgramRepresentation whole;
    try {
      while (reader->next(whole)) {
      }
    } catch (const StageError&) {
      return true;
    }
    return false;
  };
  ProgramRepresentation bare = program;
  bare.intervals.clear();
  const IntervalRepresentation first{0, 3, std::vector<double>(h.representationDim, 1.0)};
  bare.instructions = 5;
  RC_ASSERT(fails({first, bare}, 5));                                     // cover 3 of 5
  RC_ASSERT(fails({first, IntervalRepresentation{4, 1, first.sum}, bare}, 5));  // a gap
  RC_ASSERT(fails({first}, 0));                                           // no program after them
  RC_ASSERT(!fails({first, IntervalRepresentation{3, 2, first.sum}, bare}, 5));
  std::remove(path.c_str());
}

TEST(Stream, aTruncatedFileIsAnErrorAtEveryCutPoint) {
  Recorded s;
  s.header.payload = PayloadKind::kFeatures;
  s.header.featureColumns = {"a", "b"};
  for (int i = 0; i < 3; ++i) {
    FeatureBatch b;
    b.firstIndex = i * 10;
    b.columns = 2;
    b.values.assign(20, float(i));
    s.batches.push_back(b);
  }
  std::string path = tempPath(".pvs");
  writeAll(path, s);
  std::string bytes = slurp(path);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    spit(path, bytes.substr(0, cut));
    EXPECT_THROW(readAll(path), StageError) << "cut at byte " << cut << " of " << bytes.size();
  }
  std::remove(path.c_str());
}

TEST(Stream, aStreamWithoutEndNamesTheTruncation) {
  std::string path = tempPath(".pvs");
  {
    auto writer = StreamWriter::open(path);
    StreamHeader h;
    h.payload = PayloadKind::kFeatures;
    h.featureColumns = {"a"};
    writer->writeHeader(h);
    FeatureBatch b;
    b.columns = 1;
    b.values = {1, 2, 3};
    writer->write(b);
    writer->close();
  }
  try {
    readAll(path);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(std::string(e.what()).find("without end-of-stream after 3 records"), std::string::npos)
        << e.what();
  }
  std::remove(path.c_str());
}

RC_GTEST_PROP(Stream, aCorruptedFileNeverCrashesTheReader, ()) {
  Recorded s = genStream();
  std::string path = tempPath(".pvs");
  writeAll(path, s);
  std::string bytes = slurp(path);
  int flips = *rc::gen::inRange(1, 8);
  for (int i = 0; i < flips; ++i) {
    size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = static_cast<char>(*rc::gen::arbitrary<uint8_t>());
  }
  spit(path, bytes);
  try {
    readAll(path);  // a flip inside a value may still decode: that is fine
  } catch (const StageError&) {
    // the expected outcome for structural damage
  }
  std::remove(path.c_str());
}

RC_GTEST_PROP(Stream, anyChangedByteBeforeTheEndIsDetected, ()) {
  // Bytes whose damage still decodes (a float inside a batch, a text of the
  // header) are caught by the end-of-stream checksum. The end message itself
  // (its last 64 bytes or less) has unused bits, so it is left out.
  Recorded s = genStream();
  std::string path = tempPath(".pvs");
  writeAll(path, s);
  std::string bytes = slurp(path);
  RC_PRE(bytes.size() > 64);
  const size_t at = *rc::gen::inRange<size_t>(0, bytes.size() - 64);
  const auto delta = *rc::gen::inRange<int>(1, 256);
  bytes[at] = static_cast<char>(static_cast<uint8_t>(bytes[at]) ^ delta);
  spit(path, bytes);
  bool detected = false;
  try {
    readAll(path);
  } catch (const StageError&) {
    detected = true;
  }
  std::remove(path.c_str());
  RC_ASSERT(detected);
}

TEST(Stream, aChangedValueIsReportedAsAChecksumMismatch) {
  Recorded s;
  s.header.payload = PayloadKind::kFeatures;
  s.header.featureColumns = {"a"};
  FeatureBatch b;
  b.columns = 1;
  b.values = {1.0f, 2.0f, 1234.5f};
  s.batches.push_back(b);
  std::string path = tempPath(".pvs");
  writeAll(path, s);
  std::string bytes = slurp(path);
  const float from = 1234.5f, to = 1234.25f;
  const auto at = bytes.find(std::string(reinterpret_cast<const char*>(&from), 4));
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 4, std::string(reinterpret_cast<const char*>(&to), 4));
  spit(path, bytes);
  try {
    readAll(path);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), path);
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Stream, anUpstreamErrorArrivesAsUpstreamError) {
  std::string path = tempPath(".pvs");
  {
    auto writer = StreamWriter::open(path);
    writer->writeError("pv-trace-tap", StageError("trace.txt", "line 7", "bad field"));
    writer->close();
  }
  try {
    StreamReader::open(path);
    FAIL() << "no error";
  } catch (const UpstreamError& e) {
    EXPECT_EQ(e.stage(), "pv-trace-tap");
    EXPECT_STREQ(e.what(), "trace.txt:line 7: bad field");
  }
  std::remove(path.c_str());
}

TEST(Stream, readingFeaturesAsInstructionsIsAnError) {
  Recorded s;
  s.header.payload = PayloadKind::kFeatures;
  s.header.featureColumns = {"a"};
  FeatureBatch b;
  b.columns = 1;
  b.values = {1};
  s.batches.push_back(b);
  std::string path = tempPath(".pvs");
  writeAll(path, s);
  auto reader = StreamReader::open(path);
  InstructionBatch wrong;
  EXPECT_THROW(reader->next(wrong), StageError);
  std::remove(path.c_str());
}

TEST(Stream, aMissingFileIsNamed) {
  try {
    StreamReader::open("/nonexistent/x.pvs");
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_EQ(e.input(), "/nonexistent/x.pvs");
  }
}

TEST(Stream, aStreamFilesBaseNameDropsItsFolderAndEndings) {
  EXPECT_EQ(streamBaseName("data/xz.pvs.zst"), "xz");
  EXPECT_EQ(streamBaseName("xz.pvs"), "xz");
  EXPECT_EQ(streamBaseName("/a/b/lua.zst"), "lua");
  EXPECT_EQ(streamBaseName("plain"), "plain");
  // A name that is only an ending keeps it rather than becoming empty.
  EXPECT_EQ(streamBaseName("dir/.pvs"), ".pvs");
}

}  // namespace
}  // namespace pv::runtime
