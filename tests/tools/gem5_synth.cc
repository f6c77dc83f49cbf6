// Synthetic gem5 trace generator: a random static program, executed, with a
// small timing model (fetch width, ROB, 4-way LRU caches, 2-bit branch
// predictor) standing in for gem5's O3 CPU.
#include "tests/tools/gem5_synth.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <deque>
#include <vector>

#include "stages/core/splitmix64.h"

namespace pv::synth {
namespace {

// --- random numbers (splitmix64 seeding, xoshiro256**) ---------------------

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    SplitMix64 seeder(seed);
    for (auto& w : s_) w = seeder.next();
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  template <class T, size_t N>
  T pick(const T (&values)[N]) {
    return values[below(N)];
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
};

// --- the static program ------------------------------------------------------

// gem5 OpClass numbers (IntAlu=1, MemRead=47, MemWrite=48 as in the PerfVec
// gem5 version; the others are plausible stand-ins).
constexpr uint16_t kOpNone = 0, kOpAlu = 1, kOpMul = 2, kOpDiv = 3,
                   kOpFpAdd = 4, kOpFpMul = 7, kOpRead = 47, kOpWrite = 48;

enum class Kind : uint8_t { kAlu, kMul, kDiv, kFp, kLoad, kStore, kBranch, kSerial };
enum class Branch : uint8_t { kNone, kLoop, kBiased, kPattern, kJump };
enum class Addr : uint8_t { kStride, kRandom, kFixed };

// Flag bits, in the order of trace fields 11-23.
constexpr int kMicroop = 0, kCondCtrl = 1, kUncondCtrl = 2, kDirectCtrl = 3,
              kSerializeAfter = 5, kSerializeBefore = 6, kNonSpeculative = 12;

struct Array {
  uint64_t base;
  uint64_t bytes;
};

struct StaticInst {
  uint64_t pc = 0;
  Kind kind = Kind::kAlu;
  // memory
  uint32_t array = 0;
  Addr addr = Addr::kStride;
  uint32_t stride = 8;
  uint64_t offset = 0;  // stride cursor / fixed offset
  uint32_t size = 8;
  // branch
  Branch branch = Branch::kNone;
  uint32_t target = 0;  // block index
  uint32_t trip = 0, counter = 0;
  double bias = 0;
  uint32_t pattern = 0, patternLen = 1, patternPos = 0;
  // text of fields 10-23 and 49-end
  std::string opText;
  std::string regText;
};

struct Block {
  uint32_t first = 0, count = 0;
};

struct Program {
  std::vector<StaticInst> insts;
  std::vector<Block> blocks;
  std::vector<Array> arrays;
};

void appendInt(std::string& s, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

std::string opText(uint16_t op, uint32_t flags) {
  std::string s;
  appendInt(s, op);
  for (int i = 0; i < 13; ++i) s += (flags >> i) & 1 ? " 1" : " 0";
  return s;
}

// Register operands: class 0 integer (index < 32), 1 float (< 32), 6
// miscellaneous (condition flags, index 90+).
std::string regText(Rng& rng, Kind kind) {
  struct Reg {
    int cls, idx;
  };
  std::vector<Reg> src, dst;
  auto intReg = [&] { return Reg{0, static_cast<int>(rng.below(31))}; };
  auto fpReg = [&] { return Reg{1, static_cast<int>(rng.below(32))}; };
  switch (kind) {
    case Kind::kAlu:
      for (uint64_t i = 0, n = rng.range(0, 2); i < n; ++i) src.push_back(intReg());
      dst.push_back(intReg());
      if (rng.chance(0.2)) dst.push_back(Reg{6, 90 + static_cast<int>(rng.below(4))});
      break;
    case Kind::kMul:
    case Kind::kDiv:
      src = {intReg(), intReg()};
      dst.push_back(intReg());
      break;
    case Kind::kFp:
      for (uint64_t i = 0, n = rng.range(1, 3); i < n; ++i) src.push_back(fpReg());
      dst.push_back(fpReg());
      break;
    case Kind::kLoad:
      src.push_back(intReg());
      if (rng.chance(0.3)) src.push_back(intReg());
      dst.push_back(rng.chance(0.2) ? fpReg() : intReg());
      if (rng.chance(0.1)) dst.push_back(intReg());  // writeback of the base
      break;
    case Kind::kStore:
      src = {intReg(), rng.chance(0.2) ? fpReg() : intReg()};
      if (rng.chance(0.2)) src.push_back(intReg());
      break;
    case Kind::kBranch:
      if (rng.chance(0.7)) src.push_back(Reg{6, 90 + static_cast<int>(rng.below(4))});
      if (rng.chance(0.3)) src.push_back(intReg());
      if (rng.chance(0.2)) dst.push_back(Reg{0, 30});  // link register
      break;
    case Kind::kSerial:
      for (uint64_t i = 0, n = rng.range(0, 8); i < n; ++i)
        src.push_back(Reg{6, static_cast<int>(rng.range(0, 700))});
      for (uint64_t i = 0, n = rng.range(0, 6); i < n; ++i)
        dst.push_back(Reg{6, static_cast<int>(rng.range(0, 700))});
      break;
  }
  std::string s;
  appendInt(s, static_cast<int64_t>(src.size()));
  s += ' ';
  appendInt(s, static_cast<int64_t>(dst.size()));
  for (const auto* list : {&src, &dst}) {
    for (const Reg& r : *list) {
      s += "  ";
      appendInt(s, r.cls);
      s += ' ';
      appendInt(s, r.idx);
    }
  }
  return s;
}

// How a block ends.
struct Terminator {
  Branch branch = Branch::kNone;
  uint32_t target = 0;
  uint32_t trip = 0;
};

// Structured control flow over blocks [lo, hi): properly nested loops (a
// back-edge at the loop's last block, a fixed trip count) around straight
// blocks that end in forward branches or jumps; forward targets stay at or
// before `last`, the enclosing loop's back-edge block, so every loop runs
// its trip count. Nesting depth at most 3.
void layoutBlocks(Rng& rng, std::vector<Terminator>& ends, uint32_t lo, uint32_t hi,
                  int depth, uint32_t last) {
  uint32_t i = lo;
  while (i < hi) {
    const uint32_t remaining = hi - i;
    if (depth < 3 && rng.chance(depth == 0 ? 0.6 : 0.3)) {
      const uint32_t maxLen = std::min<uint32_t>(remaining, depth == 0 ? 24 : 8);
      const uint32_t len = static_cast<uint32_t>(rng.range(1, maxLen));
      const uint32_t back = i + len - 1;
      const uint32_t maxTrip[] = {24, 12, 6};
      ends[back] = Terminator{Branch::kLoop, i,
                              static_cast<uint32_t>(rng.range(2, maxTrip[depth]))};
      layoutBlocks(rng, ends, i, back, depth + 1, back);
      i += len;
      continue;
    }
    Terminator t;
    if (i + 1 <= last && !rng.chance(0.15)) {
      const uint64_t r = rng.below(100);
      t.branch = r < 65 ? Branch::kBiased : r < 80 ? Branch::kPattern : Branch::kJump;
      t.target = static_cast<uint32_t>(rng.range(i + 1, std::min<uint32_t>(i + 3, last)));
    }
    ends[i] = t;
    ++i;
  }
}

Program buildProgram(Rng& rng, uint32_t codeBytes) {
  Program p;
  // Data: a stack page and arrays of various sizes.
  p.arrays.push_back(Array{0x7ffffff000ull - 4096, 4096});
  const uint64_t sizes[] = {2048, 4096, 8192, 16384, 32768, 65536, 262144, 2097152};
  for (int i = 0; i < 5; ++i) {
    p.arrays.push_back(Array{0x10000000ull + 0x1000000ull * static_cast<uint64_t>(i) +
                                 64 * rng.below(4096),
                             rng.pick(sizes)});
  }
  const uint32_t total = std::max<uint32_t>(codeBytes / 4, 16);
  const uint64_t codeBase = 0x400000;
  for (uint32_t n = 0; n < total;) {
    Block b;
    b.first = n;
    b.count = static_cast<uint32_t>(std::min<uint64_t>(rng.range(3, 12), total - n));
    p.blocks.push_back(b);
    n += b.count;
  }
  const uint32_t blocks = static_cast<uint32_t>(p.blocks.size());
  std::vector<Terminator> ends(blocks);
  layoutBlocks(rng, ends, 0, blocks, 0, blocks - 1);

  for (uint32_t bi = 0; bi < blocks; ++bi) {
    const Block& b = p.blocks[bi];
    for (uint32_t i = 0; i < b.count; ++i) {
      StaticInst s;
      s.pc = codeBase + 4 * p.insts.size();
      const bool last = i + 1 == b.count;
      uint16_t op = kOpAlu;
      uint32_t flags = 0;
      if (last && ends[bi].branch != Branch::kNone) {
        const Terminator& t = ends[bi];
        s.kind = Kind::kBranch;
        s.branch = t.branch;
        s.target = t.target;
        s.trip = t.trip;
        if (t.branch == Branch::kBiased) {
          const double biases[] = {0.005, 0.02, 0.05, 0.1, 0.9, 0.95, 0.98, 0.995};
          s.bias = rng.pick(biases);
        } else if (t.branch == Branch::kPattern) {
          s.patternLen = static_cast<uint32_t>(rng.range(2, 5));
          s.pattern = static_cast<uint32_t>(rng.below(1u << s.patternLen));
        }
        flags |= 1u << kDirectCtrl;
        flags |= 1u << (s.branch == Branch::kJump ? kUncondCtrl : kCondCtrl);
      } else {
        const uint64_t r = rng.below(1000);
        if (r < 500) {
          s.kind = Kind::kAlu;
        } else if (r < 540) {
          s.kind = Kind::kMul;
          op = kOpMul;
        } else if (r < 548) {
          s.kind = Kind::kDiv;
          op = kOpDiv;
        } else if (r < 620) {
          s.kind = Kind::kFp;
          op = rng.chance(0.5) ? kOpFpAdd : kOpFpMul;
        } else if (r < 860) {
          s.kind = Kind::kLoad;
          op = kOpRead;
        } else if (r < 997) {
          s.kind = Kind::kStore;
          op = kOpWrite;
        } else {
          s.kind = Kind::kSerial;
          op = kOpNone;
          flags |= (1u << kSerializeAfter) | (1u << kSerializeBefore) |
                   (1u << kNonSpeculative);
        }
        if (s.kind == Kind::kLoad || s.kind == Kind::kStore) {
          if (rng.chance(0.1)) flags |= 1u << kMicroop;
          const uint64_t a = rng.below(10);
          if (a < 3) {
            s.addr = Addr::kFixed;
            s.array = 0;
            s.offset = 8 * rng.below(512);
          } else {
            s.array = static_cast<uint32_t>(rng.range(1, p.arrays.size() - 1));
            s.addr = a < 9 ? Addr::kStride : Addr::kRandom;
            const uint32_t strides[] = {4, 8, 8, 8, 16, 64};
            s.stride = rng.pick(strides);
          }
          s.size = s.stride == 4 ? 4 : 8;
        }
      }
      s.opText = opText(op, flags);
      s.regText = regText(rng, s.kind);
      p.insts.push_back(std::move(s));
    }
  }
  return p;
}

// --- the timing model (one "microarchitecture") ------------------------------

// A 4-way set-associative cache of 64-byte lines with LRU replacement.
class Cache {
 public:
  explicit Cache(size_t lines) : sets_(std::max<size_t>(lines / kWays, 1)), tags_(sets_ * kWays, ~uint64_t{0}) {}
  // True on a hit; installs the line as most recently used.
  bool access(uint64_t line) {
    uint64_t* set = &tags_[(line % sets_) * kWays];
    for (size_t w = 0; w < kWays; ++w) {
      if (set[w] == line) {
        std::rotate(set, set + w, set + w + 1);  // move to the front
        return true;
      }
    }
    std::rotate(set, set + kWays - 1, set + kWays);  // evict the last
    set[0] = line;
    return false;
  }

 private:
  static constexpr size_t kWays = 4;
  size_t sets_;
  std::vector<uint64_t> tags_;
};

struct Uarch {
  int64_t cycle;  // ticks
  uint32_t width;
  uint32_t rob;
  int64_t l1, l2, mem;  // access latencies in ticks
  int64_t penalty;      // mispredict redirect
  size_t l1iLines, l1dLines, l2Lines, predictor;

  explicit Uarch(Rng& rng) {
    const int64_t cycles[] = {200, 300, 400, 500, 1000};
    cycle = rng.pick(cycles);
    const uint32_t widths[] = {1, 2, 3, 4, 8};
    width = rng.pick(widths);
    const uint32_t robs[] = {32, 64, 128, 192};
    rob = rng.pick(robs);
    l1 = cycle * static_cast<int64_t>(rng.range(1, 4));
    l2 = cycle * static_cast<int64_t>(rng.range(8, 23));
    mem = static_cast<int64_t>(rng.range(50000, 100000));
    penalty = cycle * static_cast<int64_t>(rng.range(5, 12));
    const size_t l1s[] = {128, 256, 512, 1024};
    l1iLines = rng.pick(l1s);
    l1dLines = rng.pick(l1s);
    const size_t l2s[] = {2048, 4096, 8192, 16384};
    l2Lines = rng.pick(l2s);
    const size_t preds[] = {256, 1024, 4096};
    predictor = rng.pick(preds);
  }
};

class Cache2 {
 public:
  explicit Cache2(size_t l1, size_t l2) : l1_(l1), l2_(l2) {}
  // Depth of an access to the 64-byte line of `addr`: 0 L1, 1 L2, 2 memory.
  int access(uint64_t addr) {
    const uint64_t line = addr >> 6;
    if (l1_.access(line)) return 0;
    return l2_.access(line) ? 1 : 2;
  }

 private:
  Cache l1_, l2_;
};

// --- text output -------------------------------------------------------------

// One line being written: a fixed buffer (no size checks per piece; lines
// are far shorter than kMax).
class Line {
 public:
  static constexpr size_t kMax = 2048;
  Line& operator+=(std::string_view text) {
    std::memcpy(end_, text.data(), text.size());
    end_ += text.size();
    return *this;
  }
  Line& operator+=(char c) {
    *end_++ = c;
    return *this;
  }
  void number(int64_t v) { end_ = std::to_chars(end_, buf_ + kMax, v).ptr; }
  std::string_view view() const { return {buf_, static_cast<size_t>(end_ - buf_)}; }
  void clear() { end_ = buf_; }

 private:
  char buf_[kMax];
  char* end_ = buf_;
};

inline void put(Line& l, int64_t v) { l.number(v); }
inline void putSp(Line& l, int64_t v) {
  l += ' ';
  l.number(v);
}

class Writer {
 public:
  Writer(const Gem5SynthOptions& o, const TextSink& trace, const TextSink& sq,
         size_t chunk)
      : traceSink_(trace), sqSink_(sq), chunk_(chunk), delay_(o.sqDelay) {
    trace_.reserve(chunk + 4096);
    sq_.reserve(chunk + 4096);
  }

  Line& line() { return line_; }
  // Ends a trace.txt line held in line().
  void endTraceLine() {
    trace_.append(line_.view());
    line_.clear();
    ++lines_;
    while (!pending_.empty() && pending_.front().due <= lines_) {
      sq_.append(pending_.front().text);
      pending_.pop_front();
    }
    if (trace_.size() >= chunk_) flush(trace_, traceSink_);
    if (sq_.size() >= chunk_) flush(sq_, sqSink_);
  }
  // Queues the trace.sq.txt line held in line() (after sqDelay more lines).
  void queueSqLine() {
    pending_.push_back(Pending{lines_ + delay_, std::string(line_.view())});
    line_.clear();
  }
  void finish() {
    for (auto& p : pending_) sq_.append(p.text);
    pending_.clear();
    flush(trace_, traceSink_);
    flush(sq_, sqSink_);
  }

 private:
  struct Pending {
    uint64_t due;
    std::string text;
  };
  static void flush(std::string& buffer, const TextSink& sink) {
    if (!buffer.empty() && sink) sink(buffer);
    buffer.clear();
  }
  const TextSink& traceSink_;
  const TextSink& sqSink_;
  size_t chunk_;
  uint64_t delay_;
  uint64_t lines_ = 0;
  Line line_;
  std::string trace_, sq_;
  std::deque<Pending> pending_;
};


}  // namespace

void generateGem5Trace(const Gem5SynthOptions& o, const TextSink& traceSink,
                       const TextSink& sqSink, size_t chunk) {
  Rng programRng(o.seed);
  Program program = buildProgram(programRng, o.codeBytes);
  if (o.dataBytes >= 64) {
    // Its own generator: the program drawn from `seed` stays the same.
    Rng footprintRng(o.seed * SplitMix64::kGamma + 0x666f6f74ull);
    const uint32_t big = static_cast<uint32_t>(program.arrays.size());
    program.arrays.push_back(Array{0x100000000000ull, o.dataBytes / 64 * 64});
    for (StaticInst& s : program.insts)
      // Strided ones only: a random one draws from the run's generator,
      // which also decides the branches.
      if ((s.kind == Kind::kLoad || s.kind == Kind::kStore) && s.addr == Addr::kStride) {
        s.array = big;
        s.addr = Addr::kStride;
        s.stride = 64;
        s.size = 8;
        s.offset = 64 * footprintRng.below(o.dataBytes / 64);
      }
  }
  Rng runRng(o.seed ^ 0x5deece66dull);  // outcomes of random branches/addresses
  Rng timingRng(o.timingSeed.value_or(o.seed) * SplitMix64::kGamma + 7);
  const Uarch ua(timingRng);
  Cache2 icache(ua.l1iLines, ua.l2Lines);
  Cache2 dcache(ua.l1dLines, ua.l2Lines);
  std::vector<uint8_t> predictor(ua.predictor, 1);  // 2-bit counters
  std::vector<int64_t> retireRing(ua.rob, 0);

  Writer out(o, traceSink, sqSink, chunk);
  const int64_t startTick = static_cast<int64_t>(o.startTick.value_or(0));
  if (o.startTick) {
    Line& l = out.line();
    l += "0 -99 ";
    put(l, startTick);
    l += " 0 0 0 0 0 0\n";
    out.endTraceLine();
  }

  const int64_t c = ua.cycle;
  int64_t fetchT = startTick + 40 * c;
  int64_t prevRetire = 0, prevSqOut = 0;
  uint32_t slot = 0;
  bool redirect = true;  // start of a fetch block after a taken branch
  uint64_t prevPc = ~uint64_t{0};
  uint32_t block = 0, inBlock = 0;
  uint64_t sqCounter = 0;

  for (uint64_t i = 0; i < o.instructions; ++i) {
    StaticInst& s = program.insts[program.blocks[block].first + inBlock];
    // --- execute: data address and branch outcome (program only) ---
    uint64_t addr = 0;
    if (s.kind == Kind::kLoad || s.kind == Kind::kStore) {
      const Array& a = program.arrays[s.array];
      switch (s.addr) {
        case Addr::kFixed:
          addr = a.base + s.offset;
          break;
        case Addr::kStride:
          addr = a.base + s.offset;
          s.offset = (s.offset + s.stride) % a.bytes;
          break;
        case Addr::kRandom:
          addr = a.base + (runRng.below(a.bytes / s.size)) * s.size;
          break;
      }
    }
    bool taken = false;
    switch (s.branch) {
      case Branch::kNone:
        break;
      case Branch::kLoop:
        taken = ++s.counter < s.trip;
        if (!taken) s.counter = 0;
        break;
      case Branch::kBiased:
        taken = runRng.chance(s.bias);
        break;
      case Branch::kPattern:
        taken = (s.pattern >> s.patternPos) & 1;
        s.patternPos = (s.patternPos + 1) % s.patternLen;
        break;
      case Branch::kJump:
        taken = true;
        break;
    }

    // --- timing ---
    if (slot >= ua.width || redirect) {
      fetchT += c;
      slot = 0;
    }
    int fetchDepth = -1;
    if (redirect || (s.pc >> 4) != (prevPc >> 4)) {
      fetchDepth = icache.access(s.pc);
      if (fetchDepth == 1) fetchT += ua.l2;
      if (fetchDepth == 2) fetchT += ua.mem;
    }
    int64_t& robSlot = retireRing[i % ua.rob];
    if (fetchT < robSlot) {
      fetchT = robSlot;
      slot = 0;
    }
    ++slot;
    const int64_t fetch = fetchT;
    const int64_t extra = timingRng.chance(0.3) ? c : 0;
    const int64_t decode = 3 * c, rename = 5 * c, dispatch = 6 * c + extra;
    const int64_t issue = dispatch + c * static_cast<int64_t>(timingRng.below(3));
    int64_t exec = c;
    int dataDepth = -1;
    switch (s.kind) {
      case Kind::kMul: exec = 3 * c; break;
      case Kind::kDiv: exec = 20 * c; break;
      case Kind::kFp: exec = 4 * c; break;
      case Kind::kSerial: exec = 10 * c; break;
      case Kind::kLoad:
        dataDepth = dcache.access(addr);
        exec = dataDepth == 0 ? ua.l1 : dataDepth == 1 ? ua.l2 : ua.mem;
        break;
      case Kind::kStore:
        dataDepth = dcache.access(addr);
        break;
      default: break;
    }
    const int64_t complete = fetch + issue + exec;
    const int64_t retire = std::max(prevRetire, complete + c);
    prevRetire = retire;
    robSlot = retire;
    bool mispredicted = false;
    if (s.branch != Branch::kNone && s.branch != Branch::kJump) {
      uint8_t& counter = predictor[(s.pc >> 2) % predictor.size()];
      mispredicted = (counter >= 2) != taken;
      if (taken && counter < 3) ++counter;
      if (!taken && counter > 0) --counter;
    }
    prevPc = s.pc;
    redirect = taken;
    if (mispredicted) {
      fetchT = std::max(fetchT, complete + ua.penalty);
      slot = 0;
      redirect = true;
    }

    // --- text ---
    const bool sqRecord = o.storeQueue && s.kind == Kind::kStore;
    const int64_t sqIndex = sqRecord ? static_cast<int64_t>(sqCounter++ % 72) : -1;
    Line& l = out.line();
    auto head = [&] {
      l += '0';
      putSp(l, sqIndex);
      putSp(l, fetch);
      putSp(l, retire - fetch - c);  // rob out
      putSp(l, retire - fetch);
      putSp(l, decode);
      putSp(l, rename);
      putSp(l, dispatch);
      putSp(l, issue);
    };
    auto body = [&] {
      l += ' ';
      l += s.opText;
      const bool mem = s.kind == Kind::kLoad || s.kind == Kind::kStore;
      l += mem ? "  1" : "  0";
      putSp(l, static_cast<int64_t>(addr));
      putSp(l, mem ? s.size : 0);
      putSp(l, dataDepth);
      l += " -1 -1 -1 0 0 0 0 0 0  ";
      put(l, static_cast<int64_t>(s.pc));
      l += taken ? " 1" : " 0";
      l += mispredicted ? " 1" : " 0";
      putSp(l, fetchDepth);
      l += " -1 -1 -1 0 0 0 0 0  ";
      l += s.regText;
      l += '\n';
    };
    head();
    if (sqRecord) {
      l += '\n';
      out.endTraceLine();
      const int64_t storeDone =
          retire + (dataDepth == 0 ? ua.l1 : dataDepth == 1 ? ua.l2 : ua.mem);
      const int64_t sqOut = std::max(prevSqOut, storeDone);
      prevSqOut = sqOut;
      head();
      putSp(l, sqOut - fetch - c);  // store latency
      putSp(l, sqOut - fetch);      // sq out latency
      body();
      out.queueSqLine();
    } else {
      body();
      out.endTraceLine();
    }

    // --- next pc ---
    const Block& b = program.blocks[block];
    if (++inBlock == b.count || taken) {
      block = taken ? s.target : block + 1;
      if (block >= program.blocks.size()) block = 0;
      inBlock = 0;
    }
  }
  out.finish();
}

Gem5SynthText generateGem5Trace(const Gem5SynthOptions& options) {
  Gem5SynthText text;
  generateGem5Trace(
      options, [&](std::string_view s) { text.trace.append(s); },
      [&](std::string_view s) { text.sq.append(s); });
  return text;
}

}  // namespace pv::synth
