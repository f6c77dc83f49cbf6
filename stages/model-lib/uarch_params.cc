// Flattening configurations, parametric inputs, the parametric MLP forward.

#include "stages/model-lib/uarch_params.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

void flatten(const toml::table& table, const std::string& prefix, Microarchitecture& out, const std::string& where) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, name, out, where);
    } else if (auto v = node.value<int64_t>(); v && node.is_integer()) {
      out.params.emplace_back(name, std::to_string(*v));
    } else if (auto f = node.value<double>(); f && node.is_floating_point()) {
      out.params.emplace_back(name, fmt::format("{}", *f));
    } else if (auto b = node.value<bool>(); b && node.is_boolean()) {
      out.params.emplace_back(name, *b ? "true" : "false");
    } else if (auto s = node.value<std::string>()) {
      out.params.emplace_back(name, *s);
    } else {
      const auto& src = node.source();
      throw StageError(where, fmt::format("line {}", src.begin.line),
                       "'" + name + "': arrays are not microarchitecture parameters");
    }
  }
}

std::optional<double> number(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Microarchitecture parseUarchConfig(const std::string& text, const std::string& where) {
  toml::parse_result parsed = toml::parse(text, where);
  if (!parsed) {
    const auto& e = parsed.error();
    throw StageError(where, fmt::format("line {}, column {}", e.source().begin.line, e.source().begin.column),
                     std::string(e.description()));
  }
  toml::table table = std::move(parsed).table();
  Microarchitecture u;
  if (auto n = table["name"].value<std::string>()) u.name = *n;
  table.erase("name");
  flatten(table, "", u, where);
  if (auto ghz = table["core"]["frequency_ghz"].value<double>()) u.clockGhz = *ghz;
  return u;
}

Microarchitecture readUarchConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw StageError(path, "", "cannot open the microarchitecture file");
  std::stringstream text;
  text << in.rdbuf();
  Microarchitecture u = parseUarchConfig(text.str(), path);
  if (u.name.empty()) {
    std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    if (base.ends_with(".toml")) base.resize(base.size() - 5);
    u.name = base;
  }
  return u;
}

std::vector<std::string> parameterInputNames(const std::vector<Microarchitecture>& uarchs) {
  std::map<std::string, std::set<std::string>> values;
  std::map<std::string, size_t> present;
  for (const auto& u : uarchs)
    for (const auto& [k, v] : u.params) {
      values[k].insert(v);
      ++present[k];
    }
  std::vector<std::string> names;
  for (const auto& [k, vs] : values) {
    if (vs.size() < 2) continue;
    const bool numeric = present[k] == uarchs.size() &&
                         std::all_of(vs.begin(), vs.end(), [](const std::string& s) { return number(s).has_value(); });
    if (numeric) {
      names.push_back(k);
    } else {
      for (const auto& v : vs) names.push_back(k + "=" + v);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<float> parameterInputs(const Microarchitecture& u, const std::vector<std::string>& names,
                                   const std::string& where) {
  std::vector<float> x;
  x.reserve(names.size());
  for (const auto& name : names) {
    if (auto eq = name.find('='); eq != std::string::npos) {
      const std::string* v = u.param(name.substr(0, eq));
      x.push_back(v && *v == name.substr(eq + 1) ? 1.0f : 0.0f);
      continue;
    }
    const std::string* v = u.param(name);
    if (!v) throw StageError(where, u.name, "parameter '" + name + "' is missing (the parametric model needs it)");
    auto d = number(*v);
    if (!d) throw StageError(where, u.name, "parameter '" + name + "' = '" + *v + "' is not a number");
    x.push_back(static_cast<float>(std::log2(1.0 + std::max(0.0, *d))));
  }
  return x;
}

std::vector<float> parametricRepresentation(const Model& model, const Microarchitecture& u, const std::string& where) {
  const UarchParameterModel& p = model.uarchModel;
  if (p.empty()) throw StageError(where, "", "the model has no parametric microarchitecture model (pv-tune --parametric)");
  std::vector<float> x = parameterInputs(u, p.inputs, where);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (x[i] - p.inputMean[i]) / (p.inputStd[i] > 0 ? p.inputStd[i] : 1.0f);
  for (size_t l = 0; l < p.layers.size(); l += 2) {
    const NamedTensor& w = p.layers[l];
    const NamedTensor& b = p.layers[l + 1];
    const size_t out = w.shape[0], in = w.shape[1];
    std::vector<float> y(out);
    for (size_t o = 0; o < out; ++o) {
      double s = b.values[o];
      for (size_t i = 0; i < in; ++i) s += double(w.values[o * in + i]) * x[i];
      y[o] = static_cast<float>(s);
      if (l + 2 < p.layers.size()) y[o] = std::max(0.0f, y[o]);
    }
    x = std::move(y);
  }
  if (!p.clockScaled.empty()) {
    if (!(u.clockGhz > 0))
      throw StageError(where, u.name, "the parametric model needs the configuration's clock (core.frequency_ghz)");
    const size_t h = model.architecture.hidden;
    for (size_t t = 0; t < model.targetNames.size(); ++t)
      if (std::find(p.clockScaled.begin(), p.clockScaled.end(), model.targetNames[t]) != p.clockScaled.end())
        for (size_t d = 0; d < h; ++d) x[t * h + d] = static_cast<float>(x[t * h + d] / u.clockGhz);
  }
  return x;
}

}  // namespace pv
