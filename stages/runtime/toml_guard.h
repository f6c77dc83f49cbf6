// A check run on TOML text before toml++ parses it: parseToml
// (toml_file.h), the one way perfvec reads TOML, runs it on every file.
//
// Debian 12's toml++ 3.3.0 reaches __builtin_unreachable() (undefined
// behaviour: in an optimised build anything may follow) in
// impl::is_non_ascii_horizontal_whitespace for the code points of three of
// its lookup buckets, U+00A1..U+0499, U+2C5E..U+3057 (but U+3000) and
// U+FB26..U+FEFE, whenever it asks whether one is whitespace: in bare
// keys and values, and inside what a quote in the middle of a bare value
// makes look like a string (found by tests/fuzz/pipeline_file_fuzz and
// uarch_config_fuzz; docs/fuzzing.md). Telling those places apart means
// tokenizing as toml++ does, which the fuzzers showed to be easy to get
// wrong, so these code points are refused anywhere in the file, strings
// and comments included. Every other character, ASCII or not, is left to
// toml++.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pv::toml_guard {

struct Place {
  uint32_t line;       // 1-based
  uint32_t column;     // 1-based, in bytes
  uint32_t codePoint;  // the character refused
};

// True for a code point toml++ 3.3.0 cannot classify (see above).
inline bool unsafeForTomlPlusPlus(uint32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2C5E && c <= 0x3057 && c != 0x3000) ||
         (c >= 0xFB26 && c <= 0xFEFE);
}

// The first such character (decoded from UTF-8 leniently: overlong forms
// count as what they encode); nullopt when none.
inline std::optional<Place> unsafeCharacter(std::string_view text) {
  uint32_t line = 1;
  size_t lineStart = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == '\n') {
      ++line;
      lineStart = i + 1;
      continue;
    }
    if (b < 0xC0) continue;
    size_t length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    uint32_t c = b & (0x7F >> length);
    size_t k = 1;
    for (; k < length && i + k < text.size(); ++k)
      c = c << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (k == length && unsafeForTomlPlusPlus(c))
      return Place{line, static_cast<uint32_t>(i - lineStart + 1), c};
  }
  return std::nullopt;
}

// "U+00E9".
inline std::string codePointName(uint32_t c) {
  static const char* hex = "0123456789ABCDEF";
  std::string s = "U+";
  for (int shift = c > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4) s += hex[(c >> shift) & 0xF];
  return s;
}

// The message of an error at Place.
inline std::string unsafeMessage(const Place& at) {
  return "TOML: character " + codePointName(at.codePoint) +
         " is refused (the TOML library, toml++ 3.3.0, has undefined behaviour on it)";
}

}  // namespace pv::toml_guard
