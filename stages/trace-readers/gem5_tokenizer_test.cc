// The fast gem5 tokenizer against the reference: for any line, split()
// (splitFast, falling back to splitReference) gives the reference's fields,
// or the reference's error with the same line and field; and splitFast
// takes the lines real traces are made of.
#include "stages/trace-readers/gem5_tokenizer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "stages/core/stage_error.h"
#include "tests/tools/gem5_synth.h"

namespace pv::gem5::detail {
namespace {

const std::string kInput = "trace.txt";

// What a split gives: the stored fields, or the error.
struct Outcome {
  std::vector<uint64_t> raw;
  std::vector<bool> neg;
  int count = -1;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  if (!o.error.empty()) return os << "error: " << o.error;
  os << o.count << " fields:";
  for (size_t i = 0; i < o.raw.size(); ++i) os << ' ' << (o.neg[i] ? "-" : "") << o.raw[i];
  return os;
}

Outcome outcome(const Fields& f) {
  Outcome o;
  o.count = f.count;
  for (int i = 0; i < std::min(f.count, kMaxFields); ++i) {
    o.raw.push_back(f.raw[i]);
    o.neg.push_back(f.neg[i]);
  }
  return o;
}

template <class Split>
Outcome run(Split split, std::string_view line) {
  Fields f;
  try {
    split(line, LineRef{kInput, 12}, f);
  } catch (const StageError& e) {
    Outcome o;
    o.error = e.what();
    return o;
  }
  return outcome(f);
}

Outcome reference(std::string_view line) { return run(splitReference, line); }
Outcome combined(std::string_view line) { return run(split, line); }

// The line at the end of a buffer of exactly its size (a read past it is
// an error under ASan), as the reader hands lines over in place.
Outcome combinedExact(const std::string& line) {
  std::vector<char> exact(line.begin(), line.end());
  return combined(std::string_view(exact.data(), exact.size()));
}

// splitFast's answer, checked against the reference whenever it takes the
// line; says whether it did.
bool fastAgrees(const std::string& line, bool* took = nullptr) {
  std::vector<char> exact(line.begin(), line.end());
  Fields f;
  const bool ok = splitFast(std::string_view(exact.data(), exact.size()), f);
  if (took) *took = ok;
  if (!ok) return true;
  const Outcome ref = reference(line);
  return ref.error.empty() && outcome(f) == ref;
}

const char* kLoadLine =
    "0 -1 80500 120500 121000 1500 2500 3000 3000 47 0 0 0 0 0 0 0 0 0 0 0 0 0  "
    "1 549755747984 8 2 -1 -1 -1 0 0 0 0 0 0  4196460 0 0 -1 -1 -1 -1 0 0 0 0 0  "
    "1 1  0 42  0 1";

TEST(Gem5Tokenizer, TakesTheLinesOfRealAndSyntheticTraces) {
  bool took = false;
  EXPECT_TRUE(fastAgrees(kLoadLine, &took));
  EXPECT_TRUE(took);
  synth::Gem5SynthOptions options;
  options.instructions = 3000;
  options.startTick = 5000;
  const synth::Gem5SynthText text = synth::generateGem5Trace(options);
  int lines = 0;
  for (const std::string* all : {&text.trace, &text.sq}) {
    size_t at = 0;
    while (at < all->size()) {
      const size_t nl = all->find('\n', at);
      const std::string line = all->substr(at, nl - at);
      ASSERT_TRUE(fastAgrees(line, &took)) << line;
      ASSERT_TRUE(took) << line;
      at = nl + 1;
      ++lines;
    }
  }
  EXPECT_GT(lines, 3000);
}

TEST(Gem5Tokenizer, ReadsNumbersOfEveryLengthAtEveryPlace) {
  // 1 to 22 digits, the largest and smallest of each length, leading
  // zeros, around 2^63 and 2^64, negative; first, in the middle (read in
  // place) and among the last 16 bytes (read from the copied tail).
  std::vector<std::string> numbers = {"0", "00", "-0", "-00", "18446744073709551615",
                                      "18446744073709551616", "-9223372036854775808",
                                      "-9223372036854775809", "9223372036854775808",
                                      "000000000000000000000000001", "-000000000000000000000009"};
  std::string nines, ten = "1";
  for (int digits = 1; digits <= 22; ++digits) {
    nines += "9";
    numbers.push_back(nines);
    numbers.push_back("-" + nines);
    numbers.push_back(ten);
    numbers.push_back("0" + ten);
    numbers.push_back("-" + ten);
    ten += "0";
  }
  const std::string filler = "1 22 -1 333 4444 55555 0 7 8 9 ";
  for (const std::string& number : numbers) {
    for (const std::string& line :
         {number, filler + number, number + " " + filler, filler + number + " " + filler,
          filler + number + " 5", filler + number + "   ", "  " + number}) {
      EXPECT_EQ(combinedExact(line), reference(line)) << line;
      EXPECT_TRUE(fastAgrees(line)) << line;
    }
  }
}

TEST(Gem5Tokenizer, GivesTheReferencesErrorsAndPositions) {
  const std::string filler = "1 22 -1 333 4444 55555 0 7 8 9 ";
  for (const std::string& bad : std::vector<std::string>{"x", "-", "--1", "1-", "1-2", "- 1", "12a", "0x10", "+1", "1.5",
                                "99999999999999999999", "-9223372036854775809", "1\n2",
                                std::string("1\0", 2), "\xff", "7\xb0"}) {
    for (const std::string& line : {bad, filler + bad, bad + " " + filler, filler + bad + " 5"}) {
      const Outcome ref = reference(line);
      ASSERT_FALSE(ref.error.empty()) << line;
      EXPECT_EQ(combinedExact(line), ref) << line;
      EXPECT_TRUE(fastAgrees(line)) << line;
    }
  }
  EXPECT_EQ(combined(filler + "1-").error, "trace.txt:line 12: field 11: not a number: '1-'");
}

TEST(Gem5Tokenizer, AgreesWhenAnyByteOfALineIsReplaced) {
  // Every byte value at every position of a real line (and the line cut
  // after it): tabs, carriage returns, newlines, NULs, high bytes, minus
  // signs and blanks in every place.
  const std::string line = kLoadLine;
  for (size_t at = 0; at < line.size(); ++at) {
    for (int c = 0; c < 256; ++c) {
      std::string changed = line;
      changed[at] = static_cast<char>(c);
      ASSERT_EQ(combinedExact(changed), reference(changed)) << "byte " << c << " at " << at;
      ASSERT_TRUE(fastAgrees(changed)) << "byte " << c << " at " << at;
      changed.resize(at + 1);
      ASSERT_EQ(combinedExact(changed), reference(changed)) << "byte " << c << " at " << at;
    }
  }
}

TEST(Gem5Tokenizer, AgreesOnEveryShortLineOfASmallAlphabet) {
  // Every line of up to 6 characters from digits, '-', blanks and a letter.
  const std::string alphabet = "019- \t\rx";
  std::string line;
  for (int length = 0; length <= 6; ++length) {
    std::vector<int> digit(length, 0);
    for (;;) {
      line.assign(length, ' ');
      for (int i = 0; i < length; ++i) line[i] = alphabet[digit[i]];
      ASSERT_EQ(combinedExact(line), reference(line)) << '"' << line << '"';
      ASSERT_TRUE(fastAgrees(line)) << '"' << line << '"';
      int i = 0;
      while (i < length && ++digit[i] == static_cast<int>(alphabet.size())) digit[i++] = 0;
      if (i == length) break;
    }
  }
}

TEST(Gem5Tokenizer, StopsTakingLinesAtTheFieldLimit) {
  std::string line;
  for (int i = 0; i < kMaxFields; ++i) line += std::to_string(i % 10) + " ";
  bool took = false;
  EXPECT_TRUE(fastAgrees(line, &took));
  EXPECT_TRUE(took);
  line += "7";
  EXPECT_TRUE(fastAgrees(line, &took));
  EXPECT_FALSE(took);
  EXPECT_EQ(combinedExact(line), reference(line));
  EXPECT_EQ(combinedExact(line).count, kMaxFields + 1);
}

// A token as gem5 would write it, or one of the mistakes of a damaged file.
rc::Gen<std::string> token() {
  return rc::gen::oneOf(
      // Digits and signs as numbers are written, of any length to 25.
      rc::gen::map(rc::gen::pair(rc::gen::inRange(0, 4),
                                 rc::gen::container<std::string>(
                                     rc::gen::element('0', '1', '2', '5', '7', '9'))),
                   [](const std::pair<int, std::string>& p) {
                     std::string digits = p.second.substr(0, 25);
                     return (p.first == 0 ? "-" : "") + digits;
                   }),
      // Values near the 64-bit limits.
      rc::gen::map(rc::gen::arbitrary<uint64_t>(), [](uint64_t v) { return std::to_string(v); }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t v) { return std::to_string(v); }),
      rc::gen::element<std::string>("18446744073709551616", "-9223372036854775809",
                                    "-9223372036854775808", "0000000000000000000042"),
      // Small values, the common case.
      rc::gen::map(rc::gen::inRange(-1, 100), [](int v) { return std::to_string(v); }),
      // Anything.
      rc::gen::container<std::string>(rc::gen::element('0', '5', '-', 'a', '\t', '\r', '\n',
                                                       '\0', '\xff', '+', '.')));
}

rc::Gen<std::string> blank() {
  return rc::gen::oneOf(rc::gen::element<std::string>(" ", " ", " ", "  ", "   "),
                        rc::gen::container<std::string>(rc::gen::element(' ', '\t', '\r')));
}

RC_GTEST_PROP(Gem5Tokenizer, FastSplitGivesTheReferencesFieldsOrError, ()) {
  const auto tokens = *rc::gen::container<std::vector<std::string>>(token());
  std::string line = *rc::gen::element<std::string>("", "", " ", "\t", "  ");
  for (const std::string& t : tokens) line += t + *blank();
  if (*rc::gen::arbitrary<bool>() && !line.empty()) line.pop_back();
  RC_ASSERT(combinedExact(line) == reference(line));
  RC_ASSERT(fastAgrees(line));
}

RC_GTEST_PROP(Gem5Tokenizer, FastSplitTakesWellFormedLines, ()) {
  // Spaces between tokens of 1 to 15 digits (optionally negative): always
  // the fast path, and the reference's numbers.
  const int count = *rc::gen::inRange(0, kMaxFields + 1);
  std::string line;
  for (int i = 0; i < count; ++i) {
    const int digits = *rc::gen::inRange(1, 16);
    std::string t = *rc::gen::element<std::string>("", "", "-");
    for (int d = 0; d < digits; ++d) t += static_cast<char>('0' + *rc::gen::inRange(0, 10));
    line += t + std::string(*rc::gen::inRange(1, 3), ' ');
  }
  bool took = false;
  RC_ASSERT(fastAgrees(line, &took));
  RC_ASSERT(took);
}

}  // namespace
}  // namespace pv::gem5::detail
