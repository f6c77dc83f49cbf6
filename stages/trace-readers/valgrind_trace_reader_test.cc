// ValgrindTraceReader on bytes written here in the pvtap format: the
// micro-op split, flags, registers, thread and end records, and every kind
// of damaged stream. (Real runs under Valgrind: valgrind_tap_test.cc.)

#include "stages/trace-readers/valgrind_trace_reader.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "stages/trace-readers/pvtap_format.h"
#include "stages/trace-readers/test_sources.h"

namespace pv::valgrind {
namespace {

using gem5::testing::errorOf;
using gem5::testing::StringSource;

struct Access {
  uint16_t size;
  uint8_t kind;
};

// Writes a pvtap stream.
class StreamBuilder {
 public:
  StreamBuilder() { bytes_.assign(PVTAP_MAGIC, PVTAP_MAGIC_BYTES); }
  uint32_t desc(uint64_t pc, uint8_t opClass, uint16_t flags, std::vector<Access> acc,
                std::vector<RegId> src = {}, std::vector<RegId> dst = {}, uint8_t extra = 0) {
    const uint32_t id = nextId_++;
    std::string p;
    u32(p, id);
    u64(p, pc);
    p += char(4);
    p += char(opClass);
    u16(p, flags);
    p += char(acc.size());
    p += char(src.size());
    p += char(dst.size());
    p += char(extra);
    for (auto& a : acc) {
      u16(p, a.size);
      p += char(a.kind);
      p += char(0);
    }
    for (auto& r : src) p += {char(r.regClass), char(r.index)};
    for (auto& r : dst) p += {char(r.regClass), char(r.index)};
    u32(bytes_, PVTAP_REC_CTRL | PVTAP_CTRL_DESC << 2);
    u32(bytes_, static_cast<uint32_t>(p.size()));
    bytes_ += p;
    return id;
  }
  void exec(uint32_t id, bool taken, std::vector<uint64_t> addrs = {}) {
    u32(bytes_, PVTAP_REC_EXEC | (taken ? 4u : 0u) | id << 3);
    for (auto a : addrs) u64(bytes_, a);
    ++execs_;
  }
  void thread(uint32_t tid) {
    u32(bytes_, PVTAP_REC_CTRL | PVTAP_CTRL_THREAD << 2);
    u32(bytes_, tid);
  }
  void end(uint32_t reason = 0, int32_t status = 0, uint64_t skipped = 0) {
    u32(bytes_, PVTAP_REC_CTRL | PVTAP_CTRL_END << 2);
    u32(bytes_, reason);
    u32(bytes_, static_cast<uint32_t>(status));
    u64(bytes_, skipped);
    u64(bytes_, execs_);
  }
  std::string& bytes() { return bytes_; }

  static void u16(std::string& s, uint16_t v) { s.append(reinterpret_cast<char*>(&v), 2); }
  static void u32(std::string& s, uint32_t v) { s.append(reinterpret_cast<char*>(&v), 4); }
  static void u64(std::string& s, uint64_t v) { s.append(reinterpret_cast<char*>(&v), 8); }

 private:
  std::string bytes_;
  uint32_t nextId_ = 1;
  uint64_t execs_ = 0;
};

std::vector<Instruction> readAll(const std::string& bytes, size_t batch = 4096,
                                 size_t piece = 1 << 20, ValgrindTraceReader** out = nullptr) {
  static std::unique_ptr<ValgrindTraceReader> keep;
  keep = std::make_unique<ValgrindTraceReader>(
      std::make_unique<StringSource>("tool", bytes, piece));
  if (out) *out = keep.get();
  std::vector<Instruction> rows;
  InstructionBatch b;
  uint64_t index = 0;
  while (keep->next(b, batch)) {
    EXPECT_EQ(b.firstIndex, index);
    index += b.rows.size();
    rows.insert(rows.end(), b.rows.begin(), b.rows.end());
  }
  return rows;
}

TEST(ValgrindTraceReader, SplitsAReadModifyWriteIntoLoadComputeStore) {
  StreamBuilder s;
  // add [rbx], eax: a load, an add, a store.
  uint32_t id = s.desc(0x1000, 1, 0, {{4, PVTAP_A_LOAD}, {4, PVTAP_A_STORE}},
                       {{0, 3}, {0, 0}}, {{5, 0}}, PVTAP_X_WRITES_FLAGS);
  s.exec(id, false, {0x5000, 0x5000});
  s.end();
  ValgrindTraceReader* r;
  auto rows = readAll(s.bytes(), 4096, 1 << 20, &r);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].opClass, kOpMemRead);
  EXPECT_EQ(rows[0].dataAddr, 0x5000u);
  EXPECT_EQ(rows[0].accessSize, 4u);
  EXPECT_TRUE(rows[0].effAddrValid);
  EXPECT_EQ(rows[0].sqIndex, -1);
  EXPECT_EQ(rows[1].opClass, kOpIntAlu);
  EXPECT_FALSE(rows[1].effAddrValid);
  EXPECT_EQ(rows[2].opClass, kOpMemWrite);
  EXPECT_EQ(rows[2].sqIndex, 0);
  for (auto& row : rows) {
    EXPECT_TRUE(row.has(kFlagMicroop));
    EXPECT_EQ(row.pc, 0x1000u);
    EXPECT_EQ(row.srcCount, 2);
    EXPECT_EQ(row.dst[0], (RegId{5, 0}));
  }
  EXPECT_EQ(r->stats().guestInstructions, 1u);
  EXPECT_EQ(r->stats().records, 3u);
}

TEST(ValgrindTraceReader, APlainLoadIsOneRecordWithoutMicroopFlag) {
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 0, 0, {{8, PVTAP_A_LOAD}}, {{0, 3}}, {{0, 0}});
  s.exec(id, false, {0x7000});
  s.exec(id, false, {0x7008});
  s.end();
  auto rows = readAll(s.bytes());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].dataAddr, 0x7008u);
  EXPECT_EQ(rows[1].flags, 0);
  EXPECT_TRUE(rows[1].isLoad());
}

TEST(ValgrindTraceReader, ACallStoresFirstAndBranchesLast) {
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 1, PVTAP_F_UNCOND_CTRL | PVTAP_F_DIRECT_CTRL,
                       {{8, PVTAP_A_STORE}}, {{0, 4}}, {{0, 4}}, PVTAP_X_CALL);
  s.exec(id, true, {0x7ff0});
  s.end();
  auto rows = readAll(s.bytes());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].opClass, kOpMemWrite);
  EXPECT_FALSE(rows[0].branching);
  EXPECT_FALSE(rows[0].has(kFlagUncondCtrl));
  EXPECT_EQ(rows[1].opClass, kOpIntAlu);
  EXPECT_TRUE(rows[1].branching);
  EXPECT_TRUE(rows[1].has(kFlagUncondCtrl));
  EXPECT_TRUE(rows[1].has(kFlagDirectCtrl));
}

TEST(ValgrindTraceReader, GuardedAccessesThatDidNotHappenMakeNoRecord) {
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 0, PVTAP_F_ATOMIC,
                       {{8, PVTAP_A_LOAD}, {8, PVTAP_A_STORE | PVTAP_A_GUARDED}});
  s.exec(id, false, {0x9000, 0});       // compare failed: no store
  s.exec(id, false, {0x9000, 0x9000});  // swapped
  s.end();
  auto rows = readAll(s.bytes());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].opClass, kOpMemRead);
  EXPECT_TRUE(rows[0].has(kFlagAtomic));
  EXPECT_EQ(rows[1].opClass, kOpMemRead);
  EXPECT_EQ(rows[2].opClass, kOpMemWrite);
  EXPECT_TRUE(rows[2].has(kFlagAtomic));
}

TEST(ValgrindTraceReader, ConditionalBranchKeepsItsOutcome) {
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 1, PVTAP_F_COND_CTRL | PVTAP_F_DIRECT_CTRL, {}, {{5, 0}});
  s.exec(id, true);
  s.exec(id, false);
  s.end();
  auto rows = readAll(s.bytes());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].branching);
  EXPECT_FALSE(rows[1].branching);
  EXPECT_TRUE(rows[0].has(kFlagCondCtrl));
  EXPECT_FALSE(rows[0].has(kFlagMicroop));
}

TEST(ValgrindTraceReader, CountsThreadsAndReadsTheEndRecord) {
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 1, 0, {});
  s.thread(1);
  s.exec(id, false);
  s.thread(2);
  s.exec(id, false);
  s.thread(1);
  s.exec(id, false);
  s.end(PVTAP_END_REGION, 0, 77);
  ValgrindTraceReader* r;
  auto rows = readAll(s.bytes(), 4096, 1 << 20, &r);
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_EQ(r->stats().threads, 2u);
  EXPECT_EQ(r->stats().threadSwitches, 2u);
  ASSERT_TRUE(r->end());
  EXPECT_EQ(r->end()->reason, EndRecord::kRegionDone);
  EXPECT_EQ(r->end()->skipped, 77u);
  EXPECT_EQ(r->end()->traced, 3u);
}

TEST(ValgrindTraceReader, KeepsTheFirstEightSourcesAndSixDestinations) {
  StreamBuilder s;
  std::vector<RegId> many;
  for (uint16_t i = 0; i < 12; ++i) many.push_back(RegId{2, i});
  uint32_t id = s.desc(0x1000, 12, 0, {}, many, many);
  s.exec(id, false);
  s.end();
  auto rows = readAll(s.bytes());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].srcCount, 8);
  EXPECT_EQ(rows[0].dstCount, 6);
  EXPECT_EQ(rows[0].src[7], (RegId{2, 7}));
  EXPECT_EQ(rows[0].opClass, 12);
}

TEST(ValgrindTraceReader, ReportsDamagedStreamsWithTheirPosition) {
  auto err = [](const std::string& bytes) {
    return errorOf([&] { readAll(bytes); });
  };
  EXPECT_EQ(err(""), "tool:byte 0: empty record stream (the Valgrind tool did not start?)");
  EXPECT_EQ(err("PVTA"), "tool:byte 0: truncated record stream: it ends inside the stream header");
  EXPECT_EQ(err("XXXXXXXXXXXX"),
            "tool:byte 0: not a pvtap record stream (bad magic; a tool of another version?)");
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 0, 0, {{8, PVTAP_A_LOAD}});
  const size_t afterDesc = s.bytes().size();
  s.exec(id, false, {0x10});
  std::string full = s.bytes();
  EXPECT_EQ(err(full), "tool:byte " + std::to_string(full.size()) +
                           ": truncated record stream: no end record (the tool or the guest "
                           "was killed?)");
  EXPECT_EQ(err(full.substr(0, full.size() - 3)),
            "tool:byte " + std::to_string(full.size() - 3) +
                ": truncated record stream: it ends inside an instruction record (9 of 12 "
                "bytes; the tool or the guest was killed?)");
  std::string unknown = s.bytes().substr(0, afterDesc);
  StreamBuilder::u32(unknown, 9u << 3);
  EXPECT_EQ(err(unknown), "tool:byte " + std::to_string(afterDesc) +
                              ": instruction record names unknown descriptor 9");
  StreamBuilder bad;
  bad.desc(0x1000, 200, 0, {});
  EXPECT_EQ(err(bad.bytes()), "tool:byte 8: descriptor 1: op class 200 is not a gem5 OpClass");
  StreamBuilder badReg;
  badReg.desc(0x1000, 1, 0, {}, {{0, 60}});
  EXPECT_EQ(err(badReg.bytes()),
            "tool:byte 8: descriptor 1: register 0:60 out of range (class 0-6, index below 50 "
            "unless class 6)");
  StreamBuilder lying;
  uint32_t d = lying.desc(0x1000, 1, 0, {});
  lying.exec(d, false);
  lying.end();
  std::string after = lying.bytes() + "x";
  EXPECT_EQ(err(after), "tool:byte " + std::to_string(lying.bytes().size()) +
                            ": data after the end record");
}

TEST(ValgrindTraceReader, DeliversTheRecordsBeforeAnError) {
  StreamBuilder s;
  uint32_t id = s.desc(0x1000, 1, 0, {});
  s.exec(id, false);
  s.exec(id, false);
  ValgrindTraceReader r(std::make_unique<StringSource>("tool", s.bytes()));
  InstructionBatch b;
  ASSERT_TRUE(r.next(b, 100));
  EXPECT_EQ(b.rows.size(), 2u);
  EXPECT_NE(errorOf([&] { r.next(b, 100); }), "");
}

// Law: the records do not depend on the batch size or on how the input
// arrives in pieces.
RC_GTEST_PROP(ValgrindTraceReader, GivesTheSameRecordsForAnyBatchAndPieceSize, ()) {
  StreamBuilder s;
  const int descs = *rc::gen::inRange(1, 6);
  std::vector<std::pair<uint32_t, size_t>> ids;
  for (int i = 0; i < descs; ++i) {
    const size_t nacc = *rc::gen::inRange<size_t>(0, 5);
    std::vector<Access> acc;
    for (size_t k = 0; k < nacc; ++k)
      acc.push_back({8, static_cast<uint8_t>(*rc::gen::inRange(0, 4))});
    ids.emplace_back(s.desc(0x1000 + 4 * i, *rc::gen::inRange(0, 40), 0, acc), nacc);
  }
  const int execs = *rc::gen::inRange(0, 300);
  for (int i = 0; i < execs; ++i) {
    auto [id, nacc] = ids[*rc::gen::inRange<size_t>(0, ids.size())];
    std::vector<uint64_t> addrs;
    for (size_t k = 0; k < nacc; ++k) addrs.push_back(*rc::gen::inRange<uint64_t>(0, 3) * 64);
    s.exec(id, *rc::gen::arbitrary<bool>(), addrs);
  }
  s.end();
  const auto whole = readAll(s.bytes());
  RC_ASSERT(readAll(s.bytes(), *rc::gen::inRange<size_t>(1, 50),
                    *rc::gen::inRange<size_t>(1, 100)) == whole);
}

}  // namespace
}  // namespace pv::valgrind
