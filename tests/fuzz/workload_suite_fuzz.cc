// libFuzzer target: pv-dataset's workload suite files (TOML): parse and
// check, then expand every command and select by split, as pv-dataset does
// before anything runs.

#include <cstdint>
#include <string>

#include "dataset/workload_suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const pv::dataset::Suite suite = pv::dataset::parseSuite(text, "fuzz/workloads.toml");
    for (const auto& w : suite.workloads) (void)pv::dataset::expandCommand(w, "inputs", "bin");
    for (const char* split : {"train", "test", "all"}) (void)pv::dataset::selectWorkloads(suite, {}, split);
    std::vector<std::string> names;
    for (const auto& w : suite.workloads) names.push_back(w.name);
    (void)pv::dataset::selectWorkloads(suite, names, "all");
  } catch (const pv::dataset::SuiteError&) {
  }
  return 0;
}
