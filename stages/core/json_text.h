// JSON string literals for the text outputs of pv-dot-predict and pv-model
// info (pv-cat and pv-uarch's reports write JSON with nlohmann-json):
// quotes and backslashes escaped, control characters as \uXXXX; other bytes
// pass through (names are UTF-8).
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace pv {

inline void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

inline std::string jsonString(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

}  // namespace pv
