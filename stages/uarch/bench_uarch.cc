// Benchmark: instructions/s per configuration of the timing model (one core,
// the model alone, no stream I/O), on a synthetic mix of compiled-code-like
// instructions; then all configurations in one pass through UarchLabeller
// with 1 and N threads.
//   bench_uarch [INSTRUCTIONS=2000000] [CONFIGS=8] [THREADS=2]

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "stages/uarch/config_sampler.h"
#include "stages/uarch/core_model.h"
#include "stages/uarch/synthetic_streams.h"
#include "stages/uarch/uarch_labeller.h"

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pv::uarch;
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const size_t configs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 8;
  const unsigned threads = argc > 3 ? unsigned(std::strtoul(argv[3], nullptr, 10)) : 2;
  const auto insts = synthetic::mixed(n, 1);
  std::vector<DecodedInstruction> decoded;
  decoded.reserve(n);
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& i : insts) decoded.push_back(decode(i));
  std::printf("decode: %.1f M instructions/s\n", n / seconds(t0) / 1e6);

  std::vector<UarchConfig> all;
  all.push_back(UarchConfig{});
  for (size_t i = 0; all.size() < configs; ++i) all.push_back(sampleConfig(1, uint32_t(i)));
  std::vector<float> labels(n * CoreModel::kTargets);
  double slowest = 1e300, sum = 0;
  std::printf("%-12s %-12s %6s %8s %10s\n", "config", "core", "CPI", "L1D mr", "M instr/s");
  for (const auto& c : all) {
    CoreModel model(c);
    auto start = std::chrono::steady_clock::now();
    model.run(decoded.data(), decoded.size(), labels.data(), CoreModel::kTargets);
    const double rate = n / seconds(start);
    slowest = std::min(slowest, rate);
    sum += rate;
    const auto& m = model.memoryStats().l1d;
    std::printf("%-12s %-12s %6.3f %8.4f %10.2f\n", c.name.c_str(),
                c.core.kind == CoreKind::kInOrder ? "in_order" : "out_of_order",
                double(model.stats().cycles) / n, double(m.misses) / double(m.accesses), rate / 1e6);
  }
  std::printf("per configuration, one core: mean %.2f M instructions/s, slowest %.2f M\n",
              sum / all.size() / 1e6, slowest / 1e6);

  for (unsigned t : {1u, threads}) {
    UarchLabeller labeller(all, t);
    pv::StreamHeader h;
    h.payload = pv::PayloadKind::kInstructions;
    labeller.describe(h);
    size_t out = 0;
    pv::Emit<pv::InstructionBatch> emit = [&](pv::InstructionBatch&& b) { out += b.rows.size(); };
    auto start = std::chrono::steady_clock::now();
    for (size_t at = 0; at < n; at += 4096) {
      pv::InstructionBatch b;
      b.firstIndex = at;
      b.rows.assign(insts.begin() + at, insts.begin() + std::min(n, at + 4096));
      labeller.process(std::move(b), emit);
    }
    labeller.finish(emit);
    const double s = seconds(start);
    std::printf("labeller, %zu configurations in one pass, %u thread(s): %.2f M instructions/s "
                "(%.2f M instruction-configurations/s)\n",
                all.size(), t, out / s / 1e6, out * all.size() / s / 1e6);
  }
}
