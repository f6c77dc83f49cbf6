// splitReference: the original tokenizer, character by character (eight
// digits at a time, std::from_chars for overflow checks); splitFast: the
// common case in place with a sentinel-terminated tail (gem5_tokenizer.h).
#include "stages/trace-readers/gem5_tokenizer.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <string>

#include "stages/core/stage_error.h"

namespace pv::gem5::detail {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the digit scanners read little-endian words");

[[noreturn, gnu::noinline, gnu::cold]] void fail(LineRef where, std::string reason) {
  throw StageError(where.input, "line " + std::to_string(where.line), std::move(reason));
}

[[noreturn, gnu::noinline, gnu::cold]] void failNotNumber(LineRef where,
                                                          int column,
                                                          const char* begin,
                                                          const char* end) {
  const char* stop = begin;
  while (stop < end && *stop != ' ' && *stop != '\t' && *stop != '\r') ++stop;
  std::string token(begin, std::min<size_t>(stop - begin, 32));
  fail(where, "field " + std::to_string(column + 1) + ": not a number: '" +
                  token + "'");
}

[[noreturn, gnu::noinline, gnu::cold]] void failTooLarge(LineRef where,
                                                         int column) {
  fail(where, "field " + std::to_string(column + 1) +
                  ": number out of 64-bit range");
}

inline bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

inline uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Eight characters at a time (little-endian words): bit 7 of byte i of the
// result is set when character i is not a decimal digit. Carries and
// borrows only move towards later characters, so the first set byte is
// exact.
inline uint64_t nonDigitMask(uint64_t w) {
  return ((w + 0x4646464646464646ull) | (w - 0x3030303030303030ull)) &
         0x8080808080808080ull;
}

// The value of the digits in the high bytes of `v` (the low bytes zero):
// byte 0 is the most significant position.
inline uint64_t swarValue(uint64_t v) {
  v = ((v & 0x0f0f0f0f0f0f0f0full) * 2561) >> 8;
  v = ((v & 0x00ff00ff00ff00ffull) * 6553601) >> 16;
  return ((v & 0x0000ffff0000ffffull) * 42949672960001ull) >> 32;
}

// The value of the first `len` (1-8) characters of `w`, all digits.
inline uint64_t swarDigits(uint64_t w, unsigned len) {
  return swarValue(w << (8 * (8 - len)));  // leading positions become zero bytes
}

constexpr uint64_t kPow10[8] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

}  // namespace

void splitReference(std::string_view line, LineRef where, Fields& f) {
  const char* p = line.data();
  const char* const end = p + line.size();
  int n = 0;
  for (;;) {
    while (p < end && isBlank(*p)) ++p;
    if (p == end) break;
    const char* const token = p;
    bool neg = false;
    if (*p == '-') {
      neg = true;
      ++p;
    }
    uint64_t mag = 0;
    const char* q = p;
    uint64_t m = 0;
    // A line may end in '-' (found by gem5_tokenizer_test: this read the
    // byte after the line).
    const unsigned d0 = p < end ? static_cast<unsigned char>(*p) - unsigned{'0'} : 10u;
    if (d0 <= 9 && (p + 1 == end || isBlank(p[1]))) {
      // Most fields are one digit.
      mag = d0;
      q = p + 1;
      m = 1;
    } else if (end - p >= 8) {
      uint64_t w = load64(p);
      m = nonDigitMask(w);
      if (m != 0) {
        const unsigned len = static_cast<unsigned>(std::countr_zero(m)) >> 3;
        if (len != 0) mag = swarDigits(w, len);
        q = p + len;
      }
    }
    if (m == 0) {
      // Long numbers and the last bytes of a line, digit by digit;
      // std::from_chars re-reads very long ones to catch overflow.
      while (q < end) {
        const unsigned d = static_cast<unsigned char>(*q) - unsigned{'0'};
        if (d > 9) break;
        mag = mag * 10 + d;
        ++q;
      }
    }
    if (q == p || (q < end && !isBlank(*q))) [[unlikely]]
      failNotNumber(where, n, token, end);
    if (q - p > 19) [[unlikely]] {
      auto [r, ec] = std::from_chars(p, q, mag);
      if (ec != std::errc{} || r != q) failTooLarge(where, n);
    }
    if (neg && mag > (uint64_t{1} << 63)) failTooLarge(where, n);
    if (n < kMaxFields) {
      f.raw[n] = neg ? uint64_t{0} - mag : mag;
      f.neg[n] = neg;
    }
    ++n;
    p = q;
  }
  f.count = n;
}

namespace {

// One token of splitFast at `p` (not a blank): stores it as field `count`
// and returns the character after it, or null when the line is not one
// splitFast takes. Reads up to 16 bytes from `p` (past a minus sign).
// `kTail`: the line ends in a '\n' sentinel (the copied tail), which may
// end the token; otherwise only a space may.
template <bool kTail>
inline const char* fastToken(const char* p, Fields& f, int count) {
  // A branch, not arithmetic: `p` then does not wait for the load (a
  // data dependency through p from token to token costs more than the
  // branch's mispredictions).
  bool neg = false;
  if (*p == '-') {
    neg = true;
    ++p;
  }
  uint64_t mag;
  const unsigned d0 = static_cast<unsigned char>(*p) - unsigned{'0'};
  const char after = p[1];
  if (d0 <= 9 && (after == ' ' || (kTail && after == '\n'))) {
    // Most fields are one digit.
    mag = d0;
    ++p;
  } else {
    const uint64_t w = load64(p);
    const uint64_t m = nonDigitMask(w);
    if (m != 0) {
      const unsigned len = static_cast<unsigned>(std::countr_zero(m)) >> 3;
      if (len == 0) return nullptr;  // '-' alone, or not a digit
      mag = swarDigits(w, len);
      p += len;
    } else {
      // Eight digits, then up to seven more (16 or more, which may
      // overflow or carry leading zeros, are the reference's).
      const uint64_t w2 = load64(p + 8);
      const uint64_t m2 = nonDigitMask(w2);
      if (m2 == 0) return nullptr;
      const unsigned len = static_cast<unsigned>(std::countr_zero(m2)) >> 3;
      mag = swarValue(w);
      if (len != 0) mag = mag * kPow10[len] + swarDigits(w2, len);
      p += 8 + len;
    }
    if (*p != ' ' && !(kTail && *p == '\n')) return nullptr;
  }
  f.raw[count] = neg ? uint64_t{0} - mag : mag;  // two's complement when negative
  f.neg[count] = neg;
  return p;
}

}  // namespace

bool splitFast(std::string_view line, Fields& f) {
  // Trailing spaces off: the space skipping below stops inside the line.
  size_t n = line.size();
  while (n > 0 && line[n - 1] == ' ') --n;
  const char* p = line.data();
  const char* const end = p + n;
  int count = 0;
  // Tokens that start more than 16 bytes before the end are read in place
  // (no copy of the line: whole-word loads from bytes just copied would
  // stall on store forwarding); the rest from a copy of the tail that ends
  // in a '\n' sentinel and slack for whole-word reads.
  if (n > 16) {
    const char* const safe = end - 16;
    while (*p == ' ') ++p;
    while (p < safe) {
      if (count == kMaxFields) return false;
      p = fastToken<false>(p, f, count);
      if (p == nullptr) return false;
      ++count;
      // A token in place ends at a space: step over it, then over any more.
      ++p;
      while (*p == ' ') ++p;
    }
  }
  char tail[16 + 24];
  const size_t left = static_cast<size_t>(end - p);
  if (left != 0) std::memcpy(tail, p, left);  // an empty line's data may be null
  std::memset(tail + left, '\n', 24);
  p = tail;
  for (;;) {
    while (*p == ' ') ++p;
    if (*p == '\n') {
      if (p != tail + left) return false;  // a '\n' of the line's own
      break;
    }
    if (count == kMaxFields) return false;
    p = fastToken<true>(p, f, count);
    if (p == nullptr) return false;
    ++count;
  }
  f.count = count;
  return true;
}

}  // namespace pv::gem5::detail
