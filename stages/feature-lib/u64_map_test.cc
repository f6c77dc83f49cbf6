// Tests of U64Map against std::unordered_map.
#include "stages/feature-lib/u64_map.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <unordered_map>
#include <vector>

namespace pv::reuse {
namespace {

TEST(U64Map, FindsWhatWasInsertedIncludingTheAllOnesKey) {
  U64Map<uint32_t> m;
  bool inserted = false;
  m.findOrInsert(~uint64_t{0}, &inserted) = 7;
  EXPECT_TRUE(inserted);
  m.findOrInsert(0, &inserted) = 9;
  EXPECT_TRUE(inserted);
  EXPECT_EQ(m.findOrInsert(~uint64_t{0}, &inserted), 7u);
  EXPECT_FALSE(inserted);
  EXPECT_EQ(*m.find(0), 9u);
  EXPECT_EQ(m.find(1), nullptr);
  EXPECT_EQ(m.size(), 2u);
}

TEST(U64Map, GrowsAndShrinksItsTable) {
  U64Map<uint64_t> m;
  bool inserted = false;
  for (uint64_t k = 0; k < 100000; ++k) m.findOrInsert(k * 64, &inserted) = k;
  EXPECT_EQ(m.size(), 100000u);
  EXPECT_GE(m.buckets(), 2 * m.size());
  m.eraseIf([](uint64_t key, uint64_t) { return key >= 64 * 10; });
  EXPECT_EQ(m.size(), 10u);
  EXPECT_LE(m.buckets(), 128u);
  for (uint64_t k = 0; k < 10; ++k) EXPECT_EQ(*m.find(k * 64), k);
}

RC_GTEST_PROP(U64Map, BehavesLikeAnUnorderedMap, ()) {
  // (key, value, erase-below threshold or 0)
  const auto ops = *rc::gen::container<std::vector<std::tuple<uint64_t, uint32_t, uint8_t>>>(
      rc::gen::tuple(rc::gen::oneOf(rc::gen::inRange<uint64_t>(0, 300), rc::gen::just(~uint64_t{0}),
                                    rc::gen::arbitrary<uint64_t>()),
                     rc::gen::arbitrary<uint32_t>(),
                     rc::gen::weightedOneOf<uint8_t>(
                         {{20, rc::gen::just<uint8_t>(0)}, {1, rc::gen::arbitrary<uint8_t>()}})));
  U64Map<uint32_t> m;
  std::unordered_map<uint64_t, uint32_t> ref;
  for (const auto& [key, value, eraseBelow] : ops) {
    bool inserted = false;
    m.findOrInsert(key, &inserted) = value;
    RC_ASSERT(inserted == !ref.contains(key));
    ref[key] = value;
    if (eraseBelow != 0) {
      auto drop = [t = eraseBelow](uint64_t, uint32_t v) { return (v & 0xff) < t; };
      m.eraseIf(drop);
      std::erase_if(ref, [&](const auto& kv) { return drop(kv.first, kv.second); });
    }
    RC_ASSERT(m.size() == ref.size());
  }
  for (const auto& [key, value] : ref) {
    const uint32_t* got = m.find(key);
    RC_ASSERT(got != nullptr);
    RC_ASSERT(*got == value);
  }
  size_t visited = 0;
  m.forEach([&](uint64_t key, uint32_t& value) {
    ++visited;
    RC_ASSERT(ref.at(key) == value);
  });
  RC_ASSERT(visited == ref.size());
}

}  // namespace
}  // namespace pv::reuse
