// parseToml (the guard, then toml++) and formatToml (toml++'s serializer).

#include "stages/runtime/toml_file.h"

#include <algorithm>

#include <sstream>

#include "stages/runtime/toml_guard.h"

namespace pv {
namespace {

std::string positionText(uint32_t line, uint32_t column) {
  if (line == 0) return "";
  return std::to_string(line) + (column > 0 ? ":" + std::to_string(column) : "");
}

}  // namespace

TomlError::TomlError(const std::string& file, uint32_t line, uint32_t column, const std::string& message)
    : StageError(file, positionText(line, column), message), line_(line), column_(column) {}

toml::table parseToml(std::string_view text, const std::string& file) {
  // Before toml++, whose 3.3.0 has undefined behaviour on such characters.
  if (auto at = toml_guard::unsafeCharacter(text))
    throw TomlError(file, at->line, at->column, toml_guard::unsafeMessage(*at));
  toml::parse_result parsed = toml::parse(text, file);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    throw TomlError(file, static_cast<uint32_t>(e.source().begin.line),
                    static_cast<uint32_t>(e.source().begin.column), "TOML: " + std::string(e.description()));
  }
  return std::move(parsed).table();
}

std::vector<std::pair<const toml::key*, const toml::node*>> tomlEntriesInFileOrder(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    auto pa = a.first->source().begin, pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

std::string tomlPosition(const toml::source_region& region) {
  if (region.begin.line == 0) return "";
  return std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

std::string formatToml(const toml::table& table) {
  // Not toml++'s default flags: no literal ('...') or multi-line strings
  // (one quoting rule for every string), no raw non-ASCII characters (the
  // guard of parseToml refuses some, so they are written as \u escapes),
  // tabs escaped, integers in decimal. Long arrays (over 120 columns) break
  // into one element a line, indented.
  std::ostringstream out;
  out << toml::toml_formatter(table, toml::format_flags::indent_array_elements);
  std::string text = std::move(out).str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace pv
