// Laws of stage composition, checked on the real executables:
// - the chain tap | feature | reuse-distance gives byte-identical output over
//   pipes, over ZeroMQ ipc sockets and over (zstd) files;
// - the rows do not depend on any stage's batch size;
// - pv-feature --reuse-distance (one process) is pv-feature | pv-reuse-distance
//   byte for byte, with every option they share;
// - corrupted or truncated inputs never crash a stage: it exits 0 (the damage
//   happened to form valid input) or 1 with a message naming its input.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/composition/process.h"

namespace pv::testing {
namespace {

const std::string kTap = bin("pv-trace-tap");
const std::string kFeature = bin("pv-feature");
const std::string kReuse = bin("pv-reuse-distance");
const std::string kCat = bin("pv-cat");

void synthesize(const ScratchDir& dir, int instructions, int seed) {
  auto r = shell(bin("pv-synth-gem5") + " --instructions " + std::to_string(instructions) +
                     " --seed " + std::to_string(seed) + " --out-dir " + dir.path(),
                 dir.path());
  RC_ASSERT(r.status == 0);
}

rc::Gen<int> genLength() {
  return rc::gen::weightedOneOf<int>({{3, rc::gen::inRange(1, 3000)},
                                      {1, rc::gen::inRange(3000, 30000)}});
}

RC_GTEST_PROP(Composition, pipesSocketsAndFilesGiveIdenticalBytes, ()) {
  ScratchDir dir;
  synthesize(dir, *genLength(), *rc::gen::inRange(0, 1000000));
  const std::string trace = dir / "trace.txt";
  auto viaPipe = shell(kTap + " " + trace + " | " + kFeature + " | " + kReuse + " > " + (dir / "pipe.pvs"),
                       dir.path());
  RC_ASSERT(viaPipe.status == 0);
  auto viaFiles = shell(kTap + " " + trace + " -o " + (dir / "a.pvs.zst") + " && " + kFeature + " " +
                            (dir / "a.pvs.zst") + " -o " + (dir / "b.pvs.zst") + " && " + kReuse + " " +
                            (dir / "b.pvs.zst") + " -o " + (dir / "file.pvs"),
                        dir.path());
  RC_ASSERT(viaFiles.status == 0);
  const std::string s1 = "ipc://" + (dir / "s1"), s2 = "ipc://" + (dir / "s2");
  auto viaSockets = shell(kTap + " " + trace + " -o " + s1 + " & tap=$!; " + kFeature + " " + s1 +
                              " -o " + s2 + " & feature=$!; " + kReuse + " " + s2 + " -o " +
                              (dir / "ipc.pvs") + "; rc=$?; wait $tap && wait $feature && exit $rc",
                          dir.path());
  RC_ASSERT(viaSockets.status == 0);
  const std::string pipeBytes = slurp(dir / "pipe.pvs");
  RC_ASSERT(!pipeBytes.empty());
  RC_ASSERT(slurp(dir / "file.pvs") == pipeBytes);
  RC_ASSERT(slurp(dir / "ipc.pvs") == pipeBytes);
}

RC_GTEST_PROP(Composition, rowsDoNotDependOnBatchSizes, ()) {
  ScratchDir dir;
  synthesize(dir, *genLength(), *rc::gen::inRange(0, 1000000));
  const std::string trace = dir / "trace.txt";
  const std::string rest = " | " + kReuse + " | " + kCat + " > ";
  auto viaTap = [&](int batch, const std::string& out) {
    return shell(kTap + " --batch-size " + std::to_string(batch) + " " + trace + " | " + kFeature +
                     rest + out,
                 dir.path());
  };
  // pv-feature reading the gem5 text itself batches it by its own --batch-size.
  auto viaRawText = [&](int batch, const std::string& out) {
    return shell("cat " + trace + " | " + kFeature + " --sq " + (dir / "trace.sq.txt") +
                     " --batch-size " + std::to_string(batch) + rest + out,
                 dir.path());
  };
  RC_ASSERT(viaTap(4096, dir / "reference.txt").status == 0);
  RC_ASSERT(viaTap(*rc::gen::inRange(1, 5000), dir / "tap.txt").status == 0);
  RC_ASSERT(viaRawText(*rc::gen::inRange(1, 5000), dir / "raw.txt").status == 0);
  const std::string reference = slurp(dir / "reference.txt");
  RC_ASSERT(!reference.empty());
  RC_ASSERT(slurp(dir / "tap.txt") == reference);
  RC_ASSERT(slurp(dir / "raw.txt") == reference);
}

RC_GTEST_PROP(Composition, featureWithReuseDistanceIsTheTwoStages, ()) {
  ScratchDir dir;
  synthesize(dir, *genLength(), *rc::gen::inRange(0, 1000000));
  const std::string trace = dir / "trace.txt";
  std::string reuseFlags;
  if (*rc::gen::arbitrary<bool>()) reuseFlags += " --locality";
  if (*rc::gen::arbitrary<bool>()) reuseFlags += " --keep-addresses";
  const std::string batch = " --batch-size " + std::to_string(*rc::gen::inRange(1, 5000));
  // From gem5 text (pv-feature's own reader) and from pv-trace-tap's stream.
  const std::vector<std::string> features = {
      "cat " + trace + " | " + kFeature + " --sq " + (dir / "trace.sq.txt") + batch,
      kTap + batch + " " + trace + " | " + kFeature};
  for (const std::string& feature : features) {
    auto two = shell(feature + " | " + kReuse + reuseFlags + " > " + (dir / "two.pvs"), dir.path());
    auto one = shell(feature + " --reuse-distance" + reuseFlags + " > " + (dir / "one.pvs"), dir.path());
    RC_ASSERT(two.status == 0);
    RC_ASSERT(one.status == 0);
    const std::string twoBytes = slurp(dir / "two.pvs");
    RC_ASSERT(!twoBytes.empty());
    RC_ASSERT(slurp(dir / "one.pvs") == twoBytes);
  }
}

// Damages `bytes`: flips, deletions or a cut.
std::string damage(std::string bytes) {
  if (bytes.empty()) return bytes;
  switch (*rc::gen::inRange(0, 3)) {
    case 0: {
      int flips = *rc::gen::inRange(1, 6);
      for (int i = 0; i < flips; ++i)
        bytes[*rc::gen::inRange<size_t>(0, bytes.size())] = static_cast<char>(*rc::gen::arbitrary<uint8_t>());
      break;
    }
    case 1: {
      size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
      bytes.erase(at, *rc::gen::inRange<size_t>(1, 64));
      break;
    }
    default:
      bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size()));
  }
  return bytes;
}

void expectCleanOutcome(const ShellResult& r, const std::string& stage, const std::string& input) {
  RC_ASSERT(r.status == 0 || r.status == 1);
  if (r.status == 1) {
    RC_ASSERT(r.err.rfind(stage + ": ", 0) == 0);
    RC_ASSERT(r.err.find(input) != std::string::npos);
  }
}

RC_GTEST_PROP(Composition, damagedTraceTextNeverCrashesTheTap, ()) {
  ScratchDir dir;
  synthesize(dir, *rc::gen::inRange(1, 400), *rc::gen::inRange(0, 1000000));
  const bool damageSq = *rc::gen::arbitrary<bool>();
  const std::string victim = dir / (damageSq ? "trace.sq.txt" : "trace.txt");
  spit(victim, damage(slurp(victim)));
  auto r = shell(kTap + " " + (dir / "trace.txt") + " -o " + (dir / "out.pvs"), dir.path());
  expectCleanOutcome(r, "pv-trace-tap", dir.path());
}

RC_GTEST_PROP(Composition, damagedStreamsNeverCrashAStage, ()) {
  ScratchDir dir;
  synthesize(dir, *rc::gen::inRange(1, 3000), *rc::gen::inRange(0, 1000000));
  const bool zstd = *rc::gen::arbitrary<bool>();
  const std::string instr = dir / (zstd ? "i.pvs.zst" : "i.pvs");
  const std::string feats = dir / (zstd ? "f.pvs.zst" : "f.pvs");
  RC_ASSERT(shell(kTap + " " + (dir / "trace.txt") + " -o " + instr + " && " + kFeature + " " + instr +
                      " -o " + feats,
                  dir.path())
                .status == 0);
  spit(instr, damage(slurp(instr)));
  spit(feats, damage(slurp(feats)));
  expectCleanOutcome(shell(kFeature + " " + instr + " -o /dev/null", dir.path()), "pv-feature", instr);
  expectCleanOutcome(shell(kReuse + " " + feats + " -o /dev/null", dir.path()), "pv-reuse-distance", feats);
  expectCleanOutcome(shell(kCat + " " + feats + " > /dev/null", dir.path()), "pv-cat", feats);
}

}  // namespace
}  // namespace pv::testing

// A case of these properties starts up to ten processes: 25 cases each
// (RapidCheck's default is 100) unless RC_PARAMS says otherwise. The same
// laws are checked in process, with RapidCheck's default, by the readers'
// and stages' own tests; here they are checked across process boundaries.
int main(int argc, char** argv) {
  setenv("RC_PARAMS", "max_success=25", /*overwrite=*/0);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
