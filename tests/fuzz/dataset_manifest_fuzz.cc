// libFuzzer target: the dataset manifest (manifest.toml: what pv-dataset
// resumes from and pv-train, pv-eval and pv-tune read). What is accepted is
// written again and must read back to the same text.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "stages/core/stage_error.h"
#include "stages/model-lib/dataset_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pv::dataset::Manifest manifest;
  try {
    manifest = pv::dataset::parseManifest(text, "fuzz/manifest.toml");
  } catch (const pv::StageError&) {
    return 0;
  }
  (void)manifest.finished();
  // An exception or a difference here is a finding.
  const std::string written = pv::dataset::formatManifest(manifest);
  if (pv::dataset::formatManifest(pv::dataset::parseManifest(written, "written.toml")) != written) std::abort();
  return 0;
}
