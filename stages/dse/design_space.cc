// Space files: parsing, values of ranges, points and their configurations.

#include "stages/dse/design_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/uarch_config_toml.h"

namespace pv::dse {
namespace {

// A range longer than this is a mistake (a step far too small), not a
// space: a space is a product of parameters, each of a handful of values.
constexpr uint64_t kMaxRangeValues = 10'000;

std::optional<double> numberOf(const std::string& text) {
  if (text == "true") return 1.0;
  if (text == "false") return 0.0;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

bool isWhole(double v) { return std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9.0e15; }

class SpaceParser {
 public:
  SpaceParser(const std::string& file, std::string_view text) : file_(file) {
    for (size_t begin = 0; begin <= text.size();) {
      size_t end = text.find('\n', begin);
      if (end == std::string_view::npos) end = text.size();
      lines_.push_back(text.substr(begin, end - begin));
      begin = end + 1;
    }
    for (const auto& [key, value] : uarch::flattenedParameters(uarch::UarchConfig{})) {
      const std::string table = key.substr(0, key.find('.'));
      keysOfTable_[table].push_back(key.substr(table.size() + 1));
      knownKeys_.insert(key);
    }
  }

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    throw StageError(file_, tomlPosition(where), message);
  }

  // Parameters of [parameters] and of the tables under it (dotted keys).
  void collect(const toml::table& table, const std::string& prefix, std::vector<SpaceParameter>& out) const {
    for (auto [key, node] : tomlEntriesInFileOrder(table)) {
      const std::string name = prefix.empty() ? std::string(key->str()) : prefix + "." + std::string(key->str());
      if (const toml::table* t = node->as_table(); t && !isRangeSpec(*t)) {
        collect(*t, name, out);
        continue;
      }
      const toml::source_region at = keyStart(key->source());
      checkName(name, at);
      for (const auto& p : out)
        if (p.key == name) fail(at, "parameter '" + name + "' is given twice (also at " + p.position + ")");
      SpaceParameter p{name, {}, tomlPosition(at)};
      if (const toml::array* a = node->as_array()) {
        p.values = listValues(*a, name, node->source());
      } else if (const toml::table* t = node->as_table()) {
        p.values = rangeValues(*t, name);
      } else {
        fail(node->source(), "parameter '" + name +
                                 "' must be a list of values or a table with values, or min, max and step or factor");
      }
      out.push_back(std::move(p));
    }
  }

 private:
  // toml++ places a dotted key (l1d.size_kb = ...) at its last part; an
  // error is clearer where the whole key starts on its line.
  toml::source_region keyStart(toml::source_region region) const {
    if (region.begin.line == 0 || region.begin.line > lines_.size()) return region;
    const std::string_view line = lines_[region.begin.line - 1];
    size_t col = std::min<size_t>(region.begin.column - 1, line.size());
    auto inKey = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '"' || c == '\'' ||
             c == ' ' || c == '\t';
    };
    while (col > 0 && inKey(line[col - 1])) --col;
    while (col < line.size() && (line[col] == ' ' || line[col] == '\t')) ++col;
    region.begin.column = static_cast<toml::source_index>(col + 1);
    return region;
  }

  static bool isRangeSpec(const toml::table& t) {
    for (const char* k : {"values", "min", "max", "step", "factor"})
      if (t.contains(k)) return true;
    return false;
  }

  void checkName(const std::string& name, const toml::source_region& where) const {
    if (knownKeys_.contains(name)) return;
    const std::string table = name.substr(0, name.find('.'));
    auto it = keysOfTable_.find(table);
    if (it == keysOfTable_.end()) {
      std::string tables;
      for (const auto& [t, keys] : keysOfTable_) tables += (tables.empty() ? "" : ", ") + t;
      fail(where,
           "unknown parameter '" + name + "': not a key of a pv-uarch configuration (its tables: " + tables + ")");
    }
    fail(where, fmt::format("unknown parameter '{}': [{}] has the keys {}", name, table, fmt::join(it->second, ", ")));
  }

  ParameterValue scalar(const toml::node& node, const std::string& name) const {
    if (auto v = node.as_integer()) return v->get();
    if (auto v = node.as_floating_point()) return v->get();
    if (auto v = node.as_boolean()) return v->get();
    if (auto v = node.as_string()) return v->get();
    fail(node.source(), "parameter '" + name + "': a value must be a number, a boolean or a string");
  }

  double number(const toml::table& t, const char* key, const std::string& name) const {
    const toml::node* n = t.get(key);
    if (auto v = n->as_integer()) return double(v->get());
    if (auto v = n->as_floating_point()) return v->get();
    fail(n->source(), "parameter '" + name + "': " + key + " must be a number");
  }

  std::vector<ParameterValue> listValues(const toml::array& a, const std::string& name,
                                         const toml::source_region& where) const {
    if (a.empty()) fail(where, "parameter '" + name + "': empty list of values");
    std::vector<ParameterValue> values;
    for (const toml::node& n : a) {
      ParameterValue v = scalar(n, name);
      if (std::find(values.begin(), values.end(), v) != values.end())
        fail(n.source(), "parameter '" + name + "': value " + valueText(v) + " is listed twice");
      values.push_back(std::move(v));
    }
    return values;
  }

  std::vector<ParameterValue> rangeValues(const toml::table& t, const std::string& name) const {
    for (auto [key, node] : tomlEntriesInFileOrder(t)) {
      const std::string_view k = key->str();
      if (k != "values" && k != "min" && k != "max" && k != "step" && k != "factor")
        fail(key->source(), "parameter '" + name + "': unknown key '" + std::string(k) +
                                "' (a parameter has values, or min, max and step or factor)");
    }
    if (const toml::node* list = t.get("values")) {
      if (t.size() != 1) fail(t.source(), "parameter '" + name + "': values does not go with min, max, step or factor");
      if (!list->is_array()) fail(list->source(), "parameter '" + name + "': values must be a list");
      return listValues(*list->as_array(), name, list->source());
    }
    if (!t.contains("min") || !t.contains("max"))
      fail(t.source(), "parameter '" + name + "': a range needs min and max");
    if (t.contains("step") == t.contains("factor"))
      fail(t.source(), "parameter '" + name + "': a range needs one of step (arithmetic) and factor (geometric)");
    const double min = number(t, "min", name), max = number(t, "max", name);
    const bool geometric = t.contains("factor");
    const char* by = geometric ? "factor" : "step";
    const double stride = number(t, by, name);
    if (min > max)
      fail(t.source(), fmt::format("parameter '{}': empty range: min {} is greater than max {}", name, min, max));
    if (geometric ? !(stride > 1) : !(stride > 0))
      fail(t.get(by)->source(), fmt::format("parameter '{}': {} must be {}", name, by, geometric ? "> 1" : "> 0"));
    if (geometric && !(min > 0))
      fail(t.get("min")->source(), "parameter '" + name + "': a geometric range needs min > 0");
    // Integers stay integers when min, max and the stride are whole, so
    // that integer keys get integer values.
    const bool integral = t.get("min")->is_integer() && t.get("max")->is_integer() && isWhole(stride);
    std::vector<ParameterValue> values;
    for (uint64_t k = 0;; ++k) {
      const double v = geometric ? min * std::pow(stride, double(k)) : min + double(k) * stride;
      // A step that does not divide the range stops before max; the
      // tolerance keeps max when rounding lands a hair above it.
      if (v > max + 1e-9 * std::max(1.0, std::abs(max))) break;
      if (values.size() >= kMaxRangeValues)
        fail(t.source(), fmt::format("parameter '{}': the range has more than {} values", name, kMaxRangeValues));
      if (integral)
        values.emplace_back(static_cast<int64_t>(std::llround(v)));
      else
        values.emplace_back(v);
    }
    return values;
  }

  const std::string& file_;
  std::vector<std::string_view> lines_;
  std::map<std::string, std::vector<std::string>> keysOfTable_;
  std::set<std::string> knownKeys_;
};

toml::table& sectionOf(toml::table& root, const std::string& section) {
  if (toml::table* t = root.get_as<toml::table>(section)) return *t;
  return *root.insert_or_assign(section, toml::table{}).first->second.as_table();
}

void setValue(toml::table& root, const std::string& key, const ParameterValue& value) {
  const size_t dot = key.find('.');
  toml::table& section = sectionOf(root, key.substr(0, dot));
  const std::string leaf = key.substr(dot + 1);
  std::visit([&](const auto& v) { section.insert_or_assign(leaf, v); }, value);
}

}  // namespace

std::string valueText(const ParameterValue& value) {
  struct {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
  } text;
  return std::visit(text, value);
}

std::optional<double> valueNumber(const ParameterValue& value) {
  if (auto v = std::get_if<int64_t>(&value)) return double(*v);
  if (auto v = std::get_if<double>(&value)) return *v;
  if (auto v = std::get_if<bool>(&value)) return *v ? 1.0 : 0.0;
  return std::nullopt;
}

DesignSpace DesignSpace::parse(std::string_view text, const std::string& file, const BaseReader& readBase) {
  DesignSpace space;
  space.file_ = file;
  const toml::table root = parseToml(text, file);
  SpaceParser parser(file, text);
  const toml::node* baseNode = nullptr;
  const toml::table* parameters = nullptr;
  const toml::array* constraints = nullptr;
  for (auto [key, node] : tomlEntriesInFileOrder(root)) {
    const std::string_view k = key->str();
    if (k == "base") {
      if (!node->is_string()) parser.fail(node->source(), "base must be a string (a pv-uarch configuration file)");
      baseNode = node;
    } else if (k == "parameters") {
      if (!node->is_table()) parser.fail(node->source(), "[parameters] must be a table");
      parameters = node->as_table();
    } else if (k == "constraints") {
      if (!node->is_array()) parser.fail(node->source(), "constraints must be a list of expressions (strings)");
      constraints = node->as_array();
    } else {
      parser.fail(key->source(), "unknown key '" + std::string(k) + "' (allowed: base, constraints, parameters)");
    }
  }
  if (!baseNode) parser.fail({}, "no base configuration (base = \"FILE.toml\", a pv-uarch configuration)");
  if (!parameters || parameters->empty()) parser.fail({}, "no [parameters]: the space has nothing to explore");

  // The base, relative to the space file's folder.
  std::filesystem::path base = baseNode->as_string()->get();
  if (base.is_relative()) base = std::filesystem::path(file).parent_path() / base;
  space.basePath_ = base.lexically_normal().string();
  space.baseTable_ = parseToml(readBase ? readBase(space.basePath_) : readFileBytes(space.basePath_), space.basePath_);
  space.base_ = uarch::parseConfig(space.baseTable_, space.basePath_);

  parser.collect(*parameters, "", space.parameters_);
  // In file order: dotted keys of one table (l1d.size_kb, later l1d.ways)
  // come out of toml++ grouped by table.
  std::stable_sort(space.parameters_.begin(), space.parameters_.end(),
                   [](const SpaceParameter& a, const SpaceParameter& b) {
                     auto lineColumn = [](const std::string& position) {
                       unsigned line = 0, column = 0;
                       std::sscanf(position.c_str(), "%u:%u", &line, &column);
                       return std::pair(line, column);
                     };
                     return lineColumn(a.position) < lineColumn(b.position);
                   });
  // Each value as the configuration reader checks a file's value (type,
  // range). Its own errors start with the key; checks between keys (a
  // cache size that is not a whole number of sets) depend on the other
  // values of a point and are left to the point.
  for (const auto& p : space.parameters_) {
    for (const auto& v : p.values) {
      toml::table t = space.baseTable_;
      setValue(t, p.key, v);
      try {
        uarch::parseConfig(t, space.basePath_);
      } catch (const StageError& e) {
        if (e.message().rfind(p.key + " ", 0) == 0)
          throw StageError(file, p.position, "parameter '" + p.key + "': " + e.message());
      }
    }
  }

  // Expression variables: the numeric keys of the base.
  for (const auto& [key, value] : uarch::flattenedParameters(space.base_)) {
    if (auto n = numberOf(value)) {
      space.variableNames_.push_back(key);
      space.baseVariables_.push_back(*n);
    }
  }
  for (const auto& p : space.parameters_) {
    auto it = std::find(space.variableNames_.begin(), space.variableNames_.end(), p.key);
    space.parameterVariable_.push_back(it == space.variableNames_.end() ? std::string::npos
                                                                        : size_t(it - space.variableNames_.begin()));
  }
  if (constraints) {
    for (const toml::node& n : *constraints) {
      if (!n.is_string()) parser.fail(n.source(), "a constraint must be a string (an expression)");
      SpaceConstraint c{n.as_string()->get(), tomlPosition(n.source())};
      try {
        space.constraintExpressions_.emplace_back(c.text, space.variableNames_);
      } catch (const ExpressionError& e) {
        parser.fail(n.source(), "constraint \"" + c.text + "\": " + e.what());
      }
      space.constraints_.push_back(std::move(c));
    }
  }
  return space;
}

DesignSpace DesignSpace::read(const std::string& path) { return parse(readFileBytes(path), path); }

uint64_t DesignSpace::pointCount() const {
  uint64_t count = 1;
  for (const auto& p : parameters_) {
    if (count > std::numeric_limits<uint64_t>::max() / p.values.size()) return std::numeric_limits<uint64_t>::max();
    count *= p.values.size();
  }
  return count;
}

PointChoice DesignSpace::pointAt(uint64_t index) const {
  PointChoice choice(parameters_.size());
  for (size_t i = parameters_.size(); i-- > 0;) {
    choice[i] = index % parameters_[i].values.size();
    index /= parameters_[i].values.size();
  }
  return choice;
}

std::vector<double> DesignSpace::variablesAt(const PointChoice& choice) const {
  std::vector<double> vars = baseVariables_;
  for (size_t i = 0; i < parameters_.size(); ++i)
    if (parameterVariable_[i] != std::string::npos)
      if (auto n = valueNumber(parameters_[i].values[choice[i]])) vars[parameterVariable_[i]] = *n;
  return vars;
}

std::optional<size_t> DesignSpace::brokenConstraint(const std::vector<double>& variables) const {
  for (size_t c = 0; c < constraintExpressions_.size(); ++c) {
    double v;
    try {
      v = constraintExpressions_[c].evaluate(variables);
    } catch (const ExpressionError& e) {
      throw StageError(file_, constraints_[c].position, "constraint \"" + constraints_[c].text + "\": " + e.what());
    }
    if (!(v != 0)) return c;  // zero or NaN: broken
  }
  return std::nullopt;
}

std::string DesignSpace::describe(const PointChoice& choice) const {
  std::string out;
  for (size_t i = 0; i < parameters_.size(); ++i)
    out += (i ? " " : "") + parameters_[i].key + "=" + valueText(parameters_[i].values[choice[i]]);
  return out;
}

toml::table DesignSpace::tableAt(const PointChoice& choice, const std::string& name) const {
  toml::table t = baseTable_;
  t.insert_or_assign("name", name);
  for (size_t i = 0; i < parameters_.size(); ++i) setValue(t, parameters_[i].key, parameters_[i].values[choice[i]]);
  return t;
}

uarch::UarchConfig DesignSpace::configAt(const PointChoice& choice, const std::string& name) const {
  try {
    return uarch::parseConfig(tableAt(choice, name), basePath_);
  } catch (const StageError& e) {
    throw StageError(file_, "",
                     "point " + describe(choice) + " on " + basePath_ + ": " + e.message() +
                         " (a constraint can leave such points out)");
  }
}

std::string DesignSpace::configTomlAt(const PointChoice& choice, const std::string& name) const {
  return formatToml(tableAt(choice, name));
}

}  // namespace pv::dse
