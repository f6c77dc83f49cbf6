#include "stages/core/op_class.h"

#include <array>

namespace pv {

std::string_view opClassName(uint16_t opClass) {
  static constexpr std::array<std::string_view, static_cast<size_t>(OpClass::kCount)> kNames = {
      "No_OpClass",      "IntAlu",          "IntMult",        "IntDiv",
      "FloatAdd",        "FloatCmp",        "FloatCvt",       "FloatMult",
      "FloatMultAcc",    "FloatDiv",        "FloatMisc",      "FloatSqrt",
      "SimdAdd",         "SimdAddAcc",      "SimdAlu",        "SimdCmp",
      "SimdCvt",         "SimdMisc",        "SimdMult",       "SimdMultAcc",
      "SimdShift",       "SimdShiftAcc",    "SimdDiv",        "SimdSqrt",
      "SimdFloatAdd",    "SimdFloatAlu",    "SimdFloatCmp",   "SimdFloatCvt",
      "SimdFloatDiv",    "SimdFloatMisc",   "SimdFloatMult",  "SimdFloatMultAcc",
      "SimdFloatSqrt",   "SimdReduceAdd",   "SimdReduceAlu",  "SimdReduceCmp",
      "SimdFloatReduceAdd", "SimdFloatReduceCmp", "SimdAes",  "SimdAesMix",
      "SimdSha1Hash",    "SimdSha1Hash2",   "SimdSha256Hash", "SimdSha256Hash2",
      "SimdShaSigma2",   "SimdShaSigma3",   "SimdPredAlu",    "MemRead",
      "MemWrite",        "FloatMemRead",    "FloatMemWrite",  "IprAccess",
      "InstPrefetch"};
  return opClass < kNames.size() ? kNames[opClass] : std::string_view("unknown");
}

}  // namespace pv
