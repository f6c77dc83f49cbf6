// A check run on TOML text before toml++ parses it (pipeline files,
// microarchitecture files).
//
// Debian 12's toml++ 3.3.0 reaches __builtin_unreachable() (undefined
// behaviour: in an optimised build anything may follow) in
// impl::is_non_ascii_horizontal_whitespace for most non-ASCII characters
// outside strings and comments, e.g. a bare key `é = 1` (found by
// tests/fuzz/pipeline_file_fuzz; docs/fuzzing.md). TOML 1.0 allows
// non-ASCII characters only inside strings and comments, so such text is
// invalid anyway: this finds the first one, for an error at its line and
// column, before toml++ ever sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pv::toml_guard {

struct Place {
  uint32_t line;    // 1-based
  uint32_t column;  // 1-based, in bytes
};

// The first byte >= 0x80 outside strings ("...", '...', """...""",
// '''...''') and comments (# to the end of the line); nullopt when none.
inline std::optional<Place> nonAsciiOutsideStrings(std::string_view text) {
  enum { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral } state = kCode;
  uint32_t line = 1;
  size_t lineStart = 0;
  auto starts = [&](size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      lineStart = i + 1;
      if (state == kComment || state == kBasic || state == kLiteral) state = kCode;
      continue;
    }
    switch (state) {
      case kCode:
        if (static_cast<unsigned char>(c) >= 0x80)
          return Place{line, static_cast<uint32_t>(i - lineStart + 1)};
        if (c == '#') {
          state = kComment;
        } else if (starts(i, "\"\"\"")) {
          state = kMultiBasic;
          i += 2;
        } else if (starts(i, "'''")) {
          state = kMultiLiteral;
          i += 2;
        } else if (c == '"') {
          state = kBasic;
        } else if (c == '\'') {
          state = kLiteral;
        }
        break;
      case kComment:
        break;
      case kBasic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n')
          ++i;
        else if (c == '"')
          state = kCode;
        break;
      case kLiteral:
        if (c == '\'') state = kCode;
        break;
      case kMultiBasic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          ++i;
        } else if (starts(i, "\"\"\"")) {
          // Up to two more quotes belong to the string ("""a""""").
          i += 2;
          while (i + 1 < text.size() && text[i + 1] == '"') ++i;
          state = kCode;
        }
        break;
      case kMultiLiteral:
        if (starts(i, "'''")) {
          i += 2;
          while (i + 1 < text.size() && text[i + 1] == '\'') ++i;
          state = kCode;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace pv::toml_guard
