// pv-synth-gem5: writes a synthetic gem5 trace in the PerfVec format
// (tests/tools/gem5_synth.h) for tests and benchmarks.
//
//   pv-synth-gem5 --instructions 1000000 --seed 3 --out-dir DIR
//       DIR/trace.txt and DIR/trace.sq.txt (either may be a named pipe)
//   pv-synth-gem5 --instructions 1000 > trace.txt
//       no --out-dir: trace.txt on stdout, stores as plain lines (no sq file)
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "stages/runtime/output_file.h"
#include "stages/runtime/tool.h"
#include "tests/tools/gem5_synth.h"

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
                 "write DIR/trace.txt and DIR/trace.sq.txt (default: trace on stdout, no sq); "
                 "a file appears when complete, a named pipe is written as it is");
  app.add_flag("--no-sq", noSq, "stores as plain trace lines, no trace.sq.txt");
  app.add_option("--sq-delay", o.sqDelay,
                 "trace lines between a store and its trace.sq.txt line")
      ->capture_default_str();
  auto* start = app.add_option("--start-tick", startTick,
                               "write a start line (sq_index -99) with this tick first");
  app.add_option("--code-bytes", o.codeBytes, "code footprint in bytes")
      ->capture_default_str();
  app.add_option("--data-bytes", o.dataBytes,
                 "a data array of this many bytes that the strided loads and stores walk "
                 "line by line (a footprint that grows with the run; 0: none)")
      ->capture_default_str();
  if (auto rc = tool.parse(argc, argv)) return *rc;
  if (timing->count() > 0) o.timingSeed = timingSeed;
  if (start->count() > 0) o.startTick = startTick;
  o.storeQueue = !noSq && !outDir.empty();
  return tool.guard([&] {
    if (!outDir.empty()) std::filesystem::create_directories(outDir);
    pv::runtime::OutputFile trace(outDir.empty() ? "-" : outDir + "/trace.txt");
    std::optional<pv::runtime::OutputFile> sq;
    if (o.storeQueue) sq.emplace(outDir + "/trace.sq.txt");
    pv::synth::TextSink toSq;
    if (sq) toSq = [&](std::string_view s) { sq->write(s); };
    pv::synth::generateGem5Trace(o, [&](std::string_view s) { trace.write(s); }, toSq, size_t{1} << 16);
    trace.commit();
    if (sq) sq->commit();
  });
}
