// pv-dot-predict: predicted execution time of a program on every
// microarchitecture of a model: T = R_p . M_u.

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include <fstream>

#include "stages/core/json_text.h"
#include "stages/dot-predict/dot_predictor.h"
#include "stages/model-lib/uarch_params.h"
#include "stages/runtime/stage.h"
#include "stages/runtime/stream.h"

namespace {

enum class Format { kText, kCsv, kJson };

// Ground truth by microarchitecture name: time in ns (pv-uarch --report).
using Truth = std::map<std::string, double>;

// Reads a pv-uarch report (a JSON array of per-configuration totals).
Truth readTruth(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw pv::StageError(path, "", "cannot open the ground-truth report");
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_array())
    throw pv::StageError(path, "", "not a pv-uarch report (a JSON array of {\"uarch\", \"time_ns\", ...})");
  Truth truth;
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& e = doc[i];
    if (!e.is_object() || !e.contains("uarch") || !e["uarch"].is_string() || !e.contains("time_ns") ||
        !e["time_ns"].is_number())
      throw pv::StageError(path, fmt::format("entry {}", i + 1), "no \"uarch\" name or numeric \"time_ns\"");
    truth[e["uarch"].get<std::string>()] = e["time_ns"].get<double>();
  }
  return truth;
}

void print(const pv::Prediction& p, const pv::Model& model, Format format, bool allTargets,
           bool interval, const Truth* truth, std::vector<double>* errors, std::string& out) {
  auto it = std::back_inserter(out);
  for (const auto& u : p.uarchs) {
    // A parametric entry named "NAME (parametric)" is compared with NAME's truth.
    const std::string suffix = " (parametric)";
    const std::string truthName =
        u.uarch.ends_with(suffix) ? u.uarch.substr(0, u.uarch.size() - suffix.size()) : u.uarch;
    const auto known = truth ? truth->find(truthName) : Truth::const_iterator();
    const bool hasTruth = truth && known != truth->end() && known->second > 0;
    const double error = hasTruth ? (u.timeNs - known->second) / known->second : 0;
    if (hasTruth && errors) errors->push_back(error);
    switch (format) {
      case Format::kText:
        if (interval) fmt::format_to(it, "{:>12} {:>12} ", p.firstIndex, p.instructions);
        fmt::format_to(it, "{:<24} {:>16.6g} ", u.uarch, u.timeNs);
        if (u.clockGhz > 0)
          fmt::format_to(it, "{:>16.6g} {:>9.4f}", u.cycles, u.cpi);
        else
          fmt::format_to(it, "{:>16} {:>9}", "-", "-");
        if (truth) {
          if (hasTruth)
            fmt::format_to(it, " {:>16.6g} {:>+8.2f}%", known->second, 100 * error);
          else
            fmt::format_to(it, " {:>16} {:>9}", "-", "-");
        }
        if (allTargets)
          for (double t : u.targets) fmt::format_to(it, " {:>12.6g}", t);
        out += '\n';
        break;
      case Format::kCsv:
        if (interval) fmt::format_to(it, "{},{},", p.firstIndex, p.instructions);
        fmt::format_to(it, "{},{:.9g},{:.9g},{:.9g},{:.9g}", u.uarch, u.timeNs, u.clockGhz, u.cycles, u.cpi);
        if (truth) {
          if (hasTruth)
            fmt::format_to(it, ",{:.9g},{:.6f}", known->second, error);
          else
            out += ",,";
        }
        if (allTargets)
          for (double t : u.targets) fmt::format_to(it, ",{:.9g}", t);
        out += '\n';
        break;
      case Format::kJson:
        fmt::format_to(it, "{{\"uarch\":{},\"first_index\":{},\"instructions\":{},\"time_ns\":{:.9g}",
                       pv::jsonString(u.uarch), p.firstIndex, p.instructions, u.timeNs);
        if (u.clockGhz > 0)
          fmt::format_to(it, ",\"clock_ghz\":{:.9g},\"cycles\":{:.9g},\"cpi\":{:.9g}", u.clockGhz, u.cycles, u.cpi);
        if (hasTruth) fmt::format_to(it, ",\"truth_ns\":{:.9g},\"error\":{:.6f}", known->second, error);
        if (allTargets) {
          out += ",\"targets\":{";
          for (size_t t = 0; t < u.targets.size(); ++t)
            fmt::format_to(it, "{}{}:{:.9g}", t ? "," : "", pv::jsonString(model.targetNames[t]), u.targets[t]);
          out += '}';
        }
        out += "}\n";
        break;
    }
  }
}

std::string headerLine(const pv::Model& model, Format format, bool allTargets, bool interval, bool truth) {
  std::string out;
  auto it = std::back_inserter(out);
  if (format == Format::kJson) return out;
  if (format == Format::kCsv) {
    out += interval ? "first_index,instructions," : "";
    out += "uarch,time_ns,clock_ghz,cycles,cpi";
    if (truth) out += ",truth_ns,error";
    if (allTargets)
      for (const auto& t : model.targetNames) out += "," + t;
    out += '\n';
    return out;
  }
  if (interval) fmt::format_to(it, "{:>12} {:>12} ", "first", "instructions");
  fmt::format_to(it, "{:<24} {:>16} {:>16} {:>9}", "uarch", "time ns", "cycles", "CPI");
  if (truth) fmt::format_to(it, " {:>16} {:>9}", "truth ns", "error");
  if (allTargets)
    for (const auto& t : model.targetNames) fmt::format_to(it, " {:>12}", t);
  out += '\n';
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-dot-predict", "Predicts a program's execution time on every microarchitecture of a model: "
               "T = R_p . M_u (R_p from pv-aggregate).");
  CLI::App& app = tool.cli();
  std::string input = "-", modelPath, uarchPath, output = "-", truthPath;
  std::vector<std::string> configPaths;
  Format format = Format::kText;
  bool allTargets = false, intervals = false;
  std::map<std::string, Format> formats{{"text", Format::kText}, {"csv", Format::kCsv}, {"json", Format::kJson}};
  app.add_option("input", input, "Program representation: '-', a file, or a ZeroMQ endpoint")->capture_default_str();
  app.add_option("-m,--model", modelPath, "Model file (.pvm) with the microarchitecture table")->required();
  app.add_option("--uarchs", uarchPath,
                 "Take the microarchitecture table from this model file instead (same encoder)");
  app.add_option("-o,--output", output, "Text output file ('-': stdout)")->capture_default_str();
  pv::runtime::addCurveOptions(app);
  app.add_option("--format", format, "text (a table), csv, or json (JSON Lines)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  app.add_flag("--all-targets", allTargets, "Also print every target's T (in the target's units)");
  app.add_flag("--intervals", intervals, "Predict each interval sum too (pv-aggregate --interval)");
  app.add_option("--uarch", configPaths,
                 "Also predict for this configuration (pv-uarch TOML), with M_u from the model's parametric "
                 "model (pv-tune --parametric)");
  app.add_option("--truth", truthPath,
                 "A pv-uarch --report of the same program: print its times and the error next to the prediction");
  app.footer("Exit status: 0 success, 1 data error (e.g. a representation of another encoder), 2 usage error.");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  try {
    pv::Model model = pv::loadModel(modelPath);
    if (!uarchPath.empty()) {
      pv::Model table = pv::loadModel(uarchPath);
      if (table.encoderHash != model.encoderHash || table.targetNames != model.targetNames)
        throw pv::StageError(uarchPath, "", "microarchitecture table of encoder " + table.encoderHash +
                                                ", the model's encoder is " + model.encoderHash);
      model.uarchs = table.uarchs;
    }
    for (const auto& path : configPaths) {
      pv::Microarchitecture u = pv::readUarchConfig(path);
      u.representation = pv::parametricRepresentation(model, u, path);
      u.origin = "parametric";
      if (model.uarch(u.name)) u.name += " (parametric)";
      model.uarchs.push_back(std::move(u));
    }
    Truth truth;
    if (!truthPath.empty()) truth = readTruth(truthPath);
    const Truth* truthPtr = truthPath.empty() ? nullptr : &truth;
    auto reader = pv::runtime::StreamReader::open(input);
    if (reader->header().payload != pv::PayloadKind::kProgram)
      throw pv::StageError(reader->name(), "", "expected a program representation (from pv-aggregate)");
    pv::ProgramRepresentation program;
    if (!reader->next(program))
      throw pv::StageError(reader->name(), "", "stream holds no program representation");
    pv::ProgramRepresentation extra;
    if (reader->next(extra))
      throw pv::StageError(reader->name(), "", "more than one program representation in the stream");
    const std::string& hash = reader->header().modelId;
    std::vector<double> errors;
    std::string text = headerLine(model, format, allTargets, intervals, truthPtr != nullptr);
    if (intervals) {
      if (program.intervals.empty())
        throw pv::StageError(reader->name(), "", "--intervals: the representation has no intervals");
      for (const auto& i : program.intervals)
        print(pv::predict(i.sum, i.firstIndex, i.instructions, hash, model, reader->name()), model, format,
              allTargets, true, nullptr, nullptr, text);
    } else {
      print(pv::predict(program.sum, 0, program.instructions, hash, model, reader->name()), model, format,
            allTargets, false, truthPtr, &errors, text);
    }
    if (format == Format::kText && !errors.empty()) {
      double sum = 0, worst = 0;
      for (double e : errors) {
        sum += std::fabs(e);
        worst = std::max(worst, std::fabs(e));
      }
      text += fmt::format("mean |error| {:.2f}%, max {:.2f}% over {} microarchitectures with a truth\n",
                          100 * sum / errors.size(), 100 * worst, errors.size());
    }
    std::FILE* out = output == "-" ? stdout : std::fopen(output.c_str(), "w");
    if (!out) throw pv::StageError(output, "", "cannot create");
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size() || std::fflush(out) != 0)
      throw pv::StageError(output, "", "write failed");
    return 0;
  } catch (const pv::runtime::UpstreamError& e) {
    std::cerr << "pv-dot-predict: upstream stage " << e.stage() << " failed: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "pv-dot-predict: " << e.what() << "\n";
  }
  return 1;
}
