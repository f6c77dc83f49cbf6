#include "stages/model-lib/feature_stats.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "stages/core/stage_error.h"

namespace pv {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::vector<std::string> splitCommas(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) out.push_back(trim(field));
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

double number(const std::string& field, const std::string& where, const std::string& pos,
              const char* what) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(field.c_str(), &end);
  if (field.empty() || end != field.c_str() + field.size() || errno == ERANGE || !std::isfinite(v))
    throw StageError(where, pos, fmt::format("{} '{}' is not a finite number", what, field));
  return v;
}

}  // namespace

FeatureStats parseFeatureStatsCsv(const std::string& text, const std::string& where, size_t features) {
  FeatureStats s;
  std::stringstream in(text);
  std::string line;
  size_t lineNo = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++lineNo;
    line = trim(line);
    if (line.empty()) continue;
    const std::string pos = fmt::format("{}", lineNo);
    auto f = splitCommas(line);
    if (!header) {
      if (f != std::vector<std::string>{"feature_index", "mean", "std"})
        throw StageError(where, pos, "expected the header 'feature_index,mean,std'");
      header = true;
      continue;
    }
    if (f.size() != 3) throw StageError(where, pos, fmt::format("{} fields, expected 3", f.size()));
    const double index = number(f[0], where, pos, "feature index");
    if (index != static_cast<double>(s.mean.size()))
      throw StageError(where, pos, fmt::format("feature index {}, expected {}", f[0], s.mean.size()));
    const double mean = number(f[1], where, pos, "mean");
    const double sd = number(f[2], where, pos, "std");
    if (sd < 0) throw StageError(where, pos, fmt::format("negative standard deviation {}", f[2]));
    s.mean.push_back(static_cast<float>(mean));
    s.stddev.push_back(static_cast<float>(sd));
  }
  if (!header) throw StageError(where, "", "empty statistics file");
  if (s.mean.size() != features)
    throw StageError(where, fmt::format("{}", lineNo),
                     fmt::format("statistics for {} features, expected {}", s.mean.size(), features));
  return s;
}

FeatureStats readFeatureStatsCsv(const std::string& path, size_t features) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw StageError(path, "", std::string("cannot open: ") + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw StageError(path, "", "read error");
  return parseFeatureStatsCsv(text.str(), path, features);
}

std::string formatFeatureStatsCsv(const FeatureStats& stats) {
  std::string out = "feature_index,mean,std\n";
  for (size_t i = 0; i < stats.mean.size(); ++i)
    out += fmt::format("{},{},{}\n", i, stats.mean[i], stats.stddev[i]);
  return out;
}

}  // namespace pv
