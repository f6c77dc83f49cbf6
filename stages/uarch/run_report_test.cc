// Run reports in JSON (nlohmann-json): every value is the one the CSV form
// prints, names stay strings, absent levels are null.

#include "stages/uarch/run_report.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace pv::uarch {
namespace {

RunReport report(const std::string& name, const std::string& time) {
  RunReport r;
  r.values = {{"uarch", name},          {"core", "in_order"},   {"frequency_ghz", "2.5"},
              {"instructions", "20000"}, {"cycles", "123457"},  {"time_ns", time},
              {"cpi", "6.17285"},        {"ipc", "0.162"},      {"mispredict_rate", "1e-05"},
              {"l3_accesses", ""},       {"dram_bytes", "1.5e+06"}};
  return r;
}

TEST(RunReport, jsonValuesAreTheValuesOfTheCsv) {
  const std::vector<RunReport> reports = {report("s5-0000", "49382.800"), report("1234", "1000.000")};
  const std::string json = formatReports(reports, ReportFormat::kJson);
  EXPECT_EQ(json,
            "[\n"
            "  {\"uarch\":\"s5-0000\",\"core\":\"in_order\",\"frequency_ghz\":2.5,\"instructions\":20000,"
            "\"cycles\":123457,\"time_ns\":49382.8,\"cpi\":6.17285,\"ipc\":0.162,\"mispredict_rate\":1e-05,"
            "\"l3_accesses\":null,\"dram_bytes\":1500000.0},\n"
            "  {\"uarch\":\"1234\",\"core\":\"in_order\",\"frequency_ghz\":2.5,\"instructions\":20000,"
            "\"cycles\":123457,\"time_ns\":1000.0,\"cpi\":6.17285,\"ipc\":0.162,\"mispredict_rate\":1e-05,"
            "\"l3_accesses\":null,\"dram_bytes\":1500000.0}\n"
            "]\n");
  const nlohmann::json parsed = nlohmann::json::parse(json);
  ASSERT_EQ(parsed.size(), 2u);
  for (size_t i = 0; i < reports.size(); ++i)
    for (const auto& [key, text] : reports[i].values) {
      const nlohmann::json& v = parsed[i][key];
      if (key == "uarch" || key == "core") EXPECT_EQ(v.get<std::string>(), text);
      else if (text.empty()) EXPECT_TRUE(v.is_null()) << key;
      else EXPECT_EQ(v.get<double>(), std::stod(text)) << key;
    }
  EXPECT_TRUE(parsed[1]["uarch"].is_string());  // a name that looks like a number
  EXPECT_TRUE(parsed[0]["instructions"].is_number_unsigned());
}

TEST(RunReport, csvAndTextKeepTheirText) {
  const std::vector<RunReport> reports = {report("a", "49382.800")};
  EXPECT_EQ(formatReports(reports, ReportFormat::kCsv),
            "uarch,core,frequency_ghz,instructions,cycles,time_ns,cpi,ipc,mispredict_rate,l3_accesses,dram_bytes\n"
            "a,in_order,2.5,20000,123457,49382.800,6.17285,0.162,1e-05,,1.5e+06\n");
}

}  // namespace
}  // namespace pv::uarch
