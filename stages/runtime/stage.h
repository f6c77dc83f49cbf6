// The thin driver every stream stage's main uses: the common command line
// of Tool (tool.h: --help, --version, exit codes) plus endpoints, progress on
// stderr, and errors reported downstream as a stream error.
//
//   int main(int argc, char** argv) {
//     pv::runtime::Stage stage("pv-feature", "Turns instructions into features");
//     int knob = 8;
//     stage.cli().add_option("--knob", knob, "what it does");
//     if (auto rc = stage.parse(argc, argv)) return *rc;
//     pv::FeatureExtractor transform(knob);
//     return stage.run(transform);
//   }
//
// Exit codes: 0 success, 1 data or runtime error (message on stderr, and a
// StreamError sent downstream), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "stages/core/stage_error.h"
#include "stages/core/transform.h"
#include "stages/runtime/slice.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"

namespace pv::runtime {

struct StreamOptions {
  std::string input = "-";
  std::string output = "-";
  bool progress = false;    // --progress
  bool noProgress = false;  // --no-progress
  bool force = false;       // write a binary stream to a terminal
  bool quiet = false;
  uint32_t batchSize = 4096;
  uint64_t startAt = 0;     // --start-at: see slice.h
};

// Counts records and prints the progress line (progress_line.h) on stderr a
// few times a second when enabled (default: when stderr is a terminal).
class Progress {
 public:
  Progress(std::string stage, bool enabled);
  void add(uint64_t records);
  void finish();
  uint64_t records() const { return records_; }

 private:
  void print(bool final);
  std::string stage_;
  bool enabled_;
  uint64_t records_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

// Adds --curve-secret, --curve-server-key and --curve-authorized (curve.h)
// to a command line: every executable that opens ZeroMQ endpoints offers
// them (the Stage driver does; pv-cat, pv-dot-predict, pv-train and pv-eval
// call this), and pv-launch passes a pipeline's [security] keys to them.
void addCurveOptions(CLI::App& app);

class Stage {
 public:
  // `hasInput`: false for sources that read a foreign format themselves.
  Stage(std::string name, std::string summary, bool hasInput = true);

  CLI::App& cli() { return app_; }
  StreamOptions& options() { return options_; }
  const std::string& name() const { return name_; }

  // The name the output header records for this stage, last in its stage
  // list (default: the stage's own). A stage that runs another stage's
  // library after its own (ComposedTransform) records that one, so that its
  // output is the two stages' byte for byte.
  void recordAs(std::string stageName) { recordedName_ = std::move(stageName); }

  // Offers --batch-size (options().batchSize), for stages that choose the
  // size of their output batches.
  void addBatchSizeOption(const std::string& help = "Records per output batch");

  // Parses the command line; returns an exit code when the stage should
  // stop now (--help, --version: 0, usage error: 2).
  std::optional<int> parse(int argc, char** argv);

  // Runs a transform from the input stream to the output stream.
  template <class T>
  int run(T& transform) {
    return guard([&] {
      auto reader = StreamReader::open(options_.input);
      runOn(*reader, transform);
    });
  }

  // Runs a transform on an already opened reader. Errors a transform raises
  // without naming an input are attributed to the reader's input.
  template <class T>
  void runOn(StreamReader& reader, T& transform) {
    try {
      runOnUnnamed(reader, transform);
    } catch (const UpstreamError&) {
      throw;
    } catch (const StageError& e) {
      if (!e.input().empty()) throw;
      throw StageError(reader.name(), e.position(), e.message());
    }
  }

 private:
  template <class T>
  void runOnUnnamed(StreamReader& reader, T& transform) {
    // With --start-at the transform sees the slice of the input from that
    // record on (slice.h).
    StreamSlice slice(options_.startAt, reader.name());
    StreamHeader out = transform.describe(slice.describe(reader.header()));
    out.stages.push_back(recordedName_);
    readsStream_ = true;
    auto& writer = openOutput(out);
    Emit<typename T::Output> emit = [&](typename T::Output&& batch) {
      countOut(batch);
      writer.write(batch);
    };
    // One batch object for the whole stream: the decoder sets every field,
    // so the next batch reuses the storage the last one left (a transform
    // that moved parts out leaves them empty) instead of allocating and
    // default-constructing thousands of rows again (7% of pv-feature's time,
    // perf 2026-12-05).
    typename T::Input batch;
    while (reader.next(batch)) {
      progress_->add(recordsIn(batch));
      if (slice.apply(batch)) transform.process(std::move(batch), emit);
    }
    slice.finish(reader.records());
    transform.finish(emit);
    closeOutput();
  }

 public:
  // Runs a source: `produce` emits batches until its input ends.
  template <class Out>
  int runSource(const StreamHeader& header,
                const std::function<void(const Emit<Out>&)>& produce) {
    return guard([&] {
      StreamHeader out = header;
      out.stages.push_back(recordedName_);
      auto& writer = openOutput(out);
      Emit<Out> emit = [&](Out&& batch) {
        progress_->add(recordsIn(batch));
        countOut(batch);
        writer.write(batch);
      };
      produce(emit);
      closeOutput();
    });
  }

  // Runs `body`, turning errors into messages, a StreamError downstream
  // (when the output is open) and exit code 1.
  int guard(const std::function<void()>& body);

  // Opens the output and writes the header (once).
  StreamWriter& openOutput(const StreamHeader& header);
  // Writes end of stream with the number of records emitted, and closes.
  void closeOutput();

 private:
  static uint64_t recordsIn(const InstructionBatch& b) { return b.rows.size(); }
  static uint64_t recordsIn(const FeatureBatch& b) { return b.rows(); }
  static uint64_t recordsIn(const RepresentationBatch& b) { return b.instructionCount(); }
  static uint64_t recordsIn(const ProgramRepresentation& p) { return p.instructions; }
  // Interval sums are records of no instructions of their own: the program
  // message after them counts the instructions.
  static uint64_t recordsIn(const IntervalRepresentation&) { return 0; }
  static uint64_t recordsIn(const ProgramPart& p) {
    return std::visit([](const auto& part) { return recordsIn(part); }, p);
  }
  template <class B>
  void countOut(const B& b) { recordsOut_ += recordsIn(b); }

  std::string name_;
  std::string recordedName_;  // recordAs()
  bool hasInput_;
  Tool tool_;      // --help, --version, usage errors
  CLI::App& app_;  // tool_.cli()
  StreamOptions options_;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<StreamWriter> writer_;
  uint64_t recordsOut_ = 0;
  bool readsStream_ = false;  // runOn is running (--start-at applies)
};

}  // namespace pv::runtime
