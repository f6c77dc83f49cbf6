// Gem5LineParser: one pass splits a line into numbers (gem5_tokenizer.h), a
// second pass range-checks them into an Instruction.
#include "stages/trace-readers/gem5_record.h"

#include <limits>
#include <string>

#include "stages/trace-readers/gem5_tokenizer.h"

namespace pv::gem5 {
namespace {

// Names of the format fields 1-50, for messages.
constexpr const char* kFieldNames[kBaseFields] = {
    "is_fault",           "sq_index",          "fetch_tick",
    "rob_out_latency",    "retire_latency",    "decode_latency",
    "rename_latency",     "dispatch_latency",  "issue_latency",
    "op_class",           "is_microop",        "is_cond_ctrl",
    "is_uncond_ctrl",     "is_direct_ctrl",    "is_squash_after",
    "is_serialize_after", "is_serialize_before", "is_atomic",
    "is_store_conditional", "is_read_barrier", "is_write_barrier",
    "is_quiesce",         "is_non_speculative", "eff_addr_valid",
    "data_addr",          "access_size",       "data_depth",
    "data_walk_depth_0",  "data_walk_depth_1", "data_walk_depth_2",
    "data_walk_addr_0",   "data_walk_addr_1",  "data_walk_addr_2",
    "data_writeback_0",   "data_writeback_1",  "data_writeback_2",
    "pc",                 "is_branching",      "mispredicted",
    "fetch_depth",        "inst_walk_depth_0", "inst_walk_depth_1",
    "inst_walk_depth_2",  "inst_walk_addr_0",  "inst_walk_addr_1",
    "inst_walk_addr_2",   "inst_writeback_0",  "inst_writeback_1",
    "n_src",              "n_dst",
};

using detail::Fields;

// The layout of a line: where format field 10 starts (0-based column).
struct Layout {
  bool sq;
  int bodyStart() const { return sq ? kHeadFields + kSqExtraFields : kHeadFields; }
};

// Format-level name of a 0-based column.
std::string columnName(int column, Layout layout) {
  int field = column + 1;  // 1-based column
  if (layout.sq) {
    if (field == 10) return "store_latency";
    if (field == 11) return "sq_out_latency";
    if (field > 11) field -= kSqExtraFields;
  }
  if (field <= kBaseFields) return kFieldNames[field - 1];
  int reg = (field - kBaseFields - 1) / 2;
  return "register " + std::to_string(reg + 1) +
         ((field - kBaseFields - 1) % 2 == 0 ? " class" : " index");
}

std::string lineName(LineRef where) { return "line " + std::to_string(where.line); }

[[noreturn, gnu::noinline, gnu::cold]] void fail(LineRef where,
                                                 std::string reason) {
  throw StageError(where.input, lineName(where), std::move(reason));
}

[[noreturn, gnu::noinline, gnu::cold]] void failRange(LineRef where,
                                                      Layout layout,
                                                      const Fields& f,
                                                      int column, int64_t lo,
                                                      int64_t hi) {
  std::string value = f.neg[column]
                          ? std::to_string(static_cast<int64_t>(f.raw[column]))
                          : std::to_string(f.raw[column]);
  fail(where, "field " + std::to_string(column + 1) + " (" +
                  columnName(column, layout) + "): " + value +
                  " is out of range " + std::to_string(lo) + ".." +
                  std::to_string(hi));
}

// Range-checked accessors; `c` is a 0-based column.
struct Reader {
  const Fields& f;
  LineRef where;
  Layout layout;

  int64_t i64(int c, int64_t lo, int64_t hi) const {
    int64_t v = static_cast<int64_t>(f.raw[c]);
    bool ok = f.neg[c] ? (v >= lo && v <= hi)
                       : (hi >= 0 && f.raw[c] <= static_cast<uint64_t>(hi) &&
                          (lo <= 0 || f.raw[c] >= static_cast<uint64_t>(lo)));
    if (!ok) [[unlikely]]
      failRange(where, layout, f, c, lo, hi);
    return v;
  }
  uint64_t u64(int c) const {
    if (f.neg[c]) [[unlikely]]
      failRange(where, layout, f, c, 0, std::numeric_limits<int64_t>::max());
    return f.raw[c];
  }
  int64_t any64(int c) const {
    return i64(c, std::numeric_limits<int64_t>::min(),
               std::numeric_limits<int64_t>::max());
  }
  bool flag(int c) const { return i64(c, 0, 1) != 0; }
  int8_t depth(int c) const { return static_cast<int8_t>(i64(c, -1, 2)); }
  uint32_t u32(int c) const {
    return static_cast<uint32_t>(i64(c, 0, std::numeric_limits<uint32_t>::max()));
  }
};

// Fields 1-9 (columns 0-8).
inline void decodeHead(const Reader& r, Instruction& out) {
  out.isFault = r.flag(0);
  out.sqIndex = static_cast<int32_t>(r.i64(1, kStartLineSqIndex,
                                           std::numeric_limits<int32_t>::max()));
  if (out.sqIndex < -1 && out.sqIndex != kStartLineSqIndex) [[unlikely]]
    fail(r.where, "field 2 (sq_index): " + std::to_string(out.sqIndex) +
                      " is neither -1, -99 nor a queue index");
  out.hasTiming = true;
  Timing& t = out.timing;
  t.fetchTick = r.u64(2);
  t.robOutLatency = r.any64(3);
  t.retireLatency = r.any64(4);
  t.decodeLatency = r.any64(5);
  t.renameLatency = r.any64(6);
  t.dispatchLatency = r.any64(7);
  t.issueLatency = r.any64(8);
}

// Register counts of a line whose field 10 is at column `b`; checks them and
// the total field count.
inline void checkCount(const Reader& r, int b) {
  const int nSrcCol = b + 39, nDstCol = b + 40;
  const int minFields = b + 41;
  if (r.f.count < minFields) [[unlikely]]
    fail(r.where, "unknown field count " + std::to_string(r.f.count) +
                      " (a " + (r.layout.sq ? "trace.sq.txt" : "trace.txt") +
                      " record has at least " + std::to_string(minFields) +
                      ")");
  if (r.f.count > kMaxFields) [[unlikely]]
    fail(r.where, "unknown field count " + std::to_string(r.f.count) +
                      " (at most " + std::to_string(r.layout.sq ? kMaxFields
                                                                : kMaxFields - kSqExtraFields) +
                      ")");
  int64_t nSrc = r.i64(nSrcCol, 0, kMaxSrcRegs);
  int64_t nDst = r.i64(nDstCol, 0, kMaxDstRegs);
  int64_t expected = minFields + 2 * (nSrc + nDst);
  if (r.f.count != expected) [[unlikely]]
    fail(r.where, "unknown field count " + std::to_string(r.f.count) +
                      " (expected " + std::to_string(expected) + " for " +
                      std::to_string(nSrc) + " sources and " +
                      std::to_string(nDst) + " destinations)");
}

// Fields 10..end, field 10 at column `b`.
inline void decodeBody(const Reader& r, int b, Instruction& out) {
  out.opClass = static_cast<uint16_t>(r.i64(b, 0, kMaxOpClass));
  uint16_t flags = 0;
  for (int i = 0; i < kFlagCount; ++i) {
    if (r.flag(b + 1 + i)) flags |= static_cast<uint16_t>(1u << i);
  }
  out.flags = flags;
  out.effAddrValid = r.flag(b + 14);
  out.dataAddr = r.u64(b + 15);
  out.accessSize = r.u32(b + 16);
  out.dataDepth = r.depth(b + 17);
  for (int i = 0; i < 3; ++i) out.dataWalkDepth[i] = r.depth(b + 18 + i);
  for (int i = 0; i < 3; ++i) out.dataWalkAddr[i] = r.u64(b + 21 + i);
  for (int i = 0; i < 3; ++i) out.dataWriteback[i] = r.u32(b + 24 + i);
  out.pc = r.u64(b + 27);
  out.branching = r.flag(b + 28);
  out.mispredicted = r.flag(b + 29);
  out.fetchDepth = r.depth(b + 30);
  for (int i = 0; i < 3; ++i) out.instWalkDepth[i] = r.depth(b + 31 + i);
  for (int i = 0; i < 3; ++i) out.instWalkAddr[i] = r.u64(b + 34 + i);
  for (int i = 0; i < 2; ++i) out.instWriteback[i] = r.u32(b + 37 + i);
  out.srcCount = static_cast<uint8_t>(r.f.raw[b + 39]);  // checked by checkCount
  out.dstCount = static_cast<uint8_t>(r.f.raw[b + 40]);
  int c = b + 41;
  auto reg = [&](RegId& id) {
    int64_t cls = r.i64(c, 0, kMaxRegClass);
    int64_t idx = cls == kMiscRegClass
                      ? r.i64(c + 1, 0, std::numeric_limits<uint16_t>::max())
                      : r.i64(c + 1, 0, kMaxRegIndex - 1);
    id.regClass = static_cast<uint8_t>(cls);
    id.index = static_cast<uint16_t>(idx);
    c += 2;
  };
  for (int i = 0; i < out.srcCount; ++i) reg(out.src[i]);
  for (int i = out.srcCount; i < kMaxSrcRegs; ++i) out.src[i] = RegId{};
  for (int i = 0; i < out.dstCount; ++i) reg(out.dst[i]);
  for (int i = out.dstCount; i < kMaxDstRegs; ++i) out.dst[i] = RegId{};
}

// The fast path of decodeHead/decodeBody: the same range checks folded into
// one flag without branches. False when any check fails; the checked
// decoder then runs to name the first bad field. Never accepts a value the
// checked decoder rejects.
inline bool decodeHeadFast(const Fields& f, Instruction& out) {
  const uint64_t* v = f.raw;
  uint64_t bad = v[0] >> 1;  // is_fault: 0 or 1
  const int64_t sq = static_cast<int64_t>(v[1]);
  bad |= !(sq == -1 || (!f.neg[1] && v[1] <= std::numeric_limits<int32_t>::max()));
  bad |= f.neg[2];  // fetch tick
  for (int i = 3; i < kHeadFields; ++i)
    bad |= static_cast<uint64_t>(!f.neg[i]) & (v[i] >> 63);  // int64 range
  out.isFault = v[0] != 0;
  out.sqIndex = static_cast<int32_t>(sq);
  out.hasTiming = true;
  Timing& t = out.timing;
  t.fetchTick = v[2];
  t.robOutLatency = static_cast<int64_t>(v[3]);
  t.retireLatency = static_cast<int64_t>(v[4]);
  t.decodeLatency = static_cast<int64_t>(v[5]);
  t.renameLatency = static_cast<int64_t>(v[6]);
  t.dispatchLatency = static_cast<int64_t>(v[7]);
  t.issueLatency = static_cast<int64_t>(v[8]);
  return bad == 0;
}

inline bool decodeBodyFast(const Fields& f, int b, Instruction& out) {
  const uint64_t* v = f.raw + b;
  const bool* neg = f.neg + b;
  uint64_t bad = v[0] > static_cast<uint64_t>(kMaxOpClass);
  auto flag = [&](int i) {
    bad |= v[i] >> 1;
    return v[i] != 0;
  };
  auto depth = [&](int i) {
    bad |= (v[i] + 1) >> 2;  // -1 .. 2
    return static_cast<int8_t>(v[i]);
  };
  auto u32 = [&](int i) {
    bad |= v[i] >> 32;
    return static_cast<uint32_t>(v[i]);
  };
  auto u64 = [&](int i) {
    bad |= neg[i];
    return v[i];
  };
  out.opClass = static_cast<uint16_t>(v[0]);
  uint16_t flags = 0;
  for (int i = 0; i < kFlagCount; ++i) {
    bad |= v[1 + i] >> 1;
    flags |= static_cast<uint16_t>((v[1 + i] & 1) << i);
  }
  out.flags = flags;
  out.effAddrValid = flag(14);
  out.dataAddr = u64(15);
  out.accessSize = u32(16);
  out.dataDepth = depth(17);
  for (int i = 0; i < 3; ++i) out.dataWalkDepth[i] = depth(18 + i);
  for (int i = 0; i < 3; ++i) out.dataWalkAddr[i] = u64(21 + i);
  for (int i = 0; i < 3; ++i) out.dataWriteback[i] = u32(24 + i);
  out.pc = u64(27);
  out.branching = flag(28);
  out.mispredicted = flag(29);
  out.fetchDepth = depth(30);
  for (int i = 0; i < 3; ++i) out.instWalkDepth[i] = depth(31 + i);
  for (int i = 0; i < 3; ++i) out.instWalkAddr[i] = u64(34 + i);
  for (int i = 0; i < 2; ++i) out.instWriteback[i] = u32(37 + i);
  out.srcCount = static_cast<uint8_t>(v[39]);  // checked by checkCount
  out.dstCount = static_cast<uint8_t>(v[40]);
  const uint64_t* reg = v + 41;
  auto regs = [&](RegId* ids, int count, int slots) {
    for (int i = 0; i < count; ++i, reg += 2) {
      const uint64_t cls = reg[0], idx = reg[1];
      bad |= cls > static_cast<uint64_t>(kMaxRegClass);
      bad |= idx > (cls == kMiscRegClass ? uint64_t{0xffff}
                                         : static_cast<uint64_t>(kMaxRegIndex - 1));
      ids[i] = RegId{static_cast<uint8_t>(cls), static_cast<uint16_t>(idx)};
    }
    for (int i = count; i < slots; ++i) ids[i] = RegId{};
  };
  regs(out.src.data(), out.srcCount, kMaxSrcRegs);
  regs(out.dst.data(), out.dstCount, kMaxDstRegs);
  return bad == 0;
}

}  // namespace

TraceLine Gem5LineParser::parseTraceLine(std::string_view line, LineRef where,
                                         Instruction& out) {
  Fields f;
  detail::split(line, where, f);
  const Reader r{f, where, Layout{false}};
  if (f.count >= 2 && f.neg[1] &&
      static_cast<int64_t>(f.raw[1]) == kStartLineSqIndex) {
    if (f.count < 3)
      fail(where, "unknown field count " + std::to_string(f.count) +
                      " (a start line has at least 3)");
    return TraceLine{LineKind::kStart, r.u64(2)};
  }
  if (f.count < kHeadFields) [[unlikely]]
    fail(where, "unknown field count " + std::to_string(f.count) +
                    (f.count == 0 ? " (empty line)" : ""));
  if (!decodeHeadFast(f, out)) decodeHead(r, out);
  // A faulting store never reaches the store queue's completion: gem5
  // writes its whole record here and none in trace.sq.txt; PerfVec's reader
  // takes its store times as 0 (relative to fetch).
  const bool faultingStore = out.sqIndex != -1 && out.isFault && f.count > kHeadFields;
  out.timing.storeLatency = 0;
  out.timing.sqOutLatency = 0;
  out.timing.hasStoreTiming = faultingStore;
  if (out.sqIndex != -1 && !faultingStore) {
    if (f.count != kHeadFields) [[unlikely]]
      fail(where, "unknown field count " + std::to_string(f.count) +
                      " (a store-queue record (sq_index " +
                      std::to_string(out.sqIndex) + ") in trace.txt has " +
                      std::to_string(kHeadFields) + " unless it faulted: is_fault 1)");
    return TraceLine{LineKind::kStoreQueue, 0};
  }
  checkCount(r, kHeadFields);
  if (!decodeBodyFast(f, kHeadFields, out)) decodeBody(r, kHeadFields, out);
  return TraceLine{LineKind::kInstruction, 0};
}

void Gem5LineParser::parseSqRecord(std::string_view line, LineRef where,
                                   Instruction& out) {
  Fields f;
  detail::split(line, where, f);
  const Reader r{f, where, Layout{true}};
  if (f.count < kHeadFields) [[unlikely]]
    fail(where, "unknown field count " + std::to_string(f.count) +
                    (f.count == 0 ? " (empty line)" : ""));
  if (!decodeHeadFast(f, out)) decodeHead(r, out);
  if (out.sqIndex == -1 || out.sqIndex == kStartLineSqIndex) [[unlikely]]
    fail(where, "field 2 (sq_index): " + std::to_string(out.sqIndex) +
                    " in a store-queue record");
  const int b = kHeadFields + kSqExtraFields;
  checkCount(r, b);
  out.timing.hasStoreTiming = true;
  out.timing.storeLatency = r.any64(kHeadFields);
  out.timing.sqOutLatency = r.any64(kHeadFields + 1);
  if (!decodeBodyFast(f, b, out)) decodeBody(r, b, out);
}

void Gem5LineParser::checkSqRecord(const Instruction& trace, LineRef traceWhere,
                                   const Instruction& sq, LineRef sqWhere) {
  const Timing& a = trace.timing;
  const Timing& s = sq.timing;
  const int64_t traceValues[kHeadFields] = {
      trace.isFault,   trace.sqIndex,   static_cast<int64_t>(a.fetchTick),
      a.robOutLatency, a.retireLatency, a.decodeLatency,
      a.renameLatency, a.dispatchLatency, a.issueLatency};
  const int64_t sqValues[kHeadFields] = {
      sq.isFault,      sq.sqIndex,      static_cast<int64_t>(s.fetchTick),
      s.robOutLatency, s.retireLatency, s.decodeLatency,
      s.renameLatency, s.dispatchLatency, s.issueLatency};
  for (int i = 0; i < kHeadFields; ++i) {
    if (traceValues[i] != sqValues[i]) [[unlikely]] {
      auto value = [&](int64_t v) {
        return i == 2 ? std::to_string(static_cast<uint64_t>(v))
                      : std::to_string(v);
      };
      throw StageError(
          traceWhere.input, lineName(traceWhere),
          "store-queue record disagrees with " + sqWhere.input + ":" +
              lineName(sqWhere) + " on field " + std::to_string(i + 1) + " (" +
              kFieldNames[i] + "): " + value(traceValues[i]) + " in " +
              traceWhere.input + ", " + value(sqValues[i]) + " in " +
              sqWhere.input);
    }
  }
}

void Gem5LineParser::parseSqLine(std::string_view line, LineRef where,
                                 LineRef traceWhere, Instruction& inout) {
  Instruction sq;
  parseSqRecord(line, where, sq);
  checkSqRecord(inout, traceWhere, sq, where);
  inout = sq;
}

}  // namespace pv::gem5
