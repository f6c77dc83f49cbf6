// The progress line's two sides agree: what a stage prints, pv-launch reads.
#include "stages/runtime/progress_line.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace pv::runtime {
namespace {

TEST(ProgressLine, FormatsTheStagesLine) {
  EXPECT_EQ(formatProgressLine("pv-feature", 2500000, 2.0, false),
            "pv-feature: 2500000 records, 1.25 M/s, 2.0 s   ");
  EXPECT_EQ(formatProgressLine("pv-feature", 7, 0.0, true), "pv-feature: 7 records, 0.00 M/s, 0.0 s\n");
}

RC_GTEST_PROP(ProgressLine, WhatAStagePrintsIsReadBack, ()) {
  const uint64_t records = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 50);
  const double seconds = *rc::gen::inRange(0, 1000000) / 10.0;
  const bool final = *rc::gen::arbitrary<bool>();
  std::string line = formatProgressLine("pv-x", records, seconds, final);
  if (final) line.pop_back();  // the reader splits lines at '\n'
  auto parsed = parseProgressLine(line);
  RC_ASSERT(parsed.has_value());
  RC_ASSERT(parsed->records == records);
  RC_ASSERT(parsed->rest.empty());
}

TEST(ProgressLine, KeepsTheTextAfterIt) {
  auto p = parseProgressLine("pv-x: 7 records, 0.00 M/s, 0.0 s   pv-x: in:line 3: bad");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->records, 7u);
  EXPECT_EQ(p->rest, "pv-x: in:line 3: bad");
  EXPECT_FALSE(parseProgressLine("pv-x: bad input"));
}

}  // namespace
}  // namespace pv::runtime
