// SplitMix64 (Steele, Lea and Flood, 2014): the project's one small
// deterministic generator. Its sequence is fixed bit for bit on every
// platform (std:: distributions are not), so seeds reproduce initial
// weights, chunk orders, sampled microarchitectures and test inputs.
#pragma once

#include <cstdint>

namespace pv {

class SplitMix64 {
 public:
  static constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ull;

  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() { return finalize(state_ += kGamma); }

  // In [0, n), n > 0 (by modulo: the bias is below n / 2^64).
  uint64_t below(uint64_t n) { return next() % n; }

  // Uniform in [0, 1) from the top 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // The output function: a strong 64-bit mix of one word.
  static constexpr uint64_t finalize(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // The first output of a generator seeded with `x`: a stateless hash.
  static constexpr uint64_t hash(uint64_t x) { return finalize(x + kGamma); }

 private:
  uint64_t state_;
};

}  // namespace pv
