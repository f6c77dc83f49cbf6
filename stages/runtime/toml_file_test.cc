// Tests of parseToml: the guard runs before toml++, errors name the file,
// line and column, and accepted text comes back as toml++'s table.

#include "stages/runtime/toml_file.h"

#include <gtest/gtest.h>

#include <string>

namespace pv {
namespace {

TomlError errorOf(const std::string& text) {
  try {
    parseToml(text, "f.toml");
  } catch (const TomlError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << text;
  return TomlError("", 0, 0, "");
}

TEST(TomlReader, returnsTheTableWithSourcePositions) {
  toml::table t = parseToml("a = 1\n[b]\nc = \"d\"\n", "f.toml");
  EXPECT_EQ(t["a"].value<int64_t>(), 1);
  EXPECT_EQ(t["b"]["c"].value<std::string>(), "d");
  const toml::node* c = t["b"].as_table()->get("c");
  EXPECT_EQ(c->source().begin.line, 3u);
  EXPECT_EQ(c->source().begin.column, 5u);
  EXPECT_EQ(*c->source().path, "f.toml");
}

TEST(TomlReader, refusesWhatToml330CannotClassifyAtItsLineAndColumn) {
  // toml++ 3.3.0 reaches __builtin_unreachable() on `\u00e9 = 1` (tests/fuzz):
  // refused anywhere, comments and strings included.
  TomlError e = errorOf("a = 1\nb = \"x\u00e9\"\n");
  EXPECT_EQ(std::string(e.what()),
            "f.toml:2:7: TOML: character U+00E9 is refused (the TOML library, toml++ 3.3.0, has undefined "
            "behaviour on it)");
  EXPECT_EQ(e.input(), "f.toml");
  EXPECT_EQ(e.line(), 2u);
  EXPECT_EQ(e.column(), 7u);
  EXPECT_EQ(errorOf("# caf\u00e9\n").position(), "1:6");
  // Other characters are left to toml++, escapes of refused ones too.
  toml::table t = parseToml("# \u65e5\na = \"\u65e5\\u00e9\"\n", "f.toml");
  EXPECT_EQ(t["a"].value<std::string>(), "\u65e5\u00e9");
}

TEST(TomlReader, syntaxErrorsNameTheFileLineAndColumn) {
  TomlError e = errorOf("a = 1\n\nb = \"open\n");
  EXPECT_EQ(e.input(), "f.toml");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_GT(e.column(), 0u);
  EXPECT_EQ(e.position(), "3:" + std::to_string(e.column()));
  EXPECT_EQ(e.message().rfind("TOML: ", 0), 0u) << e.message();
  EXPECT_EQ(errorOf("a = 1\na = 2\n").line(), 2u);  // a key given twice
}

}  // namespace
}  // namespace pv
