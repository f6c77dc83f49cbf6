// libFuzzer target: pv-aggregate's checkpoint files (text with a checksum
// line). The input is parsed as it is, and once more with a correct
// checksum line appended (random bytes almost never carry their own XXH3),
// so that the items behind the checksum are explored too. What is accepted
// is written again and must read back to the same text.

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "stages/aggregate/checkpoint.h"
#include "stages/core/hex.h"
#include "stages/core/stage_error.h"

namespace {

void parseAndRewrite(const std::string& text) {
  pv::AggregateCheckpoint checkpoint;
  try {
    checkpoint = pv::parseCheckpoint(text, "fuzz.ckpt");
  } catch (const pv::StageError&) {
    return;
  }
  const std::string written = pv::formatCheckpoint(checkpoint);
  if (pv::formatCheckpoint(pv::parseCheckpoint(written, "written.ckpt")) != written) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  parseAndRewrite(text);
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += "checksum " + pv::hex64(XXH3_64bits(text.data(), text.size())) + "\n";
  parseAndRewrite(text);
  return 0;
}
