// TOML files: the one reader and the one writer of perfvec's TOML
// (pipeline files, microarchitecture configurations, workload suites,
// dataset manifests).
//
// parseToml runs the check of toml_guard.h (code points toml++ 3.3.0 has
// undefined behaviour on) before toml++ sees the text, so that no reader
// can forget it. formatToml prints a table with toml++'s serializer in a
// form parseToml accepts: ASCII only (other characters as \u escapes, which
// the guard lets through), basic strings, decimal integers.
//
// Users compile toml++ with //build/config:tomlplusplus (the :toml target
// gives it to them), so that every translation unit instantiates toml++'s
// header-only code with the same settings.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/core/stage_error.h"

namespace pv {

// Text that is not TOML, or holds a character the guard refuses: input
// `file`, position "LINE:COLUMN" ("" when toml++ gives no line) and a
// message starting "TOML: ". The line and column are kept as numbers for
// readers with error types of their own (pipeline files, suites).
class TomlError : public StageError {
 public:
  TomlError(const std::string& file, uint32_t line, uint32_t column, const std::string& message);
  uint32_t line() const { return line_; }
  uint32_t column() const { return column_; }

 private:
  uint32_t line_, column_;
};

// Parses `text`; `file` names it in errors and in the nodes' source
// regions. Throws TomlError.
toml::table parseToml(std::string_view text, const std::string& file);

// A table's entries in file order (toml++ keeps them sorted by key), so
// that a reader reports the first problem of the file first.
std::vector<std::pair<const toml::key*, const toml::node*>> tomlEntriesInFileOrder(const toml::table& table);

// "LINE:COLUMN" of a node's source region, "" for a node without one (one
// a reader inserted).
std::string tomlPosition(const toml::source_region& region);

// `table` as TOML text ending in a newline. Keys come out sorted (toml++
// keeps tables sorted); sub-tables as [name] sections after the values,
// arrays of tables as [[name]] sections; floats in their shortest
// round-trip form (with ".0" when whole). toml++ writes each byte of a
// string that is not UTF-8 as \u00XX, so that the file stays readable.
std::string formatToml(const toml::table& table);

}  // namespace pv
