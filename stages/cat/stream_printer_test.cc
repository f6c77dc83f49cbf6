// pv-cat's JSON Lines (nlohmann-json): every value is the one the text and
// CSV forms print, names of any content are escaped, NaN is null.

#include "stages/cat/stream_printer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <sstream>

namespace pv {
namespace {

// The values of a CSV row after its first `skip` fields.
std::vector<double> csvValues(const std::string& line, size_t skip) {
  std::vector<double> out;
  std::stringstream in(line);
  size_t k = 0;
  for (std::string field; std::getline(in, field, ',');)
    if (k++ >= skip) out.push_back(std::stod(field));
  return out;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(StreamPrinter, jsonFeatureValuesAreTheValuesTheCsvPrints) {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a", "b", "c", "d", "e", "f"};
  FeatureBatch b;
  b.firstIndex = 7;
  b.columns = 6;
  b.values = {0.1f, 3.0f, 1234567.0f, -2.5e-7f, 1.0f / 3.0f, 65536.0f};
  std::string csv, json;
  StreamPrinter csvPrinter(PrintFormat::kCsv, PrintWhat::kRecords), jsonPrinter(PrintFormat::kJson, PrintWhat::kRecords);
  csvPrinter.begin(h, csv);
  csvPrinter.print(b, csv);
  jsonPrinter.begin(h, json);
  jsonPrinter.print(b, json);
  const std::vector<double> expected = csvValues(lines(csv).at(1), 1);
  ASSERT_EQ(lines(json).size(), 1u);
  nlohmann::json row = nlohmann::json::parse(lines(json)[0]);
  EXPECT_EQ(row["index"], 7);
  ASSERT_EQ(row["features"].size(), 6u);
  for (size_t c = 0; c < 6; ++c) EXPECT_EQ(row["features"][c].get<double>(), expected[c]) << c;
  // Whole values stay integers; the rest keep the text's digits.
  EXPECT_EQ(lines(json)[0], "{\"index\":7,\"features\":[0.1,3,1234570,-2.5e-07,0.333333,65536]}");
}

TEST(StreamPrinter, jsonPendingColumnsAreNullAndLabelsAreNamedSo) {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.featureColumns = {"a", "b"};
  h.targetNames = {"t"};
  h.uarchNames = {"u"};
  FeatureBatch b;
  b.columns = 2;
  b.values = {std::numeric_limits<float>::quiet_NaN(), 2.0f};
  b.labels = {12.75f};
  std::string records, labels;
  StreamPrinter r(PrintFormat::kJson, PrintWhat::kRecords), l(PrintFormat::kJson, PrintWhat::kLabels);
  r.begin(h, records);
  r.print(b, records);
  l.begin(h, labels);
  l.print(b, labels);
  EXPECT_EQ(records, "{\"index\":0,\"features\":[null,2]}\n");
  EXPECT_EQ(labels, "{\"index\":0,\"labels\":[12.75]}\n");
}

TEST(StreamPrinter, jsonProgramRepresentationsKeepEveryDouble) {
  StreamHeader h;
  h.payload = PayloadKind::kProgram;
  h.representationDim = 3;
  ProgramRepresentation p;
  p.instructions = 100;
  p.sum = {0.1, 1.0 / 3.0, -12345.678901234567};
  p.intervals.push_back({0, 60, {1e-300, 2.0, 3.5}});
  std::string json;
  StreamPrinter printer(PrintFormat::kJson, PrintWhat::kRecords);
  printer.begin(h, json);
  printer.print(p, json);
  const auto rows = lines(json);
  ASSERT_EQ(rows.size(), 2u);
  nlohmann::json total = nlohmann::json::parse(rows[0]), interval = nlohmann::json::parse(rows[1]);
  EXPECT_EQ(total["first_index"], 0);
  EXPECT_EQ(total["instructions"], 100);
  for (size_t d = 0; d < 3; ++d) EXPECT_EQ(total["r"][d].get<double>(), p.sum[d]) << d;
  for (size_t d = 0; d < 3; ++d) EXPECT_EQ(interval["r"][d].get<double>(), p.intervals[0].sum[d]) << d;
  EXPECT_EQ(interval["instructions"], 60);
}

TEST(StreamPrinter, jsonInstructionsCarryEveryField) {
  StreamHeader h;
  InstructionBatch b;
  b.firstIndex = 3;
  Instruction i{};
  i.pc = 0x401000;
  i.opClass = 1;
  i.dataAddr = 0x7000;
  i.accessSize = 8;
  i.srcCount = 1;
  i.src[0] = {0, 5};
  b.rows.push_back(i);
  std::string json;
  StreamPrinter printer(PrintFormat::kJson, PrintWhat::kRecords);
  printer.begin(h, json);
  printer.print(b, json);
  EXPECT_EQ(json,
            "{\"index\":3,\"is_fault\":0,\"sq_index\":-1,\"op_class\":1,\"flags\":0,\"eff_addr_valid\":0,"
            "\"data_addr\":28672,\"access_size\":8,\"data_depth\":-1,\"pc\":4198400,\"branching\":0,"
            "\"mispredicted\":0,\"fetch_depth\":-1,\"src\":\"0:5\",\"dst\":\"\"}\n");
}

TEST(StreamPrinter, jsonHeaderEscapesAnyName) {
  StreamHeader h;
  h.payload = PayloadKind::kFeatures;
  h.source = "dir/\"quoted\"\\path\nwith\tcontrol\x01 and bad \xff UTF-8";
  h.stages = {"pv-trace-tap", "pv-feature"};
  h.featureColumns = {"a"};
  h.pendingColumns = {0};
  h.hasAddresses = true;
  h.modelId = "m";
  std::string json;
  StreamPrinter::describe(h, PrintFormat::kJson, json);
  ASSERT_EQ(json.back(), '\n');
  nlohmann::json d = nlohmann::json::parse(json);
  // Invalid UTF-8 becomes U+FFFD (JSON text is UTF-8); the rest is kept.
  EXPECT_EQ(d["source"], "dir/\"quoted\"\\path\nwith\tcontrol\x01 and bad \xef\xbf\xbd UTF-8");
  EXPECT_EQ(d["payload"], "features");
  EXPECT_EQ(d["stages"], nlohmann::json({"pv-trace-tap", "pv-feature"}));
  EXPECT_EQ(d["pending_columns"], nlohmann::json({0}));
  EXPECT_EQ(d["has_addresses"], true);
  EXPECT_EQ(d["target_names"], nlohmann::json::array());
  EXPECT_EQ(d["model_id"], "m");
  EXPECT_EQ(json.substr(0, 40), "{\"payload\":\"features\",\"source\":\"dir/\\\"qu");
}

}  // namespace
}  // namespace pv
