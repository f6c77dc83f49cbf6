// bench_feature_reuse: rows per second of FeatureExtractor and
// ReuseDistanceStage, in process, on a synthetic instruction stream (loops
// of conditional branches; loads and stores over a strided array, a small
// hot set and a large cold region). Only the transforms are timed; making
// the instructions is not.
//
//   bench_feature_reuse [INSTRUCTIONS] [BATCH_SIZE]     (defaults 4000000 4096)

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "stages/core/feature_layout.h"
#include "stages/feature/feature_extractor.h"
#include "stages/feature-lib/reuse_distance.h"

namespace {

// Makes a plausible instruction mix, batch by batch.
class SyntheticProgram {
 public:
  explicit SyntheticProgram(uint64_t seed) : rng_(seed) {}

  void next(pv::InstructionBatch& batch, size_t rows) {
    batch.firstIndex = index_;
    batch.rows.resize(rows);
    for (auto& inst : batch.rows) make(inst);
    index_ += rows;
  }

 private:
  uint64_t below(uint64_t n) { return rng_() % n; }

  void make(pv::Instruction& inst) {
    inst = pv::Instruction{};
    inst.pc = pc_;
    inst.opClass = pv::kOpIntAlu;
    inst.srcCount = 2;
    inst.src[0] = {0, static_cast<uint16_t>(below(32))};
    inst.src[1] = {0, static_cast<uint16_t>(below(32))};
    inst.dstCount = 1;
    inst.dst[0] = {0, static_cast<uint16_t>(below(32))};
    const uint64_t kind = below(100);
    if (kind < 25) {  // load
      inst.opClass = pv::kOpMemRead;
      inst.effAddrValid = true;
      inst.dataAddr = dataAddress();
    } else if (kind < 35) {  // store
      inst.opClass = pv::kOpMemWrite;
      inst.sqIndex = static_cast<int32_t>(below(32));
      inst.effAddrValid = true;
      inst.dataAddr = dataAddress();
      inst.dstCount = 0;
    } else if (kind < 47) {  // conditional branch: loop back mostly
      inst.flags = pv::kFlagCondCtrl | pv::kFlagDirectCtrl;
      inst.branching = below(100) < 80;
      if (inst.branching) {
        pc_ = loopStart_;
        if (below(64) == 0) loopStart_ = 0x400000 + 4 * below(1 << 16);  // next loop
        return;
      }
    }
    pc_ += 4;
  }

  uint64_t dataAddress() {
    const uint64_t region = below(100);
    if (region < 60) return 0x10000000 + (stride_ += 8) % (8 << 20);  // array walk
    if (region < 90) return 0x20000000 + 8 * below(4096);             // hot 32 KB
    return 0x40000000 + 8 * below(8 << 20);                           // cold 64 MB
  }

  std::mt19937_64 rng_;
  uint64_t index_ = 0;
  uint64_t pc_ = 0x400000;
  uint64_t loopStart_ = 0x400000;
  uint64_t stride_ = 0;
};

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t total = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 4'000'000;
  const size_t batchSize = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 4096;
  if (total == 0 || batchSize == 0) {
    std::fprintf(stderr, "usage: bench_feature_reuse [INSTRUCTIONS] [BATCH_SIZE]\n");
    return 2;
  }

  SyntheticProgram program(42);
  pv::FeatureExtractor extractor;
  pv::ReuseDistanceStage reuse;
  pv::StreamHeader header;
  header.payload = pv::PayloadKind::kInstructions;
  reuse.describe(extractor.describe(header));

  using Clock = std::chrono::steady_clock;
  Clock::duration featureTime{}, reuseTime{};
  pv::InstructionBatch batch;
  pv::FeatureBatch features;
  double checksum = 0;
  for (uint64_t done = 0; done < total; done += batch.rows.size()) {
    program.next(batch, static_cast<size_t>(std::min<uint64_t>(batchSize, total - done)));
    auto t0 = Clock::now();
    extractor.extract(batch, features);
    auto t1 = Clock::now();
    reuse.fill(features);
    auto t2 = Clock::now();
    featureTime += t1 - t0;
    reuseTime += t2 - t1;
    checksum += features.row(features.rows() - 1)[pv::features::kFetchReuse];
  }

  const double n = static_cast<double>(total);
  std::printf("instructions         %llu (batches of %zu)\n",
              static_cast<unsigned long long>(total), batchSize);
  std::printf("FeatureExtractor     %8.2f M rows/s\n", n / seconds(featureTime) / 1e6);
  std::printf("ReuseDistanceStage   %8.2f M rows/s\n", n / seconds(reuseTime) / 1e6);
  std::printf("both, one core       %8.2f M rows/s\n", n / seconds(featureTime + reuseTime) / 1e6);
  std::printf("(checksum %g)\n", checksum);
  return 0;
}
