#include "stages/model/model_commands.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

namespace pv {
namespace {

using Json = nlohmann::ordered_json;

size_t weightCount(const Model& m) {
  size_t weights = 0;
  for (const auto& t : m.tensors) weights += t.values.size();
  return weights;
}

std::string infoJson(const Model& m, const std::string& path) {
  const auto& a = m.architecture;
  Json uarchs = Json::array();
  for (const auto& u : m.uarchs) {
    Json params = Json::object();
    for (const auto& [k, v] : u.params) params[k] = v;
    uarchs.push_back({{"name", u.name}, {"origin", u.origin}, {"clock_ghz", u.clockGhz}, {"params", params}});
  }
  Json info = {{"file", path},
               {"name", m.name},
               {"description", m.description},
               {"content_hash", m.contentHash},
               {"encoder_hash", m.encoderHash},
               {"architecture",
                {{"kind", a.kind},
                 {"features", a.features},
                 {"hidden", a.hidden},
                 {"layers", a.layers},
                 {"window", a.window},
                 {"chunk", a.chunk}}},
               {"weights", weightCount(m)},
               {"targets", m.targetNames},
               {"non_negative_uarchs", m.nonNegativeUarchs},
               {"uarchs", uarchs}};
  // Text that is not UTF-8 is printed with U+FFFD, never refused.
  return info.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string infoText(const Model& m, const std::string& path) {
  const auto& a = m.architecture;
  std::string out;
  auto it = std::back_inserter(out);
  fmt::format_to(it, "model        {}\n", path);
  fmt::format_to(it, "name         {}\n", m.name);
  if (!m.description.empty()) fmt::format_to(it, "description  {}\n", m.description);
  fmt::format_to(it, "content      {}\n", m.contentHash);
  fmt::format_to(it, "encoder      {}\n", m.encoderHash);
  fmt::format_to(it, "architecture {} {} x {}, window {}, {}\n", a.kind, a.layers, a.hidden, a.window,
                 a.chunk ? fmt::format("trained chunked, K = {}", a.chunk) : std::string("exact"));
  fmt::format_to(it, "features     {}\n", m.featureColumns.size());
  fmt::format_to(it, "weights      {} in {} tensors\n", weightCount(m), m.tensors.size());
  fmt::format_to(it, "targets      {}\n", fmt::join(m.targetNames, ", "));
  const auto& t = m.training;
  if (t.steps > 0) {
    fmt::format_to(it, "trained      {} steps ({:.2f} epochs, {} worker{}) on {} records of {} programs: {}\n",
                   t.steps, t.epochs, t.workers, t.workers == 1 ? "" : "s", t.instructions, t.programs.size(),
                   fmt::join(t.programs, ", "));
    if (!t.heldOutPrograms.empty())
      fmt::format_to(it, "held out     programs: {}\n", fmt::join(t.heldOutPrograms, ", "));
    if (!t.heldOutUarchs.empty()) fmt::format_to(it, "held out     uarchs: {}\n", fmt::join(t.heldOutUarchs, ", "));
    if (!t.uarchSource.empty()) fmt::format_to(it, "uarch set    {}\n", t.uarchSource);
    fmt::format_to(it, "validation   loss {:.4f}\n", t.validationLoss);
  }
  if (!m.uarchModel.empty())
    fmt::format_to(it, "parametric   MLP from {} configuration inputs to M_u\n", m.uarchModel.inputs.size());
  fmt::format_to(it, "M_u          {}\n", m.nonNegativeUarchs ? ">= 0 (no prediction can be negative)"
                                                               : "of any sign (a prediction can be negative)");
  fmt::format_to(it, "uarchs       {}\n", m.uarchs.size());
  for (const auto& u : m.uarchs) {
    std::string params;
    if (u.params.size() <= 8)
      for (const auto& [k, v] : u.params) params += fmt::format(" {}={}", k, v);
    else
      params = fmt::format(" ({} parameters; --format json lists them)", u.params.size());
    fmt::format_to(it, "  {}{}{}{}\n", u.name, u.origin.empty() ? "" : " [" + u.origin + "]",
                   u.clockGhz > 0 ? fmt::format(" @ {} GHz", u.clockGhz) : "", params);
  }
  return out;
}

}  // namespace

std::string initModel(const encode::UntrainedModelOptions& options, const std::string& output) {
  Model m = encode::makeUntrainedModel(options);
  saveModel(m, output);
  return "wrote " + output + " (" + m.encoderHash + ")";
}

std::string formatModelInfo(const Model& model, const std::string& path, const std::string& format) {
  return format == "json" ? infoJson(model, path) : infoText(model, path);
}

}  // namespace pv
