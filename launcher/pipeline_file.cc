// Pipeline files: parsing (toml++), validation with source positions, and
// parameter substitution.

#include "launcher/pipeline_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "stages/runtime/toml_file.h"

namespace pv::launch {

namespace {

std::string formatError(const std::string& file, SourcePos pos, const std::string& message) {
  std::string out = file;
  if (pos.line > 0) {
    out += ":" + std::to_string(pos.line);
    if (pos.column > 0) out += ":" + std::to_string(pos.column);
  }
  return out + ": " + message;
}

SourcePos posOf(const toml::source_region& region) {
  return {static_cast<uint32_t>(region.begin.line), static_cast<uint32_t>(region.begin.column)};
}

const char* typeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

bool isNameChar(char c, bool allowDot) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (allowDot && c == '.');
}

bool isValidName(std::string_view s, bool allowDot) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [&](char c) { return isNameChar(c, allowDot); });
}

// A parameter name: a letter or '_' first, then letters, digits, '_' or '-'.
bool isParamName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9') || s[0] == '-') return false;
  return isValidName(s, false);
}

// Validates one table of the file against its allowed keys.
class Checker {
 public:
  explicit Checker(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(SourcePos pos, const std::string& message) const {
    throw PipelineError(file_, pos, message);
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    fail(posOf(node.source()), message);
  }

  void onlyKeys(const toml::table& table, std::initializer_list<std::string_view> allowed,
                const std::string& where) const {
    for (auto [key, node] : tomlEntriesInFileOrder(table)) {
      (void)node;
      if (std::find(allowed.begin(), allowed.end(), key->str()) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(posOf(key->source()), "unknown key '" + std::string(key->str()) + "' in " + where +
                                     " (allowed: " + list + ")");
    }
  }

  const toml::table& table(const toml::node& node, const std::string& what) const {
    if (!node.is_table()) fail(node, what + " must be a table, not " + typeName(node));
    return *node.as_table();
  }

  SourceString string(const toml::node& node, const std::string& what) const {
    if (!node.is_string()) fail(node, what + " must be a string, not " + typeName(node));
    return {node.as_string()->get(), posOf(node.source())};
  }

  // A required string key of a table (its position: the table's when absent).
  SourceString required(const toml::table& table, std::string_view key, const std::string& what,
                        SourcePos tablePos) const {
    const toml::node* node = table.get(key);
    if (!node) fail(tablePos, what + " has no '" + std::string(key) + "'");
    return string(*node, what + "'s " + std::string(key));
  }

 private:
  const std::string& file_;
};

// Template pieces: literal text, "{name}", or a whole-argument "{*name}".
struct Piece {
  enum Kind { kText, kParam, kSplat } kind;
  std::string text;  // the literal text or the parameter name
};

std::vector<Piece> scanTemplate(std::string_view text) {
  std::vector<Piece> pieces;
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) pieces.push_back({Piece::kText, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}';
        ++i;
        continue;
      }
      throw std::invalid_argument("unbalanced '}' (write '}}' for a literal brace)");
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos)
      throw std::invalid_argument("unbalanced '{' (write '{{' for a literal brace)");
    std::string_view inner = text.substr(i + 1, close - i - 1);
    bool splat = !inner.empty() && inner[0] == '*';
    if (splat) inner.remove_prefix(1);
    if (!isParamName(inner))
      throw std::invalid_argument("'{" + std::string(text.substr(i + 1, close - i - 1)) +
                                  "}' is not a parameter reference (names: letters, digits, '_', "
                                  "'-'; write '{{' for a literal brace)");
    if (splat && (i != 0 || close != text.size() - 1))
      throw std::invalid_argument("'{*" + std::string(inner) +
                                  "}' must be a whole argument (it expands to several)");
    flush();
    pieces.push_back({splat ? Piece::kSplat : Piece::kParam, std::string(inner)});
    i = close;
  }
  flush();
  return pieces;
}

std::vector<std::string> splitWords(std::string_view s) {
  std::vector<std::string> words;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

// Checks that every parameter a template uses exists; returns whether the
// template is a splat.
bool checkTemplate(const Checker& check, const SourceString& s, const PipelineSpec& spec,
                   const std::string& what, bool splatAllowed) {
  std::vector<Piece> pieces;
  try {
    pieces = scanTemplate(s.text);
  } catch (const std::invalid_argument& e) {
    check.fail(s.pos, what + ": " + e.what());
  }
  bool splat = false;
  for (const auto& p : pieces) {
    if (p.kind == Piece::kText) continue;
    if (p.kind == Piece::kSplat) {
      if (!splatAllowed) check.fail(s.pos, what + ": '{*" + p.text + "}' is only allowed in args");
      splat = true;
    }
    if (!spec.param(p.text)) {
      std::string known;
      for (const auto& param : spec.params) known += (known.empty() ? "" : ", ") + param.name;
      check.fail(s.pos, what + " uses undefined parameter '" + p.text + "' (" +
                            (known.empty() ? "the file has no [params]" : "defined: " + known) +
                            ")");
    }
  }
  return splat;
}

std::optional<std::string> scalarText(const toml::node& node) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto b = node.as_boolean()) return std::string(b->get() ? "true" : "false");
  return std::nullopt;
}

ParamSpec parseParam(const Checker& check, const toml::key& key, const toml::node& node) {
  ParamSpec param;
  param.name = std::string(key.str());
  param.pos = posOf(key.source());
  if (!isParamName(param.name))
    check.fail(param.pos, "parameter name '" + param.name +
                              "' must start with a letter or '_' and hold only letters, digits, "
                              "'_' and '-'");
  const std::string what = "parameter '" + param.name + "'";
  if (auto value = scalarText(node)) {
    param.defaultValue = *value;
    return param;
  }
  if (!node.is_table())
    check.fail(node, what +
                         " must be a string, an integer, a boolean or a table "
                         "{ default = ..., help = ... }, not " +
                         typeName(node));
  const toml::table& t = *node.as_table();
  check.onlyKeys(t, {"default", "help"}, what);
  if (const toml::node* d = t.get("default")) {
    auto value = scalarText(*d);
    if (!value)
      check.fail(*d,
                 what + ": default must be a string, an integer or a boolean, not " + typeName(*d));
    param.defaultValue = *value;
  }
  if (const toml::node* h = t.get("help")) param.help = check.string(*h, what + ": help").text;
  return param;
}

// memory_limit = "4G" (or a number of bytes).
uint64_t memoryLimit(const Checker& check, const toml::node& node, const std::string& what) {
  std::optional<uint64_t> bytes;
  if (node.is_string()) bytes = parseMemorySize(node.as_string()->get());
  else if (node.is_integer() && node.as_integer()->get() > 0)
    bytes = static_cast<uint64_t>(node.as_integer()->get());
  if (!bytes)
    check.fail(node, what + ": memory_limit must be a size such as \"512M\" or \"4G\" (K, M, G, T: "
                            "powers of 1024) or a number of bytes");
  return *bytes;
}

StageSpec parseStage(const Checker& check, const toml::node& node, size_t index) {
  const std::string where = "stage " + std::to_string(index + 1);
  const toml::table& t = check.table(node, where);
  const SourcePos tablePos = posOf(node.source());
  check.onlyKeys(t, {"name", "run", "args", "description", "memory_limit", "host", "address"}, where);
  StageSpec stage;
  SourceString name = check.required(t, "name", where, tablePos);
  if (!isValidName(name.text, false))
    check.fail(name.pos, where + ": name '" + name.text +
                             "' must be non-empty and hold only letters, digits, '_' and '-'");
  stage.name = name.text;
  stage.pos = name.pos;
  const std::string what = "stage '" + stage.name + "'";
  stage.run = check.required(t, "run", what, tablePos);
  if (stage.run.text.empty()) check.fail(stage.run.pos, what + ": run is empty");
  if (const toml::node* args = t.get("args")) {
    if (!args->is_array())
      check.fail(*args, what + ": args must be an array of strings, not " + typeName(*args));
    for (const toml::node& arg : *args->as_array())
      stage.args.push_back(check.string(arg, what + ": each of args"));
  }
  if (const toml::node* d = t.get("description"))
    stage.description = check.string(*d, what + ": description").text;
  if (const toml::node* m = t.get("memory_limit")) stage.memoryLimit = memoryLimit(check, *m, what);
  if (const toml::node* h = t.get("host")) stage.host = check.string(*h, what + ": host");
  if (const toml::node* a = t.get("address")) {
    stage.address = check.string(*a, what + ": address");
    // The address of a stage on this machine is pv-launch's --host.
    if (!stage.host)
      check.fail(stage.address->pos, what + ": address without host (the stages without a host use "
                                            "pv-launch --host)");
  }
  return stage;
}

}  // namespace

PipelineError::PipelineError(std::string file, SourcePos pos, std::string message)
    : std::runtime_error(formatError(file, pos, message)),
      file_(std::move(file)),
      pos_(pos),
      message_(std::move(message)) {}

const ParamSpec* PipelineSpec::param(std::string_view name) const {
  for (const auto& p : params)
    if (p.name == name) return &p;
  return nullptr;
}

std::optional<uint64_t> parseMemorySize(std::string_view text) {
  std::string t(text);
  if (t.empty()) return std::nullopt;
  double scale = 1;
  switch (t.back()) {
    case 'K': case 'k': scale = 1024.0; break;
    case 'M': case 'm': scale = 1024.0 * 1024; break;
    case 'G': case 'g': scale = 1024.0 * 1024 * 1024; break;
    case 'T': case 't': scale = 1024.0 * 1024 * 1024 * 1024; break;
    default: break;
  }
  if (scale != 1) t.pop_back();
  if (t.empty() || t.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(t.c_str(), &end);
  if (*end != '\0' || !(value > 0) || value * scale >= 1.8e19) return std::nullopt;
  const auto bytes = static_cast<uint64_t>(value * scale);
  if (bytes == 0) return std::nullopt;
  return bytes;
}

bool isOutputOption(std::string_view arg) {
  return arg == "--output" || arg.starts_with("--output=") || arg.starts_with("-o");
}

PipelineSpec parsePipeline(std::string_view text, const std::string& file) {
  toml::table root;
  try {
    root = parseToml(text, file);
  } catch (const TomlError& e) {
    throw PipelineError(file, SourcePos{e.line(), e.column()}, e.message());
  }
  Checker check(file);
  check.onlyKeys(root, {"pipeline", "params", "stage", "security"}, "the file");

  PipelineSpec spec;
  spec.file = file;
  const toml::node* pipeline = root.get("pipeline");
  if (!pipeline) check.fail(SourcePos{}, "no [pipeline] table (it needs at least name = \"...\")");
  const toml::table& p = check.table(*pipeline, "[pipeline]");
  check.onlyKeys(p, {"name", "description", "stall_timeout", "memory_limit"}, "[pipeline]");
  SourceString name = check.required(p, "name", "[pipeline]", posOf(pipeline->source()));
  if (!isValidName(name.text, true))
    check.fail(name.pos, "pipeline name '" + name.text +
                             "' must be non-empty and hold only letters, digits, '_', '-' and '.'");
  spec.name = name.text;
  if (const toml::node* d = p.get("description"))
    spec.description = check.string(*d, "[pipeline] description").text;
  if (const toml::node* t = p.get("stall_timeout")) {
    std::optional<double> seconds;
    if (t->is_integer()) seconds = static_cast<double>(t->as_integer()->get());
    if (t->is_floating_point()) seconds = t->as_floating_point()->get();
    if (!seconds || !(*seconds >= 0) || *seconds > 1e6)
      check.fail(*t, "[pipeline] stall_timeout must be a number of seconds (0: never)");
    spec.stallTimeout = *seconds;
  }
  if (const toml::node* m = p.get("memory_limit")) spec.memoryLimit = memoryLimit(check, *m, "[pipeline]");

  if (const toml::node* params = root.get("params")) {
    const toml::table& t = check.table(*params, "[params]");
    for (auto [key, node] : tomlEntriesInFileOrder(t))
      spec.params.push_back(parseParam(check, *key, *node));
  }

  const toml::node* stages = root.get("stage");
  if (!stages) check.fail(SourcePos{}, "empty pipeline: no [[stage]] tables");
  if (!stages->is_array())
    check.fail(*stages, "'stage' must be an array of tables: begin each stage with [[stage]]");
  const toml::array& list = *stages->as_array();
  if (list.empty()) check.fail(*stages, "empty pipeline: no [[stage]] tables");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    StageSpec stage = parseStage(check, list[i], i);
    if (!names.insert(stage.name).second) {
      SourcePos first;
      for (const auto& s : spec.stages)
        if (s.name == stage.name) first = s.pos;
      check.fail(stage.pos, "duplicate stage name '" + stage.name + "' (first at line " +
                                std::to_string(first.line) + ")");
    }
    spec.stages.push_back(std::move(stage));
  }

  if (const toml::node* security = root.get("security")) {
    const toml::table& t = check.table(*security, "[security]");
    check.onlyKeys(t, {"curve_secret", "curve_server_key", "curve_authorized"}, "[security]");
    auto key = [&](const char* name, std::optional<SourceString>& into) {
      if (const toml::node* n = t.get(name)) {
        const std::string what = std::string("[security] ") + name;
        into = check.string(*n, what);
        checkTemplate(check, *into, spec, what, false);
      }
    };
    key("curve_secret", spec.security.curveSecret);
    key("curve_server_key", spec.security.curveServerKey);
    key("curve_authorized", spec.security.curveAuthorized);
    if (!spec.security.curveSecret)
      check.fail(posOf(security->source()),
                 "[security] needs curve_secret (this pipeline's key pair, from pv-launch --keygen)");
  }

  // Templates: defined parameters, balanced braces; no output option before
  // the last stage (pv-launch wires those outputs itself).
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& stage = spec.stages[i];
    const std::string what = "stage '" + stage.name + "'";
    checkTemplate(check, stage.run, spec, what + ": run", false);
    if (stage.host) checkTemplate(check, *stage.host, spec, what + ": host", false);
    if (stage.address) checkTemplate(check, *stage.address, spec, what + ": address", false);
    bool program = false;  // after "--": a program's arguments, not the stage's options
    for (size_t a = 0; a < stage.args.size(); ++a) {
      const SourceString& arg = stage.args[a];
      checkTemplate(check, arg, spec, what + ": args[" + std::to_string(a) + "]", true);
      if (arg.text == "--") program = true;
      if (!program && i + 1 < spec.stages.size() && isOutputOption(arg.text))
        check.fail(arg.pos, what +
                                " is not the last stage, so pv-launch wires its output to "
                                "stage '" +
                                spec.stages[i + 1].name + "'; remove '" + arg.text + "'");
    }
  }
  return spec;
}

std::vector<std::string> securityArgs(const PipelineSpec& spec, const ParamValues& values) {
  std::vector<std::string> args;
  auto add = [&](const char* option, const std::optional<SourceString>& value) {
    if (!value) return;
    args.push_back(option);
    args.push_back(substitute(value->text, values));
  };
  add("--curve-secret", spec.security.curveSecret);
  add("--curve-server-key", spec.security.curveServerKey);
  add("--curve-authorized", spec.security.curveAuthorized);
  return args;
}

PipelineSpec loadPipeline(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw PipelineError(path, SourcePos{}, "cannot open: " + std::string(std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw PipelineError(path, SourcePos{}, "cannot read");
  return parsePipeline(text.str(), path);
}

ParamValues bindParams(const PipelineSpec& spec, const std::vector<std::string>& assignments) {
  ParamValues given;
  for (const auto& a : assignments) {
    size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("'" + a + "' is not a parameter assignment KEY=VALUE");
    std::string key = a.substr(0, eq);
    if (!spec.param(key)) {
      std::string known;
      for (const auto& p : spec.params) known += (known.empty() ? "" : ", ") + p.name;
      throw UsageError("unknown parameter '" + key + "' for pipeline " + spec.name + " (" +
                       (known.empty() ? "it has none" : "parameters: " + known) + ")");
    }
    if (!given.emplace(key, a.substr(eq + 1)).second)
      throw UsageError("parameter '" + key + "' is given twice");
  }
  ParamValues values;
  std::string missing;
  for (const auto& p : spec.params) {
    if (auto it = given.find(p.name); it != given.end())
      values[p.name] = it->second;
    else if (p.defaultValue)
      values[p.name] = *p.defaultValue;
    else
      missing += (missing.empty() ? "" : ", ") + p.name;
  }
  if (!missing.empty())
    throw UsageError("pipeline " + spec.name + " needs a value for " + missing + " (give " +
                     "KEY=VALUE after the file; see --describe)");
  return values;
}

std::string substitute(std::string_view text, const ParamValues& values) {
  std::string out;
  for (const auto& piece : scanTemplate(text)) {
    if (piece.kind == Piece::kText) {
      out += piece.text;
      continue;
    }
    auto it = values.find(piece.text);
    if (it == values.end()) throw std::invalid_argument("undefined parameter '" + piece.text + "'");
    if (piece.kind == Piece::kSplat) {
      auto words = splitWords(it->second);
      for (size_t i = 0; i < words.size(); ++i) out += (i ? " " : "") + words[i];
    } else {
      out += it->second;
    }
  }
  return out;
}

std::vector<StageCommand> resolve(const PipelineSpec& spec, const ParamValues& values) {
  std::vector<StageCommand> commands;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    const StageSpec& stage = spec.stages[i];
    StageCommand command;
    command.name = stage.name;
    command.run = substitute(stage.run.text, values);
    bool program = false;  // after "--" (pv-trace-tap --valgrind -- PROGRAM -o x)
    for (const auto& arg : stage.args) {
      auto pieces = scanTemplate(arg.text);
      if (pieces.size() == 1 && pieces[0].kind == Piece::kSplat) {
        for (auto& w : splitWords(values.at(pieces[0].text))) {
          if (w == "--") program = true;
          if (!program && i + 1 < spec.stages.size() && isOutputOption(w))
            throw PipelineError(spec.file, arg.pos,
                                "stage '" + stage.name +
                                    "' is not the last stage, so pv-launch "
                                    "wires its output; '" +
                                    arg.text + "' gave it '" + w + "'");
          command.args.push_back(std::move(w));
        }
      } else {
        command.args.push_back(substitute(arg.text, values));
        if (command.args.back() == "--") program = true;
      }
    }
    commands.push_back(std::move(command));
  }
  return commands;
}

}  // namespace pv::launch
