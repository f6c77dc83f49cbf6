#include "stages/runtime/progress_line.h"

#include <cstdio>

namespace pv::runtime {

std::string formatProgressLine(const std::string& stage, uint64_t records, double seconds,
                               bool final) {
  const double rate = seconds > 0 ? records / seconds : 0.0;
  char numbers[96];
  std::snprintf(numbers, sizeof numbers, ": %llu records, %.2f M/s, %.1f s%s",
                static_cast<unsigned long long>(records), rate / 1e6, seconds, final ? "\n" : "   ");
  return stage + numbers;
}

std::optional<ProgressLine> parseProgressLine(std::string_view s) {
  // NAME: N records, R M/s, S s
  size_t colon = s.find(": ");
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  if (s.substr(0, colon).find(' ') != std::string_view::npos) return std::nullopt;
  size_t i = colon + 2;
  auto digits = [&](bool allowDot) {
    size_t start = i;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || (allowDot && s[i] == '.'))) ++i;
    return i > start;
  };
  auto literal = [&](std::string_view text) {
    if (s.substr(i, text.size()) != text) return false;
    i += text.size();
    return true;
  };
  ProgressLine line;
  size_t numberStart = i;
  if (!digits(false)) return std::nullopt;
  for (size_t k = numberStart; k < i; ++k) line.records = line.records * 10 + (s[k] - '0');
  if (!literal(" records, ") || !digits(true) || !literal(" M/s, ") || !digits(true) ||
      !literal(" s"))
    return std::nullopt;
  if (i < s.size() && s[i] != ' ') return std::nullopt;
  while (i < s.size() && s[i] == ' ') ++i;
  line.rest = s.substr(i);
  return line;
}

}  // namespace pv::runtime
