// libFuzzer target: pv-dse's space files (TOML: a base configuration,
// parameters, constraints as muparser expressions). The base is one fixed
// configuration whatever the path says (no file system). What parses must
// give points whose constraints evaluate and whose configurations either
// read or are refused with a StageError.

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "stages/core/stage_error.h"
#include "stages/dse/design_space.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto base = [](const std::string&) {
    return std::string("name = \"base\"\n[l1d]\nsize_kb = 32\nways = 4\n[l2]\nsize_kb = 1024\n");
  };
  try {
    const pv::dse::DesignSpace space = pv::dse::DesignSpace::parse(text, "fuzz.toml", base);
    // A few points: the first, the last and one between.
    const uint64_t n = space.pointCount();
    for (uint64_t i : {uint64_t{0}, n / 2, n - 1}) {
      const pv::dse::PointChoice c = space.pointAt(i);
      (void)space.brokenConstraint(space.variablesAt(c));
      (void)space.configAt(c, "p");
    }
  } catch (const pv::StageError&) {
  }
  return 0;
}
