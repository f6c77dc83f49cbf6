// libFuzzer target: pv-launch's TOML pipeline files (parse, parameters,
// substitution into the stages' command lines, the [security] table).

#include <cstdint>
#include <string_view>

#include "launcher/pipeline_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    pv::launch::PipelineSpec spec = pv::launch::parsePipeline(text, "fuzz.toml");
    pv::launch::ParamValues values;
    for (const auto& p : spec.params) values[p.name] = p.defaultValue.value_or("v a l");
    std::vector<std::string> assignments;
    for (const auto& [k, v] : values) assignments.push_back(k + "=" + v);
    values = pv::launch::bindParams(spec, assignments);
    (void)pv::launch::resolve(spec, values);
    (void)pv::launch::securityArgs(spec, values);
  } catch (const pv::launch::PipelineError&) {
  } catch (const pv::launch::UsageError&) {
  }
  return 0;
}
