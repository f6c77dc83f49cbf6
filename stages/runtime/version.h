// What `--version` prints, for every executable: the project's version (the
// file VERSION at the top of the tree, the one definition) and the
// versions of the formats it reads and writes.
#pragma once

#include <string>

namespace pv::runtime {

// "0.17.0".
const char* projectVersion();

// "pv-feature (perfvec) 0.17.0\nstream schema 1, model format 1, training
// checkpoint format 1\n".
std::string versionText(const std::string& program);

}  // namespace pv::runtime
