// pv-trace-tap: reads PerfVec gem5 traces (trace.txt + trace.sq.txt; files,
// stdin, .zst, live named pipes) into a perfvec instruction stream;
// --labels adds the 16 training targets of one or more microarchitectures.
// Flags and transport only; the work is in the trace_tap library.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "stages/runtime/byte_source.h"
#include "stages/runtime/stage.h"
#include "stages/trace-readers/champsim_trace_reader.h"
#include "stages/trace-readers/compressed_source.h"
#include "stages/trace-readers/gem5_trace_reader.h"
#include "stages/trace-readers/valgrind_trace_reader.h"
#include "stages/trace-tap/labelled_trace_merger.h"
#include "stages/trace-tap/valgrind_process.h"

namespace {

constexpr const char* kName = "pv-trace-tap";

int usageError(const std::string& message) {
  std::cerr << kName << ": " << message << "\n"
            << "Run '" << kName << " --help' for usage.\n";
  return 2;
}

bool isRegularOrFifo(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  return !ec && (std::filesystem::is_regular_file(status) ||
                 std::filesystem::is_fifo(status));
}

// The microarchitecture name of a trace: its folder's name.
std::string folderName(const std::string& trace) {
  if (trace == "-") return "";
  std::filesystem::path parent = std::filesystem::path(trace).parent_path();
  if (parent.empty()) parent = std::filesystem::current_path();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(parent, ec);
  if (!ec) parent = absolute.lexically_normal();
  std::string name = parent.filename().string();
  if (name.empty() && parent.has_parent_path())
    name = parent.parent_path().filename().string();  // "dir/" ends in ""
  return name;
}

// Drops the raw timing fields (a third of an instruction's encoded size).
void stripTiming(pv::InstructionBatch& batch) {
  for (auto& row : batch.rows) {
    row.hasTiming = false;
    row.timing = pv::Timing{};
  }
}

// The shell-quoted command line, for the header's source.
std::string commandLine(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& a : command) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t'\"\\$`") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

// pv-trace-tap --valgrind: runs the program under the pvtap tool.
int runValgrind(pv::runtime::Stage& stage, const pv::valgrind::RunOptions& options) {
  pv::StreamHeader header;
  header.payload = pv::PayloadKind::kInstructions;
  header.source = "valgrind pvtap: " + commandLine(options.command);
  if (options.skip > 0 || options.count > 0)
    header.source += " (skip " + std::to_string(options.skip) + ", count " +
                     (options.count > 0 ? std::to_string(options.count) : "all") + ")";
  const size_t batchSize = stage.options().batchSize;
  const bool quiet = stage.options().quiet;
  return stage.runSource<pv::InstructionBatch>(
      header, [&](const pv::Emit<pv::InstructionBatch>& emit) {
        pv::valgrind::GuestProcess guest(options);
        pv::valgrind::ValgrindTraceReader reader(guest.takeStream());
        try {
          pv::InstructionBatch batch;
          while (reader.next(batch, batchSize)) emit(std::move(batch));
        } catch (const pv::StageError&) {
          guest.failed(std::current_exception());
        }
        guest.finish(reader.end());
        if (!quiet) {
          const auto& s = reader.stats();
          const auto& e = *reader.end();
          std::cerr << kName << ": " << options.command[0] << ": " << s.guestInstructions
                    << " instructions traced (" << e.skipped << " skipped), " << s.records
                    << " records, " << s.threads << " thread" << (s.threads == 1 ? "" : "s")
                    << (e.reason == pv::valgrind::EndRecord::kRegionDone
                            ? "; region done, guest stopped"
                            : "")
                    << "\n";
        }
      });
}

// pv-trace-tap --champsim: reads a ChampSim trace.
int runChampSim(pv::runtime::Stage& stage, const std::string& file) {
  pv::StreamHeader header;
  header.payload = pv::PayloadKind::kInstructions;
  header.source = "champsim trace " + (file == "-" ? std::string("<stdin>") : file);
  const size_t batchSize = stage.options().batchSize;
  const bool quiet = stage.options().quiet;
  return stage.runSource<pv::InstructionBatch>(
      header, [&](const pv::Emit<pv::InstructionBatch>& emit) {
        pv::champsim::ChampSimTraceReader reader(pv::trace::openCompressedSource(file));
        pv::InstructionBatch batch;
        uint64_t records = 0;
        while (reader.next(batch, batchSize)) {
          records += batch.rows.size();
          emit(std::move(batch));
        }
        if (!quiet)
          std::cerr << kName << ": " << reader.name() << ": " << reader.traceRecords()
                    << " trace records, " << records << " instruction records\n";
      });
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Stage stage(
      kName,
      "Reads PerfVec gem5 traces (trace.txt with its trace.sq.txt), ChampSim traces "
      "(--champsim), or a program run under perfvec's Valgrind tool (--valgrind) into a "
      "perfvec instruction stream.\nWith --labels, adds the 16 PerfVec training targets of "
      "each trace: several traces of the same program on different "
      "microarchitectures become one stream labelled for all of them.",
      /*hasInput=*/false);
  std::vector<std::string> traces = {"-"};
  std::vector<std::string> sqFiles;
  std::vector<std::string> uarchs;
  bool noSq = false;
  bool labels = false;
  auto& cli = stage.cli();
  cli.add_option("traces", traces,
                 "gem5 trace.txt files: '-' (stdin), a file or named pipe (.zst: zstd). "
                 "More than one needs --labels. With --valgrind: the program and its "
                 "arguments, after '--'")
      ->capture_default_str();
  cli.add_option("--sq", sqFiles,
                 "trace.sq.txt of each trace, in order (default: beside the trace, "
                 "trace.txt -> trace.sq.txt or trace.sq.txt.zst, when it exists)")
      ->allow_extra_args(false);
  cli.add_flag("--no-sq", noSq,
               "read no store-queue file (a store-queue record is then an error)");
  cli.add_flag("--labels", labels,
               "emit the 16 training targets per instruction and trace (0.1 ns units)");
  cli.add_option("--uarch", uarchs,
                 "microarchitecture name of each trace, in order (default: the name of "
                 "the trace's folder)")
      ->allow_extra_args(false);
  bool keepTiming = false;
  cli.add_flag("--timing", keepTiming,
               "Keep gem5's raw timing fields in the records (default: dropped, since "
               "inference does not use them and --labels turns them into targets)");
  bool valgrind = false;
  pv::valgrind::RunOptions vg;
  cli.add_flag("--valgrind", valgrind,
               "Run PROGRAM ARGS... (after '--') under perfvec's Valgrind tool and trace "
               "every instruction it executes (instead of reading gem5 traces)");
  cli.add_option("--skip", vg.skip,
                 "--valgrind: skip the first N guest instructions (counted in the tool)")
      ->capture_default_str();
  cli.add_option("--count", vg.count,
                 "--valgrind: trace M instructions after the skipped ones, then stop the "
                 "guest (0: until it exits)")
      ->capture_default_str();
  cli.add_option("--guest-stdout", vg.guestStdout,
                 "--valgrind: file for the program's standard output (default: this "
                 "program's stderr, since stdout carries the stream)");
  std::string champsim;
  cli.add_option("--champsim", champsim,
                 "Read a ChampSim trace (64-byte records; '-' stdin, a file; .xz, .gz, .zst or "
                 "plain, told by the data) instead of gem5 traces");
  stage.addBatchSizeOption("Instructions per output batch");
  if (auto rc = stage.parse(argc, argv)) return *rc;

  if (!champsim.empty()) {
    if (valgrind) return usageError("--champsim and --valgrind exclude each other");
    if (labels || !sqFiles.empty() || noSq || !uarchs.empty() || keepTiming ||
        cli.count("traces") > 0)
      return usageError("--champsim takes no gem5 traces or options (--labels, --sq, --no-sq, "
                        "--uarch, --timing)");
    if (cli.count("--skip") || cli.count("--count") || cli.count("--guest-stdout"))
      return usageError("--skip, --count and --guest-stdout need --valgrind");
    return runChampSim(stage, champsim);
  }

  if (valgrind) {
    if (labels || !sqFiles.empty() || noSq || !uarchs.empty() || keepTiming)
      return usageError("--valgrind takes no gem5 options (--labels, --sq, --no-sq, "
                        "--uarch, --timing)");
    if (cli.count("traces") == 0) return usageError("--valgrind needs a program: -- PROGRAM ARGS...");
    vg.command = traces;
    return runValgrind(stage, vg);
  }
  if (cli.count("--skip") || cli.count("--count") || cli.count("--guest-stdout"))
    return usageError("--skip, --count and --guest-stdout need --valgrind");

  // Checks the combination of options.
  if (traces.empty()) traces = {"-"};
  if (traces.size() > 1 && !labels)
    return usageError("more than one trace needs --labels (a merged, labelled stream)");
  if (!sqFiles.empty() && noSq) return usageError("--sq and --no-sq exclude each other");
  if (!sqFiles.empty() && sqFiles.size() != traces.size())
    return usageError("give one --sq per trace (" + std::to_string(traces.size()) +
                      " traces, " + std::to_string(sqFiles.size()) + " --sq)");
  if (!uarchs.empty() && !labels) return usageError("--uarch needs --labels");
  if (!uarchs.empty() && uarchs.size() != traces.size())
    return usageError("give one --uarch per trace (" + std::to_string(traces.size()) +
                      " traces, " + std::to_string(uarchs.size()) + " --uarch)");
  if (std::count(traces.begin(), traces.end(), std::string("-")) > 1)
    return usageError("stdin ('-') can be read only once");
  if (sqFiles.empty()) {
    for (const auto& t : traces)
      sqFiles.push_back(noSq ? "" : pv::gem5::defaultSqPath(t, isRegularOrFifo));
  }
  if (labels && uarchs.empty()) {
    for (size_t i = 0; i < traces.size(); ++i) {
      std::string name = folderName(traces[i]);
      uarchs.push_back(name.empty() ? "uarch" + std::to_string(i) : name);
    }
    std::set<std::string> distinct(uarchs.begin(), uarchs.end());
    if (distinct.size() != uarchs.size())
      return usageError("the traces' folder names repeat; name the microarchitectures "
                        "with --uarch");
  }

  // What the stream comes from.
  pv::StreamHeader header;
  header.payload = pv::PayloadKind::kInstructions;
  header.source = traces.size() == 1 ? "gem5 trace " : "gem5 traces ";
  for (size_t i = 0; i < traces.size(); ++i) {
    if (i > 0) header.source += ", ";
    header.source += traces[i] == "-" ? "<stdin>" : traces[i];
    if (!sqFiles[i].empty()) header.source += " (sq " + sqFiles[i] + ")";
    if (labels) header.source += " as " + uarchs[i];
  }

  auto makeReader = [&](size_t i) {
    return std::make_unique<pv::gem5::Gem5TraceReader>(
        pv::gem5::sourceAt(traces[i]),
        sqFiles[i].empty() ? pv::gem5::SourceOpener{} : pv::gem5::sourceAt(sqFiles[i]));
  };
  const size_t batchSize = stage.options().batchSize;

  // Readers start reading (on their own threads) right away; failures
  // surface in runSource, which reports them and sends them downstream.
  if (!labels) {
    auto reader = makeReader(0);
    return stage.runSource<pv::InstructionBatch>(
        header, [&](const pv::Emit<pv::InstructionBatch>& emit) {
          pv::InstructionBatch batch;
          // next() refills `batch`, reusing its memory when emit() left it.
          while (reader->next(batch, batchSize)) {
            if (!keepTiming) stripTiming(batch);
            emit(std::move(batch));
          }
        });
  }
  std::vector<pv::gem5::LabelledTrace> inputs;
  for (size_t i = 0; i < traces.size(); ++i)
    inputs.push_back(pv::gem5::LabelledTrace{uarchs[i], makeReader(i)});
  pv::gem5::LabelledTraceMerger merger(std::move(inputs));
  merger.describe(header);
  return stage.runSource<pv::InstructionBatch>(
      header, [&](const pv::Emit<pv::InstructionBatch>& emit) {
        pv::InstructionBatch batch;
        while (merger.next(batch, batchSize)) {
          if (!keepTiming) stripTiming(batch);
          emit(std::move(batch));
        }
      });
}
