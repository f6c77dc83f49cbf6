// ChampSimTraceReader and the compressed sources on records written here:
// plain, .xz and .gz files, branch kinds, splitting, truncated and bad
// records.

#include "stages/trace-readers/champsim_trace_reader.h"

#include <gtest/gtest.h>
#include <lzma.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include "stages/trace-readers/compressed_source.h"
#include "stages/trace-readers/test_sources.h"

namespace pv::champsim {
namespace {

using gem5::testing::errorOf;
using gem5::testing::StringSource;

std::string bytesOf(const std::vector<Record>& records) {
  std::string out(records.size() * kRecordBytes, '\0');
  for (size_t i = 0; i < records.size(); ++i)
    encode(records[i], reinterpret_cast<unsigned char*>(out.data() + i * kRecordBytes));
  return out;
}

std::string xz(const std::string& in) {
  std::string out(lzma_stream_buffer_bound(in.size()), '\0');
  size_t pos = 0;
  EXPECT_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                    reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                                    reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()),
            LZMA_OK);
  out.resize(pos);
  return out;
}

std::string gz(const std::string& in) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&s, in.size()) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

class TempFile {
 public:
  TempFile(const std::string& suffix, const std::string& data) {
    char tmpl[] = "/tmp/pv_champsim_XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::close(fd);
    ::unlink(tmpl);
    path_ = std::string(tmpl) + suffix;
    std::ofstream(path_, std::ios::binary) << data;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<Instruction> readAll(std::unique_ptr<runtime::ByteSource> source,
                                 size_t batch = 4096) {
  ChampSimTraceReader reader(std::move(source));
  std::vector<Instruction> rows;
  InstructionBatch b;
  uint64_t index = 0;
  while (reader.next(b, batch)) {
    EXPECT_EQ(b.firstIndex, index);
    index += b.rows.size();
    rows.insert(rows.end(), b.rows.begin(), b.rows.end());
  }
  return rows;
}

// A small program: a load, a conditional branch, a store, a call, an ALU op.
std::vector<Record> program() {
  std::vector<Record> r(5);
  r[0].ip = 0x400000;
  r[0].sourceRegisters[0] = 10;  // rax
  r[0].destinationRegisters[0] = 9;  // rcx
  r[0].sourceMemory[0] = 0x1000;
  r[1].ip = 0x400004;
  r[1].isBranch = 1;
  r[1].branchTaken = 1;
  r[1].sourceRegisters[0] = 26;
  r[1].sourceRegisters[1] = 25;
  r[1].destinationRegisters[0] = 26;
  r[2].ip = 0x400008;
  r[2].sourceRegisters[0] = 10;
  r[2].destinationMemory[0] = 0x2000;
  r[3].ip = 0x40000c;
  r[3].isBranch = 1;
  r[3].branchTaken = 1;
  r[3].sourceRegisters[0] = 6;
  r[3].sourceRegisters[1] = 26;
  r[3].destinationRegisters[0] = 6;
  r[3].destinationRegisters[1] = 26;
  r[3].destinationMemory[0] = 0x7ff0;
  r[4].ip = 0x400010;
  return r;
}

TEST(ChampSimTraceReader, InfersOpClassesBranchKindsAndSplitsMemoryOperands) {
  auto rows = readAll(std::make_unique<StringSource>("t", bytesOf(program())));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].opClass, kOpMemRead);
  EXPECT_EQ(rows[0].dataAddr, 0x1000u);
  EXPECT_EQ(rows[0].src[0], (RegId{0, 0}));  // Pin's rax
  EXPECT_EQ(rows[0].dst[0], (RegId{0, 1}));  // Pin's rcx
  EXPECT_EQ(rows[1].opClass, kOpIntAlu);
  EXPECT_EQ(rows[1].flags, kFlagCondCtrl | kFlagDirectCtrl);
  EXPECT_TRUE(rows[1].branching);
  EXPECT_EQ(rows[1].srcCount, 1);  // flags; the ip is not an operand
  EXPECT_EQ(rows[1].src[0], (RegId{5, 0}));
  EXPECT_EQ(rows[2].opClass, kOpMemWrite);
  EXPECT_EQ(rows[2].sqIndex, 0);
  // The call: its store, then the branch, both micro-ops.
  EXPECT_EQ(rows[3].opClass, kOpMemWrite);
  EXPECT_EQ(rows[3].sqIndex, 1);
  EXPECT_TRUE(rows[3].has(kFlagMicroop));
  EXPECT_FALSE(rows[3].branching);
  EXPECT_EQ(rows[4].flags, kFlagMicroop | kFlagUncondCtrl | kFlagDirectCtrl);
  EXPECT_TRUE(rows[4].branching);
  EXPECT_EQ(rows[5].opClass, kOpIntAlu);
  EXPECT_EQ(rows[5].flags, 0);
}

TEST(ChampSimTraceReader, ARecordWithLoadsAndStoresGivesLoadsThenStores) {
  Record r;
  r.ip = 0x10;
  r.sourceMemory[0] = 0x100;
  r.sourceMemory[2] = 0x300;
  r.destinationMemory[1] = 0x200;
  auto rows = readAll(std::make_unique<StringSource>("t", bytesOf({r})));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].dataAddr, 0x100u);
  EXPECT_EQ(rows[1].dataAddr, 0x300u);
  EXPECT_EQ(rows[2].dataAddr, 0x200u);
  EXPECT_TRUE(rows[2].isStore());
  for (auto& row : rows) EXPECT_TRUE(row.has(kFlagMicroop));
}

TEST(ChampSimTraceReader, ReadsPlainXzGzipAndZstdFilesAlike) {
  const std::string raw = bytesOf(program());
  const auto expected = readAll(std::make_unique<StringSource>("t", raw));
  TempFile plain(".champsim", raw), x(".champsim.xz", xz(raw)), g(".champsim.gz", gz(raw));
  EXPECT_EQ(readAll(trace::openCompressedSource(plain.path())), expected);
  EXPECT_EQ(readAll(trace::openCompressedSource(x.path())), expected);
  EXPECT_EQ(readAll(trace::openCompressedSource(g.path())), expected);
  // Concatenated members/streams, as xz and gzip write when appending.
  TempFile x2(".xz", xz(raw) + xz(raw)), g2(".gz", gz(raw) + gz(raw));
  EXPECT_EQ(readAll(trace::openCompressedSource(x2.path())).size(), 2 * expected.size());
  EXPECT_EQ(readAll(trace::openCompressedSource(g2.path())).size(), 2 * expected.size());
}

TEST(ChampSimTraceReader, ReportsATruncatedFinalRecordWithFileAndIndex) {
  std::string raw = bytesOf(program());
  raw.resize(raw.size() - 10);
  TempFile f(".champsim", raw);
  ChampSimTraceReader reader(trace::openCompressedSource(f.path()));
  InstructionBatch b;
  ASSERT_TRUE(reader.next(b, 4096));  // the 4 complete records come first
  EXPECT_EQ(b.rows.size(), 5u);
  EXPECT_EQ(errorOf([&] { reader.next(b, 4096); }),
            f.path() + ":record 4 (byte 256): truncated record: 54 of 64 bytes at the end of "
                       "the trace");
}

TEST(ChampSimTraceReader, ReportsTruncatedAndMisnamedCompressedFiles) {
  const std::string raw = bytesOf(program());
  std::string cut = xz(raw);
  cut.resize(cut.size() / 2);
  TempFile x(".xz", cut);
  EXPECT_NE(errorOf([&] { readAll(trace::openCompressedSource(x.path())); })
                .find("truncated xz data"),
            std::string::npos);
  std::string gcut = gz(raw);
  gcut.resize(gcut.size() - 6);
  TempFile g(".gz", gcut);
  EXPECT_NE(errorOf([&] { readAll(trace::openCompressedSource(g.path())); })
                .find("truncated gzip data"),
            std::string::npos);
  TempFile notXz(".xz", raw);
  EXPECT_EQ(errorOf([&] { trace::openCompressedSource(notXz.path()); }),
            notXz.path() + ": not xz data (no xz stream magic)");
}

TEST(ChampSimTraceReader, RejectsBadRecordsWithTheirPosition) {
  auto rec = program();
  rec[2].isBranch = 3;
  EXPECT_EQ(errorOf([&] { readAll(std::make_unique<StringSource>("t", bytesOf(rec))); }),
            "t:record 2 (byte 128): is_branch is 3 (0 or 1)");
  rec = program();
  rec[4].branchTaken = 1;
  EXPECT_EQ(errorOf([&] { readAll(std::make_unique<StringSource>("t", bytesOf(rec))); }),
            "t:record 4 (byte 256): branch_taken is 1 but is_branch is 0");
}

TEST(ChampSimTraceReader, EncodeAndDecodeAreInverse) {
  for (const auto& r : program()) {
    unsigned char buf[kRecordBytes];
    encode(r, buf);
    const Record back = decode(buf);
    EXPECT_EQ(std::memcmp(&back, &r, sizeof r), 0);
  }
}

// Law: the records do not depend on the batch size or on how the input
// arrives in pieces; every record gives one record per address, plus one
// for a branch or a record without addresses.
RC_GTEST_PROP(ChampSimTraceReader, GivesTheSameRecordsForAnyBatchAndPieceSize, ()) {
  const int n = *rc::gen::inRange(0, 200);
  std::vector<Record> records(n);
  size_t expected = 0;
  for (auto& r : records) {
    r.ip = *rc::gen::arbitrary<uint64_t>();
    r.isBranch = *rc::gen::inRange(0, 2);
    r.branchTaken = r.isBranch ? *rc::gen::inRange(0, 2) : 0;
    size_t addrs = 0;
    for (auto& m : r.sourceMemory) addrs += (m = *rc::gen::inRange<uint64_t>(0, 3) * 64) != 0;
    for (auto& m : r.destinationMemory)
      addrs += (m = *rc::gen::inRange<uint64_t>(0, 3) * 64) != 0;
    for (auto& reg : r.sourceRegisters) reg = *rc::gen::inRange(0, 40);
    for (auto& reg : r.destinationRegisters) reg = *rc::gen::inRange(0, 40);
    expected += addrs + ((r.isBranch || addrs == 0) ? 1 : 0);
  }
  const std::string raw = bytesOf(records);
  const auto whole = readAll(std::make_unique<StringSource>("t", raw));
  RC_ASSERT(whole.size() == expected);
  RC_ASSERT(readAll(std::make_unique<StringSource>("t", raw, *rc::gen::inRange<size_t>(1, 200)),
                    *rc::gen::inRange<size_t>(1, 50)) == whole);
}

}  // namespace
}  // namespace pv::champsim
