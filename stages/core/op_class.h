// gem5's OpClass numbers (the gem5 version PerfVec's traces come from), so
// that an operation class means the same whatever produced the instruction:
// gem5 traces carry these numbers, and the native taps (Valgrind, ChampSim)
// map their own classification onto them. Feature 1 is opClass + 1.
#pragma once

#include <cstdint>
#include <string_view>

namespace pv {

enum class OpClass : uint16_t {
  kNoOpClass = 0,
  kIntAlu,
  kIntMult,
  kIntDiv,
  kFloatAdd,
  kFloatCmp,
  kFloatCvt,
  kFloatMult,
  kFloatMultAcc,
  kFloatDiv,
  kFloatMisc,
  kFloatSqrt,
  kSimdAdd,
  kSimdAddAcc,
  kSimdAlu,
  kSimdCmp,
  kSimdCvt,
  kSimdMisc,
  kSimdMult,
  kSimdMultAcc,
  kSimdShift,
  kSimdShiftAcc,
  kSimdDiv,
  kSimdSqrt,
  kSimdFloatAdd,
  kSimdFloatAlu,
  kSimdFloatCmp,
  kSimdFloatCvt,
  kSimdFloatDiv,
  kSimdFloatMisc,
  kSimdFloatMult,
  kSimdFloatMultAcc,
  kSimdFloatSqrt,
  kSimdReduceAdd,
  kSimdReduceAlu,
  kSimdReduceCmp,
  kSimdFloatReduceAdd,
  kSimdFloatReduceCmp,
  kSimdAes,
  kSimdAesMix,
  kSimdSha1Hash,
  kSimdSha1Hash2,
  kSimdSha256Hash,
  kSimdSha256Hash2,
  kSimdShaSigma2,
  kSimdShaSigma3,
  kSimdPredAlu,
  kMemRead,  // 47
  kMemWrite,  // 48
  kFloatMemRead,
  kFloatMemWrite,
  kIprAccess,
  kInstPrefetch,
  kCount,
};

static_assert(static_cast<uint16_t>(OpClass::kMemRead) == 47);
static_assert(static_cast<uint16_t>(OpClass::kMemWrite) == 48);

// gem5's name of an op class ("IntAlu", "MemRead", ...); "unknown" outside
// the table.
std::string_view opClassName(uint16_t opClass);

}  // namespace pv
