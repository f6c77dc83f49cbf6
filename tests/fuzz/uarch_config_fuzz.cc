// libFuzzer target: pv-uarch's microarchitecture files (TOML), parsed,
// validated, and written back (what is accepted must round-trip).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stages/core/stage_error.h"
#include "stages/model-lib/uarch_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pv::uarch::UarchConfig config;
  try {
    config = pv::uarch::parseConfig(text, "fuzz.toml");
  } catch (const pv::StageError&) {
    return 0;
  }
  // What parseConfig accepts, writeToml writes so that it parses again
  // (an exception here is a finding).
  (void)pv::uarch::parseConfig(pv::uarch::writeToml(config), "written.toml");
  return 0;
}
