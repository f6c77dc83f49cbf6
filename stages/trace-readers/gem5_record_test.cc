// Gem5LineParser: field layout, store-queue completion and bad lines.
#include "stages/trace-readers/gem5_record.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "stages/trace-readers/test_sources.h"

namespace pv::gem5 {
namespace {

using testing::errorOf;

const std::string kTrace = "trace.txt";
const std::string kSq = "trace.sq.txt";

// Line 4 of the example: a load that reaches memory.
const char* kLoadLine =
    "0 -1 80500 120500 121000 1500 2500 3000 3000 47 0 0 0 0 0 0 0 0 0 0 0 0 0  "
    "1 549755747984 8 2 -1 -1 -1 0 0 0 0 0 0  4196460 0 0 -1 -1 -1 -1 0 0 0 0 0  "
    "1 1  0 42  0 1";
const char* kSqHead = "0 1 216500 5000 5500 1500 2500 3000 3500";
const char* kSqLine =
    "0 1 216500 5000 5500 1500 2500 3000 3500 99000 99000 48 1 0 0 0 0 0 0 0 0 0 0 0 0  "
    "1 549755747600 8 -1 -1 -1 -1 0 0 0 0 0 0  4196960 0 0 -1 -1 -1 -1 0 0 0 0 0  "
    "2 0  0 35 0 29 ";

// A normal line with its fields 1-based as in the format description;
// `field` replaces one of them.
std::string normalLine(int field = 0, const std::string& value = "") {
  std::string fields[52] = {"0", "-1", "1000", "10", "20", "1", "2", "3", "4",
                            "1"};
  for (int i = 10; i < 52; ++i) fields[i] = "0";
  for (int f : {27, 28, 29, 30, 40, 41, 42, 43}) fields[f - 1] = "-1";
  fields[48] = "1";  // n_src
  fields[49] = "0";  // n_dst
  fields[50] = "0";  // src class
  fields[51] = "7";  // src index
  if (field > 0) fields[field - 1] = value;
  std::string line;
  for (const auto& f : fields) line += f + " ";
  return line;
}

Instruction parse(std::string_view line) {
  Instruction inst;
  TraceLine kind = Gem5LineParser::parseTraceLine(line, LineRef{kTrace, 7}, inst);
  EXPECT_EQ(kind.kind, LineKind::kInstruction);
  return inst;
}

std::string traceError(const std::string& line) {
  return errorOf([&] {
    Instruction inst;
    Gem5LineParser::parseTraceLine(line, LineRef{kTrace, 7}, inst);
  });
}

TEST(Gem5LineParser, ReadsEveryFieldOfANormalLine) {
  Instruction i = parse(kLoadLine);
  EXPECT_FALSE(i.isFault);
  EXPECT_EQ(i.sqIndex, -1);
  EXPECT_TRUE(i.hasTiming);
  EXPECT_EQ(i.timing.fetchTick, 80500u);
  EXPECT_EQ(i.timing.robOutLatency, 120500);
  EXPECT_EQ(i.timing.retireLatency, 121000);
  EXPECT_EQ(i.timing.decodeLatency, 1500);
  EXPECT_EQ(i.timing.renameLatency, 2500);
  EXPECT_EQ(i.timing.dispatchLatency, 3000);
  EXPECT_EQ(i.timing.issueLatency, 3000);
  EXPECT_FALSE(i.timing.hasStoreTiming);
  EXPECT_EQ(i.opClass, kOpMemRead);
  EXPECT_EQ(i.flags, 0);
  EXPECT_TRUE(i.effAddrValid);
  EXPECT_EQ(i.dataAddr, 549755747984u);
  EXPECT_EQ(i.accessSize, 8u);
  EXPECT_EQ(i.dataDepth, 2);
  EXPECT_EQ(i.dataWalkDepth, (std::array<int8_t, 3>{-1, -1, -1}));
  EXPECT_EQ(i.pc, 4196460u);
  EXPECT_FALSE(i.branching);
  EXPECT_FALSE(i.mispredicted);
  EXPECT_EQ(i.fetchDepth, -1);
  EXPECT_EQ(i.srcCount, 1);
  EXPECT_EQ(i.dstCount, 1);
  EXPECT_EQ(i.src[0], (RegId{0, 42}));
  EXPECT_EQ(i.dst[0], (RegId{0, 1}));
  EXPECT_EQ(i.src[1], RegId{});
}

TEST(Gem5LineParser, MapsFlagFieldsToFlagBitsInOrder) {
  for (int f = 0; f < kFlagCount; ++f) {
    Instruction i = parse(normalLine(11 + f, "1"));
    EXPECT_EQ(i.flags, 1u << f) << "field " << 11 + f;
  }
  Instruction i = parse(normalLine(38, "1"));
  EXPECT_TRUE(i.branching);
  EXPECT_FALSE(i.mispredicted);
  i = parse(normalLine(39, "1"));
  EXPECT_TRUE(i.mispredicted);
  i = parse(normalLine(40, "2"));
  EXPECT_EQ(i.fetchDepth, 2);
}

TEST(Gem5LineParser, AcceptsTabsCarriageReturnsAndRepeatedBlanks) {
  std::string line = "\t" + normalLine() + "  \r";
  for (char& c : line)
    if (c == ' ') c = '\t';
  EXPECT_EQ(parse(line), parse(normalLine()));
}

TEST(Gem5LineParser, AcceptsMiscRegistersWithLargeIndices) {
  Instruction i = parse(normalLine(51, "6").substr(0, normalLine().rfind(" 7 ")) +
                        " 700 ");
  EXPECT_EQ(i.src[0], (RegId{6, 700}));
}

TEST(Gem5LineParser, ReturnsTheFirstNineFieldsOfAStoreQueueHead) {
  Instruction i;
  TraceLine kind = Gem5LineParser::parseTraceLine(kSqHead, LineRef{kTrace, 15}, i);
  EXPECT_EQ(kind.kind, LineKind::kStoreQueue);
  EXPECT_EQ(i.sqIndex, 1);
  EXPECT_EQ(i.timing.fetchTick, 216500u);
  EXPECT_EQ(i.timing.issueLatency, 3500);
}

TEST(Gem5LineParser, CompletesAStoreQueueRecordFromItsSqLine) {
  Instruction i;
  Gem5LineParser::parseTraceLine(kSqHead, LineRef{kTrace, 15}, i);
  Gem5LineParser::parseSqLine(kSqLine, LineRef{kSq, 1}, LineRef{kTrace, 15}, i);
  EXPECT_TRUE(i.timing.hasStoreTiming);
  EXPECT_EQ(i.timing.storeLatency, 99000);
  EXPECT_EQ(i.timing.sqOutLatency, 99000);
  EXPECT_EQ(i.opClass, kOpMemWrite);
  EXPECT_EQ(i.flags, kFlagMicroop);
  EXPECT_EQ(i.dataAddr, 549755747600u);
  EXPECT_EQ(i.pc, 4196960u);
  EXPECT_EQ(i.srcCount, 2);
  EXPECT_EQ(i.dstCount, 0);
  EXPECT_EQ(i.src[0], (RegId{0, 35}));
  EXPECT_EQ(i.src[1], (RegId{0, 29}));
  EXPECT_TRUE(i.isStore());
}

TEST(Gem5LineParser, RecognisesAStartLineAndItsTick) {
  Instruction i;
  TraceLine kind =
      Gem5LineParser::parseTraceLine("0 -99 123456 0 0 0 0 0 0", LineRef{kTrace, 1}, i);
  EXPECT_EQ(kind.kind, LineKind::kStart);
  EXPECT_EQ(kind.startTick, 123456u);
}

TEST(Gem5LineParser, RejectsANonNumericFieldNamingFileLineAndField) {
  EXPECT_EQ(traceError(normalLine(25, "0x10")),
            "trace.txt:line 7: field 25: not a number: '0x10'");
  EXPECT_EQ(traceError(normalLine(3, "12a")),
            "trace.txt:line 7: field 3: not a number: '12a'");
  EXPECT_EQ(traceError(normalLine(3, "-")),
            "trace.txt:line 7: field 3: not a number: '-'");
}

TEST(Gem5LineParser, RejectsNumbersBeyondSixtyFourBits) {
  EXPECT_EQ(traceError(normalLine(25, "18446744073709551616")),
            "trace.txt:line 7: field 25: number out of 64-bit range");
}

TEST(Gem5LineParser, RejectsAnUnknownFieldCount) {
  EXPECT_EQ(traceError(""), "trace.txt:line 7: unknown field count 0 (empty line)");
  EXPECT_EQ(traceError("0 -1 80000 4000"), "trace.txt:line 7: unknown field count 4");
  EXPECT_EQ(traceError(normalLine() + "5"),
            "trace.txt:line 7: unknown field count 53 (expected 52 for 1 sources "
            "and 0 destinations)");
  EXPECT_EQ(traceError("0 -1 80000 4000 4500 1500 2500 3000 3000 1 0 0"),
            "trace.txt:line 7: unknown field count 12 (a trace.txt record has at "
            "least 50)");
  EXPECT_EQ(traceError(std::string(kSqHead) + " 7"),
            "trace.txt:line 7: unknown field count 10 (a store-queue record "
            "(sq_index 1) in trace.txt has 9 unless it faulted: is_fault 1)");
  // A faulting store's whole line is held to a normal line's count.
  EXPECT_EQ(traceError("1 1 216500 5000 5500 1500 2500 3000 3500 48 1 0"),
            "trace.txt:line 7: unknown field count 12 (a trace.txt record has at "
            "least 50)");
}

// gem5 writes a faulting store (is_fault 1, an sq_index) as a whole line in
// trace.txt and no trace.sq.txt line; its store times are 0.
TEST(Gem5LineParser, ReadsAFaultingStoreFromItsWholeTraceLine) {
  // kSqLine without its two store fields, faulting.
  const std::string line =
      "1 1 216500 5000 5500 1500 2500 3000 3500 48 1 0 0 0 0 0 0 0 0 0 0 0 0  "
      "1 549755747600 8 -1 -1 -1 -1 0 0 0 0 0 0  4196960 0 0 -1 -1 -1 -1 0 0 0 0 0  "
      "2 0  0 35 0 29";
  Instruction i;
  const TraceLine kind = Gem5LineParser::parseTraceLine(line, LineRef{kTrace, 16}, i);
  EXPECT_EQ(kind.kind, LineKind::kInstruction);
  EXPECT_TRUE(i.isFault);
  EXPECT_EQ(i.sqIndex, 1);
  EXPECT_TRUE(i.isStoreQueueEntry());
  EXPECT_TRUE(i.timing.hasStoreTiming);
  EXPECT_EQ(i.timing.storeLatency, 0);
  EXPECT_EQ(i.timing.sqOutLatency, 0);
  EXPECT_EQ(i.timing.retireLatency, 5500);
  EXPECT_EQ(i.opClass, kOpMemWrite);
  EXPECT_EQ(i.dataAddr, 549755747600u);
  EXPECT_EQ(i.pc, 4196960u);
  EXPECT_EQ(i.srcCount, 2);
  EXPECT_EQ(i.src[1], (RegId{0, 29}));
  EXPECT_TRUE(i.isStore());
  // Not faulting, the same whole line is an error (its record belongs in
  // trace.sq.txt).
  EXPECT_EQ(traceError("0" + line.substr(1)),
            "trace.txt:line 7: unknown field count 54 (a store-queue record "
            "(sq_index 1) in trace.txt has 9 unless it faulted: is_fault 1)");
}

TEST(Gem5LineParser, RejectsValuesOutOfRange) {
  EXPECT_EQ(traceError(normalLine(27, "3")),
            "trace.txt:line 7: field 27 (data_depth): 3 is out of range -1..2");
  EXPECT_EQ(traceError(normalLine(12, "2")),
            "trace.txt:line 7: field 12 (is_cond_ctrl): 2 is out of range 0..1");
  EXPECT_EQ(traceError(normalLine(3, "-5")),
            "trace.txt:line 7: field 3 (fetch_tick): -5 is out of range "
            "0..9223372036854775807");
  EXPECT_EQ(traceError(normalLine(51, "7")),
            "trace.txt:line 7: field 51 (register 1 class): 7 is out of range 0..6");
  EXPECT_EQ(traceError(normalLine(52, "50")),
            "trace.txt:line 7: field 52 (register 1 index): 50 is out of range 0..49");
  EXPECT_EQ(traceError(normalLine(2, "-7")),
            "trace.txt:line 7: field 2 (sq_index): -7 is neither -1, -99 nor a "
            "queue index");
  EXPECT_EQ(traceError(normalLine(26, "4294967296")),
            "trace.txt:line 7: field 26 (access_size): 4294967296 is out of range "
            "0..4294967295");
}

TEST(Gem5LineParser, RejectsMoreThanEightSourcesOrSixDestinations) {
  EXPECT_EQ(traceError(normalLine(49, "9")),
            "trace.txt:line 7: field 49 (n_src): 9 is out of range 0..8");
  EXPECT_EQ(traceError(normalLine(50, "7")),
            "trace.txt:line 7: field 50 (n_dst): 7 is out of range 0..6");
}

TEST(Gem5LineParser, RejectsAnSqLineThatDisagreesWithItsTraceLine) {
  Instruction i;
  Gem5LineParser::parseTraceLine("0 1 216000 5000 5500 1500 2500 3000 3500",
                                 LineRef{kTrace, 15}, i);
  EXPECT_EQ(errorOf([&] {
              Gem5LineParser::parseSqLine(kSqLine, LineRef{kSq, 1},
                                          LineRef{kTrace, 15}, i);
            }),
            "trace.txt:line 15: store-queue record disagrees with trace.sq.txt:line 1 "
            "on field 3 (fetch_tick): 216000 in trace.txt, 216500 in trace.sq.txt");
}

TEST(Gem5LineParser, CountsSqLineFieldsWithTheTwoStoreFields) {
  Instruction i;
  Gem5LineParser::parseTraceLine(kSqHead, LineRef{kTrace, 15}, i);
  std::string shortLine(kSqLine);
  shortLine = shortLine.substr(0, shortLine.rfind(" 0 29"));
  EXPECT_EQ(errorOf([&] {
              Gem5LineParser::parseSqLine(shortLine, LineRef{kSq, 1},
                                          LineRef{kTrace, 15}, i);
            }),
            "trace.sq.txt:line 1: unknown field count 54 (expected 56 for 2 sources "
            "and 0 destinations)");
}

// Blanks between fields: one to three of space, tab, carriage return.
std::string blanks() {
  const auto n = *rc::gen::inRange(1, 4);
  std::string s;
  for (int i = 0; i < n; ++i) s += *rc::gen::element(' ', ' ', ' ', '\t', '\r');
  return s;
}

// A decimal number with up to `zeros` leading zeros.
std::string decimal(uint64_t v, int zeros) {
  return std::string(*rc::gen::inRange(0, zeros + 1), '0') + std::to_string(v);
}

RC_GTEST_PROP(Gem5LineParser, ReadsAnyNumbersWithAnyBlanks, ()) {
  // Values of every length, in the fields that take any 64-bit number.
  const auto u64 = rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 65), rc::gen::arbitrary<uint64_t>()),
                                [](std::pair<int, uint64_t> p) {
                                  return p.first == 64 ? p.second : p.second >> p.first;
                                });
  const uint64_t fetch = *u64, addr = *u64, pc = *u64, walk = *u64;
  const int64_t retire = static_cast<int64_t>(*u64);
  const int64_t decode = -static_cast<int64_t>(*u64 >> 1);
  std::string fields[52];
  for (int i = 0; i < 52; ++i) fields[i] = "0";
  for (int f : {27, 28, 29, 30, 40, 41, 42, 43}) fields[f - 1] = "-1";
  fields[1] = "-1";
  fields[2] = decimal(fetch, 3);
  fields[4] = std::to_string(retire);
  fields[5] = std::to_string(decode);
  fields[24] = decimal(addr, 2);
  fields[30] = decimal(walk, 0);
  fields[36] = decimal(pc, 1);
  fields[48] = "1";
  fields[50] = "6";
  fields[51] = "65535";
  std::string line = *rc::gen::element(std::string(), blanks());
  for (const auto& f : fields) line += f + blanks();
  Instruction i;
  TraceLine kind = Gem5LineParser::parseTraceLine(line, LineRef{kTrace, 1}, i);
  RC_ASSERT(kind.kind == LineKind::kInstruction);
  RC_ASSERT(i.timing.fetchTick == fetch);
  RC_ASSERT(i.timing.retireLatency == retire);
  RC_ASSERT(i.timing.decodeLatency == decode);
  RC_ASSERT(i.dataAddr == addr);
  RC_ASSERT(i.dataWalkAddr[0] == walk);
  RC_ASSERT(i.pc == pc);
  RC_ASSERT(i.src[0] == (RegId{6, 65535}));
}

RC_GTEST_PROP(Gem5LineParser, RejectsAnyNonDigitInsideANumber, ()) {
  const int field = *rc::gen::inRange(1, 53);
  std::string value = std::to_string(*rc::gen::inRange<uint64_t>(0, 1000000000000ull));
  const char junk = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char c) {
    return (c < '0' || c > '9') && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '-';
  });
  value.insert(*rc::gen::inRange<size_t>(0, value.size() + 1), 1, junk);
  const std::string error = traceError(normalLine(field, value));
  RC_ASSERT(error.find("trace.txt:line 7: field " + std::to_string(field) +
                       ": not a number: '") == 0);
}

}  // namespace
}  // namespace pv::gem5
