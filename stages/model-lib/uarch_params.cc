// Flattening configurations, parametric inputs, the parametric MLP forward.

#include "stages/model-lib/uarch_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

std::optional<double> number(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Microarchitecture fromConfig(const uarch::UarchConfig& config) {
  Microarchitecture u;
  u.name = config.name;
  u.params = uarch::flattenedParameters(config);
  u.clockGhz = config.core.frequencyGhz;
  return u;
}

Microarchitecture parseUarchConfig(const std::string& text, const std::string& where) {
  return fromConfig(uarch::parseConfig(text, where));
}

Microarchitecture readUarchConfig(const std::string& path) { return fromConfig(uarch::readConfig(path)); }

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
      // ReLU between layers, and after the last in a non-negative model.
      if (l + 2 < p.layers.size() || model.nonNegativeUarchs) y[o] = std::max(0.0f, y[o]);
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
