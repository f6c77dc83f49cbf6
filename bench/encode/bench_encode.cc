// bench_encode: encode instructions per second of InstructionEncoder on the
// CPU, for exact mode and chunked mode (several chunk sizes), for PerfVec's
// LSTM-2 over W = 256 at hidden 256 and 64. Each measurement runs whole
// encode calls until a time limit (one untimed warm-up call first), so the
// numbers are steady-state throughput; inputs are random normalised rows
// (speed does not depend on the values). Also prints the CPU backend in use
// (threads, BLAS library, malloc), the things that change these numbers.
//
//   bench_encode [--threads N] [--seconds S] [--hidden H,...] [--chunks K,...]
//                [--modes exact,chunked] [--arch lstm|gru] [--per-forward B]
//                [--budget-mb MB] [--mallopt]
//
// Defaults: --threads = CPUs available --seconds 2 --hidden 256,64
// --chunks 256,1024,4096 --modes exact,chunked --arch lstm; --per-forward 0
// (64 chunks or windows per thread, or fewer if they do not fit in
// --budget-mb 256 of activations). Each encode call is one forward call. --mallopt applies the
// stage driver's malloc settings (heap blocks up to 64 MiB, no trimming);
// --aten runs LibTorch's at::lstm instead of perfvec's kernel.

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "stages/model-lib/instruction_encoder.h"

namespace {

using pv::encode::EncodeMode;
using pv::encode::EncodeOptions;
using pv::encode::EncoderConfig;
using pv::encode::InstructionEncoder;

struct Args {
  int threads = pv::encode::availableCpus();
  double seconds = 2.0;
  std::vector<int> hidden = {256, 64};
  std::vector<int64_t> chunks = {256, 1024, 4096};
  std::vector<std::string> modes = {"exact", "chunked"};
  pv::encode::Arch arch = pv::encode::Arch::kLstm;
  int64_t perForward = 0;
  int64_t budgetMb = 256;
  bool mallopt = false;
  bool aten = false;
};

template <typename T>
std::vector<T> parseList(const std::string& s) {
  std::vector<T> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if constexpr (std::is_same_v<T, std::string>)
      out.push_back(item);
    else
      out.push_back(static_cast<T>(std::stoll(item)));
  }
  return out;
}

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: bench_encode [--threads N] [--seconds S] [--hidden H,...] "
               "[--chunks K,...]\n"
               "                    [--modes exact,chunked] [--arch lstm|gru] "
               "[--per-forward B] [--budget-mb MB] [--mallopt] [--aten]\n");
  std::exit(code);
}

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") usage(0);
    if (flag == "--mallopt" || flag == "--aten") {
      (flag == "--aten" ? a.aten : a.mallopt) = true;
      continue;
    }
    if (i + 1 >= argc) usage(2);
    const std::string v = argv[++i];
    if (flag == "--threads")
      a.threads = std::stoi(v);
    else if (flag == "--seconds")
      a.seconds = std::stod(v);
    else if (flag == "--hidden")
      a.hidden = parseList<int>(v);
    else if (flag == "--chunks")
      a.chunks = parseList<int64_t>(v);
    else if (flag == "--modes")
      a.modes = parseList<std::string>(v);
    else if (flag == "--arch" && pv::encode::parseArch(v))
      a.arch = *pv::encode::parseArch(v);
    else if (flag == "--per-forward")
      a.perForward = std::stoll(v);
    else if (flag == "--budget-mb")
      a.budgetMb = std::stoll(v);
    else
      usage(2);
  }
  return a;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU seconds of the whole process (all threads, spin-waiting included).
double cpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void measure(const InstructionEncoder& enc, const EncodeOptions& o, const Args& a) {
  const EncoderConfig& c = enc.config();
  // One forward call per encode call: --per-forward chunks (windows), else
  // 64 per thread (what the library's memory budget allows at most).
  const int64_t per =
      o.perForward > 0 ? o.perForward : std::min<int64_t>(enc.forwardBatch(o), 64 * a.threads);
  const int64_t n = o.mode == EncodeMode::kExact ? per : per * o.chunk;
  std::vector<float> rows((c.context() + n) * c.features);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (float& x : rows) x = normal(rng);
  std::vector<double> sums(InstructionEncoder::chunkCount(n, o.chunk) * c.hidden);

  {  // warm-up: code and first-touch pages, a few chunks (windows) only
    const int64_t w = std::min<int64_t>(n, a.threads * (o.mode == EncodeMode::kExact ? 1 : o.chunk));
    std::vector<double> warm(InstructionEncoder::chunkCount(w, o.chunk) * c.hidden);
    enc.encodeSums(rows.data(), w, o, warm);
  }
  const int64_t forwards0 = enc.forwardCalls();
  int64_t done = 0;
  const double t0 = now(), c0 = cpuNow();
  double t = t0;
  do {
    enc.encodeSums(rows.data(), n, o, sums);
    done += n;
    t = now();
  } while (t - t0 < a.seconds);
  const double cpu = cpuNow() - c0;
  const int64_t forwards = enc.forwardCalls() - forwards0;
  std::string what = std::string(pv::encode::encodeModeName(o.mode));
  if (o.mode == EncodeMode::kChunked) what += " K=" + std::to_string(o.chunk);
  std::printf("%s %dx%d W=%d F=%d %-15s %10.0f instr/s  (%lld instr, %lld forwards of %lld %s, %.2f s, cpu %.2f s)\n",
              std::string(pv::encode::archName(c.arch)).c_str(), c.layers, c.hidden, c.window,
              c.features, what.c_str(), done / (t - t0), static_cast<long long>(done),
              static_cast<long long>(forwards),
              static_cast<long long>(per),
              o.mode == EncodeMode::kExact ? "windows" : "chunks", t - t0, cpu);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);  // as pv-encode does
  const Args a = parseArgs(argc, argv);
  if (a.mallopt) {
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  }
  pv::encode::setCpuThreads(a.threads);
  const auto backend = pv::encode::cpuBackend();
  std::printf("bench_encode: %s%s%s\n", backend.describe().c_str(),
              a.mallopt ? "; mallopt" : "", a.aten ? "; at::lstm" : "");
  for (const auto& w : backend.warnings()) std::printf("bench_encode: warning: %s\n", w.c_str());
  for (int h : a.hidden) {
    EncoderConfig c;
    c.arch = a.arch;
    c.hidden = h;
    InstructionEncoder enc(c);
    enc.initRandom(1);
    for (const auto& m : a.modes) {
      const auto mode = pv::encode::parseEncodeMode(m);
      if (!mode) usage(2);
      EncodeOptions o;
      o.mode = *mode;
      o.perForward = a.perForward;
      o.memoryBudgetBytes = a.budgetMb << 20;
      o.atenRnn = a.aten;
      if (*mode == EncodeMode::kExact) {
        o.chunk = 4096;
        measure(enc, o, a);
        continue;
      }
      for (int64_t k : a.chunks) {
        o.chunk = k;
        measure(enc, o, a);
      }
    }
  }
  return 0;
}
