// A microarchitecture configuration from an already parsed TOML table, for
// readers that edit a configuration's table before it is checked (pv-dse
// sets a design point's keys on its base configuration's table). Apart
// from uarch_config.h so that the users of configurations who never see
// TOML do not compile toml++.
#pragma once

#include <string>

#include "stages/model-lib/uarch_config.h"
#include "stages/runtime/toml_file.h"

namespace pv::uarch {

// parseConfig(text, file) after parseToml: the same checks, the same
// errors (input `file`, position "line:column" where the node has one: a
// node inserted by the caller has none).
UarchConfig parseConfig(const toml::table& root, const std::string& file);

}  // namespace pv::uarch
