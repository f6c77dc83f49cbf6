// Hexadecimal text of 64-bit hashes and checksums, as files and messages
// write them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace pv {

// 16 lower-case hex digits, zero-padded, no prefix.
inline std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace pv
