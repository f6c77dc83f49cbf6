// DesignSpace: the space file of pv-dse. A base pv-uarch configuration and
// parameters on top of it, each with its values, and constraints between
// them:
//
//   base = "../foundation/uarchs/s7-0003.toml"   # relative to this file
//   constraints = ["l2.size_kb >= 8 * l1d.size_kb"]
//
//   [parameters]
//   l1d.size_kb = [16, 32, 64]                       # a list
//   l2.size_kb = { min = 256, max = 4096, factor = 2 } # 256, 512, ..., 4096
//   core.rob = { min = 64, max = 256, step = 64 }      # 64, 128, 192, 256
//   "branch.predictor" = ["gshare", "tage"]          # quoted keys work too
//
// A parameter is a key of the configuration format ("table.key",
// stages/uarch/README.md); each value is checked as the configuration
// reader checks a file's value. A constraint is an expression
// (expression.h) over the configuration's numeric keys that must be
// non-zero at a point. A point is one value of every parameter; its
// configuration is the base file's TOML with the point's keys set, read by
// the one configuration reader (a key set in a table the base leaves out
// behaves as in a file: an [l3] key turns the L3 on).
//
// Errors are StageError(file, "line:column", message) at the entry at
// fault.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stages/dse/expression.h"
#include "stages/model-lib/uarch_config.h"
#include "stages/runtime/toml_file.h"

namespace pv::dse {

// A parameter value as the space file gives it.
using ParameterValue = std::variant<int64_t, double, bool, std::string>;

// "32", "2.5", "true", "tage".
std::string valueText(const ParameterValue& value);
// Numbers as they are, booleans as 1 and 0; nullopt for text.
std::optional<double> valueNumber(const ParameterValue& value);

struct SpaceParameter {
  std::string key;                     // "l1d.size_kb"
  std::vector<ParameterValue> values;  // in the order given (ranges ascending)
  std::string position;                // "line:column" of the key in the space file
};

struct SpaceConstraint {
  std::string text;
  std::string position;  // of the string in the space file
};

// The values of every parameter at one point: values[choice[i]] of parameter i.
using PointChoice = std::vector<size_t>;

class DesignSpace {
 public:
  // Reads the base configuration's bytes from its path (the fuzz target
  // hands out one fixed configuration instead of the file system).
  using BaseReader = std::function<std::string(const std::string& path)>;

  // Parses a space file's text; `file` names it in errors and anchors the
  // base path. Reads the base configuration with `readBase` (default: the
  // file). Throws StageError.
  static DesignSpace parse(std::string_view text, const std::string& file, const BaseReader& readBase = {});
  static DesignSpace read(const std::string& path);

  const std::string& file() const { return file_; }
  const std::string& basePath() const { return basePath_; }
  const uarch::UarchConfig& base() const { return base_; }
  const std::vector<SpaceParameter>& parameters() const { return parameters_; }
  const std::vector<SpaceConstraint>& constraints() const { return constraints_; }

  // The number of points (the product of the value counts), saturated at
  // UINT64_MAX.
  uint64_t pointCount() const;
  // Point `index` (< pointCount()) in mixed radix, the last parameter
  // changing fastest.
  PointChoice pointAt(uint64_t index) const;
  // The variables of expressions: every key of the configuration whose
  // value is a number or a boolean (1, 0), sorted; and their values at a
  // point (the base's, with the point's values set).
  const std::vector<std::string>& variableNames() const { return variableNames_; }
  std::vector<double> variablesAt(const PointChoice& choice) const;
  // The first constraint (index) that is zero at `variables`; nullopt when
  // all hold.
  std::optional<size_t> brokenConstraint(const std::vector<double>& variables) const;

  // The point's values as "l1d.size_kb=32 l2.size_kb=1024", for messages.
  std::string describe(const PointChoice& choice) const;

  // The configuration of a point, named `name`. Throws StageError naming the
  // space file when the values together break a rule of the format (a cache
  // size that is not a whole number of sets).
  uarch::UarchConfig configAt(const PointChoice& choice, const std::string& name) const;
  // The base configuration's TOML with the point's keys set: the file
  // pv-uarch and pv-dot-predict --uarch would read for this point.
  std::string configTomlAt(const PointChoice& choice, const std::string& name) const;

 private:
  toml::table tableAt(const PointChoice& choice, const std::string& name) const;

  std::string file_;
  std::string basePath_;
  toml::table baseTable_;
  uarch::UarchConfig base_;
  std::vector<SpaceParameter> parameters_;
  std::vector<SpaceConstraint> constraints_;
  std::vector<Expression> constraintExpressions_;
  std::vector<std::string> variableNames_;
  std::vector<double> baseVariables_;
  std::vector<size_t> parameterVariable_;  // per parameter: its index in variableNames_, or npos
};

}  // namespace pv::dse
