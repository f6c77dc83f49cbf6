// pv-synth-gem5: writes a synthetic gem5 trace in the PerfVec format
// (tests/tools/gem5_synth.h) for tests and benchmarks.
//
//   pv-synth-gem5 --instructions 1000000 --seed 3 --out-dir DIR
//       DIR/trace.txt and DIR/trace.sq.txt (either may be a named pipe)
//   pv-synth-gem5 --instructions 1000 > trace.txt
//       no --out-dir: trace.txt on stdout, stores as plain lines (no sq file)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "stages/runtime/tool.h"
#include "tests/tools/gem5_synth.h"

namespace {

// A file descriptor written with plain write(2) (works on named pipes).
class Output {
 public:
  Output(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  static Output open(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    return Output(path, fd);
  }
  Output(Output&& o) noexcept : name_(std::move(o.name_)), fd_(o.fd_) { o.fd_ = -1; }
  ~Output() {
    if (fd_ > 2) ::close(fd_);
  }
  void write(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(fd_, s.data(), s.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(name_ + ": " + std::strerror(errno));
      }
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  void close() {
    if (fd_ > 2 && ::close(fd_) != 0)
      throw std::runtime_error(name_ + ": " + std::strerror(errno));
    fd_ = -1;
  }

 private:
  std::string name_;
  int fd_;
};

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-synth-gem5", "Writes a synthetic gem5 trace in the PerfVec format");
  CLI::App& app = tool.cli();
  pv::synth::Gem5SynthOptions o;
  std::string outDir;
  bool noSq = false;
  uint64_t timingSeed = 0, startTick = 0;
  app.add_option("--instructions,-n", o.instructions, "instructions to write")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "program seed")->capture_default_str();
  auto* timing = app.add_option("--timing-seed", timingSeed,
                                "microarchitecture seed (default: --seed)");
  app.add_option("--out-dir", outDir,
                 "write DIR/trace.txt and DIR/trace.sq.txt (default: trace on stdout, no sq)");
  app.add_flag("--no-sq", noSq, "stores as plain trace lines, no trace.sq.txt");
  app.add_option("--sq-delay", o.sqDelay,
                 "trace lines between a store and its trace.sq.txt line")
      ->capture_default_str();
  auto* start = app.add_option("--start-tick", startTick,
                               "write a start line (sq_index -99) with this tick first");
  app.add_option("--code-bytes", o.codeBytes, "code footprint in bytes")
      ->capture_default_str();
  if (auto rc = tool.parse(argc, argv)) return *rc;
  if (timing->count() > 0) o.timingSeed = timingSeed;
  if (start->count() > 0) o.startTick = startTick;
  o.storeQueue = !noSq && !outDir.empty();
  try {
    if (outDir.empty()) {
      Output trace("<stdout>", STDOUT_FILENO);
      pv::synth::generateGem5Trace(
          o, [&](std::string_view s) { trace.write(s); }, {}, size_t{1} << 16);
      return 0;
    }
    std::filesystem::create_directories(outDir);
    Output trace = Output::open(outDir + "/trace.txt");
    if (!o.storeQueue) {
      pv::synth::generateGem5Trace(
          o, [&](std::string_view s) { trace.write(s); }, {}, size_t{1} << 16);
      trace.close();
      return 0;
    }
    Output sq = Output::open(outDir + "/trace.sq.txt");
    pv::synth::generateGem5Trace(
        o, [&](std::string_view s) { trace.write(s); },
        [&](std::string_view s) { sq.write(s); }, size_t{1} << 16);
    trace.close();
    sq.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pv-synth-gem5: %s\n", e.what());
    return 1;
  }
  return 0;
}
