// StreamPrinter: text, CSV and JSON Lines renderings of streams.

#include "stages/cat/stream_printer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <limits>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

using Json = nlohmann::ordered_json;  // keys in the order written

// A value as JSON, with the value its text form has ("{:g}": six
// significant digits; "{:.17g}": the double itself). Whole values stay
// integers ("3", as the text had it); others are the double nearest the
// text, which nlohmann prints in its shortest round-trip form: the same
// digits, though an exponent form may come out positional (1.23457e+06 is
// 1234570). JSON has no NaN: pending (not yet computed) columns are null.
template <class T>
Json jsonNumber(T v, fmt::string_view spec) {
  if (std::isnan(v)) return nullptr;
  char text[64];
  const auto end = fmt::format_to_n(text, sizeof text, fmt::runtime(spec), v).out;
  double value = 0;
  std::from_chars(text, end, value);
  if (value == std::trunc(value) && std::abs(value) < 0x1p53) return static_cast<int64_t>(value);
  return value;
}

// Lines of JSON: invalid UTF-8 in a name (a source path, say) becomes
// U+FFFD instead of making the line invalid JSON.
void appendJsonLine(std::string& out, const Json& line) {
  out += line.dump(-1, ' ', false, Json::error_handler_t::replace);
  out += '\n';
}

std::vector<std::string> instructionColumns() {
  return {"index", "is_fault", "sq_index", "op_class", "flags", "eff_addr_valid",
          "data_addr", "access_size", "data_depth", "pc", "branching",
          "mispredicted", "fetch_depth", "n_src", "n_dst", "src", "dst",
          "fetch_tick", "retire_latency"};
}

}  // namespace

void StreamPrinter::begin(const StreamHeader& header, std::string& out) {
  if (what_ == PrintWhat::kLabels) {
    if (!header.labelled())
      throw StageError("", "", "--labels: the stream carries no labels");
    labelWidth_ = header.labelWidth();
    for (const auto& u : header.uarchNames)
      for (const auto& t : header.targetNames)
        names_.push_back(header.uarchNames.size() == 1 ? t : u + "." + t);
  } else if (header.payload == PayloadKind::kFeatures || header.payload == PayloadKind::kWindows) {
    names_ = header.featureColumns;
  } else if (header.payload == PayloadKind::kRepresentations ||
             header.payload == PayloadKind::kProgram) {
    names_ = {"first_index", "instructions"};
    for (uint32_t d = 0; d < header.representationDim; ++d) names_.push_back("r" + std::to_string(d));
  } else {
    names_ = instructionColumns();
  }
  if (format_ == PrintFormat::kCsv) {
    if (what_ == PrintWhat::kRecords &&
        (header.payload == PayloadKind::kFeatures || header.payload == PayloadKind::kWindows))
      out += "index,";
    if (what_ == PrintWhat::kLabels) out += "index,";
    for (size_t i = 0; i < names_.size(); ++i) {
      if (i) out += ',';
      out += names_[i];
    }
    out += '\n';
  }
}

void StreamPrinter::printRow(const float* values, size_t count, uint64_t index,
                             std::string& out) {
  auto it = std::back_inserter(out);
  switch (format_) {
    case PrintFormat::kText:
      // "%g " per value: byte-compatible with PerfVec's reference dumps.
      for (size_t c = 0; c < count; ++c) fmt::format_to(it, "{:g} ", values[c]);
      out += '\n';
      break;
    case PrintFormat::kCsv:
      fmt::format_to(it, "{}", index);
      for (size_t c = 0; c < count; ++c) fmt::format_to(it, ",{:g}", values[c]);
      out += '\n';
      break;
    case PrintFormat::kJson: {
      Json row = {{"index", index}, {what_ == PrintWhat::kLabels ? "labels" : "features", Json::array()}};
      Json& list = row.back();
      for (size_t c = 0; c < count; ++c) list.push_back(jsonNumber(values[c], "{:g}"));
      appendJsonLine(out, row);
      break;
    }
  }
}

void StreamPrinter::print(const FeatureBatch& batch, std::string& out) {
  const size_t rows = batch.rows();
  for (size_t r = 0; r < rows; ++r) {
    if (what_ == PrintWhat::kLabels)
      printRow(batch.labels.data() + r * labelWidth_, labelWidth_, batch.firstIndex + r, out);
    else
      printRow(batch.row(r), batch.columns, batch.firstIndex + r, out);
  }
}

void StreamPrinter::print(const InstructionBatch& batch, std::string& out) {
  auto it = std::back_inserter(out);
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    const uint64_t index = batch.firstIndex + r;
    if (what_ == PrintWhat::kLabels) {
      printRow(batch.labels.data() + r * labelWidth_, labelWidth_, index, out);
      continue;
    }
    const Instruction& i = batch.rows[r];
    std::string src, dst;
    for (unsigned k = 0; k < i.srcCount; ++k)
      fmt::format_to(std::back_inserter(src), "{}{}:{}", k ? " " : "", i.src[k].regClass, i.src[k].index);
    for (unsigned k = 0; k < i.dstCount; ++k)
      fmt::format_to(std::back_inserter(dst), "{}{}:{}", k ? " " : "", i.dst[k].regClass, i.dst[k].index);
    const char* sep = format_ == PrintFormat::kCsv ? "," : " ";
    if (format_ == PrintFormat::kJson) {
      Json row = {{"index", index},
                  {"is_fault", int(i.isFault)},
                  {"sq_index", i.sqIndex},
                  {"op_class", i.opClass},
                  {"flags", i.flags},
                  {"eff_addr_valid", int(i.effAddrValid)},
                  {"data_addr", i.dataAddr},
                  {"access_size", i.accessSize},
                  {"data_depth", int(i.dataDepth)},
                  {"pc", i.pc},
                  {"branching", int(i.branching)},
                  {"mispredicted", int(i.mispredicted)},
                  {"fetch_depth", int(i.fetchDepth)},
                  {"src", src},
                  {"dst", dst}};
      if (i.hasTiming) {
        row["fetch_tick"] = i.timing.fetchTick;
        row["retire_latency"] = i.timing.retireLatency;
      }
      appendJsonLine(out, row);
    } else {
      fmt::format_to(it, "{1}{0}{2}{0}{3}{0}{4}{0}{5}{0}{6}{0}{7}{0}{8}{0}{9}{0}{10}{0}{11}{0}{12}{0}{13}{0}{14}{0}{15}{0}{16}{0}{17}",
                     sep, index, int(i.isFault), i.sqIndex, i.opClass, i.flags,
                     int(i.effAddrValid), i.dataAddr, i.accessSize, int(i.dataDepth), i.pc,
                     int(i.branching), int(i.mispredicted), int(i.fetchDepth), int(i.srcCount),
                     int(i.dstCount), src.empty() ? "-" : src, dst.empty() ? "-" : dst);
      if (i.hasTiming)
        fmt::format_to(it, "{0}{1}{0}{2}", sep, i.timing.fetchTick, i.timing.retireLatency);
      else
        fmt::format_to(it, "{0}{0}", sep);
      out += '\n';
    }
  }
}

namespace {

// A row of a representation: first instruction, count, values.
template <class T>
void printRepresentationRow(PrintFormat format, uint64_t first, uint64_t count, const T* values,
                            size_t dim, const char* fmtSpec, std::string& out) {
  auto it = std::back_inserter(out);
  switch (format) {
    case PrintFormat::kText:
      for (size_t d = 0; d < dim; ++d) {
        fmt::format_to(it, fmt::runtime(fmtSpec), values[d]);
        out += ' ';
      }
      out += '\n';
      break;
    case PrintFormat::kCsv:
      fmt::format_to(it, "{},{}", first, count);
      for (size_t d = 0; d < dim; ++d) {
        out += ',';
        fmt::format_to(it, fmt::runtime(fmtSpec), values[d]);
      }
      out += '\n';
      break;
    case PrintFormat::kJson: {
      Json row = {{"first_index", first}, {"instructions", count}, {"r", Json::array()}};
      Json& list = row.back();
      for (size_t d = 0; d < dim; ++d) list.push_back(jsonNumber(values[d], fmtSpec));
      appendJsonLine(out, row);
      break;
    }
  }
}

}  // namespace

void StreamPrinter::print(const RepresentationBatch& batch, std::string& out) {
  uint64_t first = batch.firstIndex;
  for (size_t r = 0; r < batch.rows(); ++r) {
    printRepresentationRow(format_, first, batch.instructions[r], batch.values.data() + r * batch.dim,
                           batch.dim, "{:g}", out);
    first += batch.instructions[r];
  }
}

void StreamPrinter::print(const IntervalRepresentation& interval, std::string& out) {
  printRepresentationRow(format_, interval.firstIndex, interval.instructions, interval.sum.data(),
                         interval.sum.size(), "{:.17g}", out);
}

void StreamPrinter::print(const ProgramPart& part, std::string& out) {
  std::visit([&](const auto& p) { print(p, out); }, part);
}

void StreamPrinter::print(const ProgramRepresentation& program, std::string& out) {
  // Double precision, round-trippable.
  printRepresentationRow(format_, 0, program.instructions, program.sum.data(), program.sum.size(),
                         "{:.17g}", out);
  for (const auto& interval : program.intervals) print(interval, out);
}

void StreamPrinter::describe(const StreamHeader& h, PrintFormat format, std::string& out) {
  auto it = std::back_inserter(out);
  const char* payload = "instructions";
  switch (h.payload) {
    case PayloadKind::kInstructions: break;
    case PayloadKind::kFeatures: payload = "features"; break;
    case PayloadKind::kWindows: payload = "windows"; break;
    case PayloadKind::kRepresentations: payload = "representations"; break;
    case PayloadKind::kProgram: payload = "program"; break;
  }
  if (format == PrintFormat::kJson) {
    appendJsonLine(out, Json{{"payload", payload},
                             {"source", h.source},
                             {"stages", h.stages},
                             {"feature_columns", h.featureColumns},
                             {"pending_columns", h.pendingColumns},
                             {"has_addresses", h.hasAddresses},
                             {"target_names", h.targetNames},
                             {"uarch_names", h.uarchNames},
                             {"model_id", h.modelId}});
    return;
  }
  fmt::format_to(it, "payload: {}\nsource: {}\nstages: {}\n", payload, h.source,
                 fmt::join(h.stages, " | "));
  if (!h.featureColumns.empty())
    fmt::format_to(it, "feature columns ({}): {}\n", h.featureColumns.size(),
                   fmt::join(h.featureColumns, " "));
  if (!h.pendingColumns.empty())
    fmt::format_to(it, "pending columns: {}\n", fmt::join(h.pendingColumns, " "));
  fmt::format_to(it, "address side columns: {}\n", h.hasAddresses ? "yes" : "no");
  if (h.labelled())
    fmt::format_to(it, "labels: {} targets x {} microarchitectures ({})\n", h.targetNames.size(),
                   h.uarchNames.size(), fmt::join(h.uarchNames, " "));
  if (!h.modelId.empty()) fmt::format_to(it, "model: {}\n", h.modelId);
  if (h.window) fmt::format_to(it, "window: {} instructions, chunk: {}\n", h.window, h.chunk);
  if (h.representationDim)
    fmt::format_to(it, "representation width: {}{}\n", h.representationDim,
                   h.payload == PayloadKind::kRepresentations
                       ? (h.perInstruction ? " (one row per instruction)" : " (one sum per chunk)")
                       : "");
}

}  // namespace pv
