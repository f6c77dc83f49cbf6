// Checkpoints: the file round-trips every bit and refuses damage; a
// reduction interrupted after any batch and resumed from its checkpoint on
// the stream cut at the checkpoint's `skip` gives exactly the uninterrupted
// R_p; a resumed input that differs from the first run's is an error.

#include "stages/aggregate/checkpoint.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <variant>

#include "stages/core/hex.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/slice.h"

namespace pv {
namespace {

std::string tempPath() {
  static std::atomic<int> counter{0};
  return "/tmp/pv_checkpoint_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

StreamHeader header(uint32_t dim, uint32_t window, uint32_t chunk) {
  StreamHeader h;
  h.payload = PayloadKind::kRepresentations;
  h.source = "trace.txt";
  h.stages = {"pv-trace-tap", "pv-window", "pv-encode"};
  h.modelId = "xxh3-128:test";
  h.representationDim = dim;
  h.window = window;
  h.chunk = chunk;
  return h;
}

// A per-chunk representation stream: rows of K instructions (the last may
// be shorter), in batches of whole rows. Values are arbitrary floats, so
// sums round: only the same additions in the same order give the same bits.
std::vector<RepresentationBatch> genStream(uint32_t dim, uint32_t chunk) {
  std::vector<RepresentationBatch> batches;
  uint64_t at = 0;
  const int count = *rc::gen::inRange(1, 12);
  for (int i = 0; i < count; ++i) {
    RepresentationBatch b;
    b.firstIndex = at;
    b.dim = dim;
    const int rows = *rc::gen::inRange(1, 6);
    for (int r = 0; r < rows; ++r) {
      b.instructions.push_back(chunk);
      for (uint32_t d = 0; d < dim; ++d)
        b.values.push_back(static_cast<float>(*rc::gen::inRange(-1000000, 1000000)) / 997.0f);
    }
    at += b.instructionCount();
    batches.push_back(std::move(b));
  }
  return batches;
}

ProgramRepresentation run(CheckpointedAggregator& a, const StreamHeader& h,
                          const std::vector<RepresentationBatch>& batches, size_t stopAfter = SIZE_MAX) {
  a.describe(h);
  std::optional<ProgramRepresentation> out;
  std::vector<IntervalRepresentation> intervals;  // as they stream out, before the program
  Emit<ProgramPart> emit = [&](ProgramPart&& part) {
    if (auto* i = std::get_if<IntervalRepresentation>(&part)) {
      RC_ASSERT(!out);
      intervals.push_back(std::move(*i));
      return;
    }
    out = std::move(std::get<ProgramRepresentation>(part));
    out->intervals = std::move(intervals);
  };
  for (size_t i = 0; i < batches.size() && i < stopAfter; ++i) {
    auto b = batches[i];
    a.process(std::move(b), emit);
  }
  if (stopAfter >= batches.size()) a.finish(emit);
  return out.value_or(ProgramRepresentation{});
}

// The stream as pv-window --start-at S would deliver it here: records from
// S on, renumbered (the encoder is deterministic in this test).
std::vector<RepresentationBatch> cut(const std::vector<RepresentationBatch>& batches, uint64_t skip) {
  runtime::StreamSlice slice(skip, "in");
  std::vector<RepresentationBatch> out;
  for (auto b : batches)
    if (slice.apply(b)) out.push_back(std::move(b));
  return out;
}

// `instructions` in batches of four rows of `perRow` instructions each, two
// values per row: value(first instruction of the batch, row).
std::vector<RepresentationBatch> fourRowBatches(uint64_t instructions, uint32_t perRow,
                                                const std::function<std::array<float, 2>(uint64_t, int)>& value) {
  std::vector<RepresentationBatch> batches;
  for (uint64_t start = 0; start < instructions; start += 4 * perRow) {
    RepresentationBatch b;
    b.firstIndex = start;
    b.dim = 2;
    for (int r = 0; r < 4; ++r) {
      b.instructions.push_back(perRow);
      const auto v = value(start, r);
      b.values.insert(b.values.end(), v.begin(), v.end());
    }
    batches.push_back(b);
  }
  return batches;
}

bool sameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

RC_GTEST_PROP(Checkpoint, ResumingAfterAnyBatchGivesTheUninterruptedBits, ()) {
  const uint32_t dim = *rc::gen::inRange(1, 5), chunk = *rc::gen::inRange(1, 9);
  const uint32_t window = *rc::gen::inRange(1, 20);
  const uint64_t interval = *rc::gen::element<uint64_t>(0, 7, 20);
  const StreamHeader h = header(dim, window, chunk);
  const auto batches = genStream(dim, chunk);

  CheckpointedAggregator whole(CheckpointOptions{"", 0, 0, "", interval});
  const ProgramRepresentation want = run(whole, h, batches);

  const size_t stop = *rc::gen::inRange<size_t>(1, batches.size() + 1);
  const std::string path = tempPath();
  // Checkpoints every few instructions: a crashed run has appended intervals
  // after its last checkpoint that resuming must cut off.
  const uint64_t every = *rc::gen::element<uint64_t>(1, 9, 40);
  CheckpointOptions first{path, every, 0, "", interval};
  CheckpointedAggregator crashed(first);
  run(crashed, h, batches, stop);
  if (::access(path.c_str(), F_OK) != 0) {  // crashed before its first checkpoint
    ::unlink(intervalsPath(path).c_str());
    RC_SUCCEED("no checkpoint yet");
  }
  const AggregateCheckpoint c = readCheckpoint(path);
  RC_ASSERT(c.skip <= c.instructions);
  RC_ASSERT(c.skip % chunk == 0);

  StreamHeader sliced = h;
  if (c.skip > 0) sliced.source = runtime::slicedSource(h.source, c.skip);
  CheckpointedAggregator resumed(CheckpointOptions{path, every, 0, path, interval});
  const ProgramRepresentation got = run(resumed, sliced, cut(batches, c.skip));
  // The resumed run's last checkpoint counts every closed interval.
  const AggregateCheckpoint last = readCheckpoint(path);
  ::unlink(path.c_str());
  ::unlink(intervalsPath(path).c_str());
  RC_ASSERT(last.closedCount == (want.intervals.empty() ? 0 : want.intervals.size() - (last.open ? 1 : 0)));
  RC_ASSERT(got.instructions == want.instructions);
  RC_ASSERT(sameBits(got.sum, want.sum));
  RC_ASSERT(got.intervals.size() == want.intervals.size());
  for (size_t i = 0; i < got.intervals.size(); ++i) {
    RC_ASSERT(got.intervals[i].firstIndex == want.intervals[i].firstIndex);
    RC_ASSERT(got.intervals[i].instructions == want.intervals[i].instructions);
    RC_ASSERT(sameBits(got.intervals[i].sum, want.intervals[i].sum));
  }
}

TEST(Checkpoint, SkipIsTheLatestBatchStartAtLeastWMinusOneBeforeThePosition) {
  const StreamHeader h = header(1, 6, 2);  // W-1 = 5
  std::vector<RepresentationBatch> batches;
  for (uint64_t start : {0, 6, 10, 12}) {  // batches of 6, 4, 2 and 2 instructions
    RepresentationBatch b;
    b.firstIndex = start;
    b.dim = 1;
    const uint64_t n = start == 0 ? 6 : start == 6 ? 4 : 2;
    for (uint64_t i = 0; i < n; i += 2) {
      b.instructions.push_back(2);
      b.values.push_back(1.0f);
    }
    batches.push_back(b);
  }
  const std::string path = tempPath();
  CheckpointedAggregator a(CheckpointOptions{path, 1, 0, "", 0});
  run(a, h, batches, 4);  // P = 14: starts 12 and 10 are too close, 6 is not
  AggregateCheckpoint c = readCheckpoint(path);
  EXPECT_EQ(c.instructions, 14u);
  EXPECT_EQ(c.skip, 6u);
  ::unlink(path.c_str());
}

TEST(Checkpoint, FileRoundTripsAndRefusesDamage) {
  AggregateCheckpoint c;
  c.source = "run/trace.txt\nwith \\ odd chars";
  c.modelId = "xxh3-128:abc";
  c.stages = {"pv-trace-tap", "pv-encode"};
  c.dim = 3;
  c.window = 256;
  c.chunk = 1024;
  c.interval = 5000;
  c.instructions = 123456;
  c.skip = 102400;
  c.verifyFirst = 103424;
  c.verifyRows = 19;
  c.verifyHash = 0xfedcba9876543210ull;
  c.sum = {0.1, -1e300, 5e-324};
  c.closedCount = 1;
  c.closedBytes = 77;
  c.closedHash = 0x0123456789abcdefull;
  c.open = IntervalRepresentation{5120, 7, {4, 5, 6}};
  const std::string text = formatCheckpoint(c);
  AggregateCheckpoint back = parseCheckpoint(text, "c");
  EXPECT_EQ(back.source, c.source);
  EXPECT_EQ(back.stages, c.stages);
  EXPECT_EQ(back.skip, c.skip);
  EXPECT_EQ(back.verifyHash, c.verifyHash);
  EXPECT_TRUE(sameBits(back.sum, c.sum));
  EXPECT_EQ(back.closedCount, c.closedCount);
  EXPECT_EQ(back.closedBytes, c.closedBytes);
  EXPECT_EQ(back.closedHash, c.closedHash);
  EXPECT_EQ(back.open, c.open);

  std::string damaged = text;
  damaged[text.find("sum ") + 6] ^= 1;
  EXPECT_THROW(parseCheckpoint(damaged, "c"), StageError);
  EXPECT_THROW(parseCheckpoint(text.substr(0, text.size() / 2), "c"), StageError);
  EXPECT_THROW(parseCheckpoint("something else\n", "c"), StageError);
  // Format 1 kept the intervals inside: refused with a reason.
  std::string before = text;
  before.replace(0, before.find('\n'), "perfvec-aggregate-checkpoint 1");
  try {
    parseCheckpoint(before, "c");
    ADD_FAILURE() << "format 1 accepted";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("before 0.14"), std::string::npos) << e.what();
  }
}

// Resuming checks the closed intervals against the checkpoint before
// anything is emitted: a damaged or cut intervals file is an error that
// names it.
TEST(Checkpoint, DamagedClosedIntervalsAreRefused) {
  const StreamHeader h = header(2, 1, 1);
  const auto batches = fourRowBatches(40, 1, [](uint64_t start, int r) {
    return std::array<float, 2>{0.5f * static_cast<float>(start + r), 1.0f};
  });
  const std::string path = tempPath();
  CheckpointedAggregator crashed(CheckpointOptions{path, 4, 0, "", 5});
  run(crashed, h, batches, 6);  // 24 instructions: intervals 0-4 .. 15-19 closed
  const AggregateCheckpoint c = readCheckpoint(path);
  EXPECT_EQ(c.closedCount, 4u);
  std::ifstream in(intervalsPath(path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  auto resumeWith = [&](const std::string& intervals) {
    std::ofstream(intervalsPath(path), std::ios::trunc) << intervals;
    CheckpointedAggregator resumed(CheckpointOptions{"", 0, 0, path, 5});
    StreamHeader sliced = h;
    if (c.skip > 0) sliced.source = runtime::slicedSource(h.source, c.skip);
    return run(resumed, sliced, cut(batches, c.skip));
  };
  EXPECT_EQ(resumeWith(text).intervals.size(), 8u);  // intact: 40 instructions, 8 intervals
  std::string damaged = text;
  damaged[damaged.find(' ') + 1] = '9';  // an instruction count
  EXPECT_THROW(resumeWith(damaged), StageError);
  EXPECT_THROW(resumeWith(text.substr(0, text.size() / 2)), StageError);
  ::unlink(path.c_str());
  ::unlink(intervalsPath(path).c_str());
}

// A checkpoint with one item replaced (and its checksum made right again).
std::string withItem(const std::string& text, const std::string& key, const std::string& line) {
  std::string body = text.substr(0, text.rfind("checksum "));
  const size_t at = body.find("\n" + key + " ") + 1;
  body.replace(at, body.find('\n', at) - at, line);
  return body + "checksum " + hex64(XXH3_64bits(body.data(), body.size())) + "\n";
}

TEST(Checkpoint, NumbersOutOfRangeAreRefusedNotWrapped) {
  AggregateCheckpoint c;
  c.modelId = "m";
  c.dim = 1;
  c.sum = {1};
  c.instructions = 100;
  const std::string text = formatCheckpoint(c);
  EXPECT_EQ(parseCheckpoint(withItem(text, "dim", "dim 1"), "c").dim, 1u);
  // 2^32 + 1 once read as dim 1.
  try {
    parseCheckpoint(withItem(text, "dim", "dim 4294967297"), "c");
    FAIL() << "accepted";
  } catch (const StageError& e) {
    EXPECT_EQ(std::string(e.what()), "c:line 5: 'dim' = 4294967297 is out of range");
  }
  EXPECT_THROW(parseCheckpoint(withItem(text, "window", "window 4294967296"), "c"), StageError);
  // A verified span whose end passes 2^64 once wrapped around to look consistent.
  EXPECT_THROW(parseCheckpoint(withItem(text, "verify", "verify 18446744073709551615 2 0"), "c"), StageError);
  EXPECT_EQ(parseCheckpoint(withItem(text, "verify", "verify 90 11 0"), "c").verifyRows, 11u);
}

TEST(Checkpoint, AResumedInputThatDiffersFromTheFirstRunIsAnError) {
  const StreamHeader h = header(2, 3, 2);
  const auto batches = fourRowBatches(40, 2, [](uint64_t start, int r) {
    return std::array<float, 2>{static_cast<float>(start + r), 0.5f};
  });
  const std::string path = tempPath();
  CheckpointedAggregator first(CheckpointOptions{path, 1, 0, "", 0});
  run(first, h, batches, 3);  // P = 24, skip 16, rows 18..24 verifiable
  const AggregateCheckpoint c = readCheckpoint(path);
  ASSERT_EQ(c.skip, 16u);
  ASSERT_EQ(c.verifyRows, 3u);

  StreamHeader sliced = h;
  sliced.source = runtime::slicedSource(h.source, c.skip);
  auto changed = cut(batches, c.skip);
  changed[0].values[5] += 1.0f;  // a row the checkpoint verifies
  CheckpointedAggregator resumed(CheckpointOptions{"", 0, 0, path, 0});
  try {
    run(resumed, sliced, changed);
    FAIL() << "no error";
  } catch (const StageError& e) {
    EXPECT_NE(std::string(e.what()).find("does not reproduce"), std::string::npos) << e.what();
  }
  // Not cut where the checkpoint says.
  CheckpointedAggregator uncut(CheckpointOptions{"", 0, 0, path, 0});
  EXPECT_THROW(run(uncut, h, batches), StageError);
  // Another encoder.
  StreamHeader other = sliced;
  other.modelId = "xxh3-128:other";
  CheckpointedAggregator foreign(CheckpointOptions{"", 0, 0, path, 0});
  EXPECT_THROW(run(foreign, other, cut(batches, c.skip)), StageError);
  // Ends before the checkpoint's position.
  auto shorter = cut(batches, c.skip);
  shorter.resize(0);
  CheckpointedAggregator early(CheckpointOptions{"", 0, 0, path, 0});
  EXPECT_THROW(run(early, sliced, shorter), StageError);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace pv
