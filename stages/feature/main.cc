// pv-feature: turns a perfvec instruction stream into the 51 PerfVec input
// features (reuse-distance columns left pending for pv-reuse-distance).
// It also reads raw gem5 trace text (detected by its first byte), so that
// `gem5 ... | pv-feature | ...` needs no explicit pv-trace-tap, and with
// --reuse-distance fills those columns itself (pv-reuse-distance's library,
// one process and one stream fewer, the same bytes).
// Flags and transport only; the work is pv::FeatureExtractor (and
// pv::ReuseDistanceStage).

#include <sys/stat.h>

#include <cstdio>

#include "stages/feature-lib/reuse_distance.h"
#include "stages/feature/feature_extractor.h"
#include "stages/runtime/byte_source.h"
#include "stages/runtime/stage.h"
#include "stages/trace-readers/gem5_trace_reader.h"

namespace {

// gem5 trace text starts with a digit, a sign or blanks; a Cap'n Proto
// stream starts with its segment count minus one as a little-endian 32-bit
// number (a 0 byte for any real message).
bool looksLikeGem5Text(char first) {
  return (first >= '0' && first <= '9') || first == '-' || first == ' ' || first == '\t';
}

bool isRegularOrFifo(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode));
}

bool isZeroMq(const std::string& spec) { return spec.find("://") != std::string::npos; }

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Stage stage("pv-feature",
                           "Turns committed instructions into the 51 PerfVec input features.\n"
                           "Columns 18, 20, 21, 22 (reuse distances) stay NaN for "
                           "pv-reuse-distance, which needs the address columns this stage adds,\n"
                           "unless --reuse-distance fills them here (the same code and output as "
                           "`| pv-reuse-distance`, one process fewer).\n"
                           "The input may also be raw gem5 trace text (as pv-trace-tap reads).");
  std::string sq;
  stage.cli()
      .add_option("--sq", sq,
                  "Store-queue trace for raw gem5 text input (default: beside a trace file, "
                  "none for stdin)")
      ->type_name("FILE");
  stage.addBatchSizeOption("Instructions per batch when the input is gem5 text");
  size_t historyMb = pv::kDefaultBranchHistoryMb;
  stage.cli()
      .add_option("--history-mb", historyMb,
                  "Memory for the conditional branches' outcome histories, MiB (exact while they fit; past "
                  "it the least recently executed are forgotten, with a warning)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  // pv-reuse-distance's options, for its library run in this process.
  bool reuseDistance = false, keepAddresses = false, locality = false;
  size_t reuseHistoryMb = pv::kDefaultHistoryMb;
  auto* reuseFlag = stage.cli().add_flag(
      "--reuse-distance", reuseDistance,
      "Also fill the reuse-distance columns, in this process: the output of `pv-feature | pv-reuse-distance` "
      "byte for byte, without the second process and the stream between them");
  stage.cli()
      .add_flag("--keep-addresses", keepAddresses, "With --reuse-distance: as pv-reuse-distance --keep-addresses")
      ->needs(reuseFlag);
  stage.cli()
      .add_flag("--locality", locality, "With --reuse-distance: as pv-reuse-distance --locality (55 columns)")
      ->needs(reuseFlag);
  stage.cli()
      .add_option("--reuse-history-mb", reuseHistoryMb,
                  "With --reuse-distance: as pv-reuse-distance --history-mb (the line histories' memory, MiB)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30))
      ->needs(reuseFlag);
  if (auto rc = stage.parse(argc, argv)) return *rc;
  pv::FeatureExtractorOptions options;
  options.historyBytes = historyMb << 20;
  options.warn = [](const std::string& m) { std::fprintf(stderr, "pv-feature: warning: %s\n", m.c_str()); };
  pv::FeatureExtractor extractor(std::move(options));
  pv::ReuseDistanceOptions reuseOptions;
  reuseOptions.keepAddresses = keepAddresses;
  reuseOptions.locality = locality;
  reuseOptions.historyBytes = reuseHistoryMb << 20;
  reuseOptions.warn = [](const std::string& m) { std::fprintf(stderr, "pv-feature: warning: %s\n", m.c_str()); };
  pv::ReuseDistanceStage reuse(std::move(reuseOptions));
  pv::ComposedTransform<pv::FeatureExtractor, pv::ReuseDistanceStage> featuresAndReuse(extractor, "pv-feature",
                                                                                        reuse);
  pv::Transform<pv::InstructionBatch, pv::FeatureBatch>& transform =
      reuseDistance ? static_cast<pv::Transform<pv::InstructionBatch, pv::FeatureBatch>&>(featuresAndReuse)
                    : extractor;
  if (reuseDistance) stage.recordAs("pv-reuse-distance");
  return stage.guard([&] {
    const std::string& input = stage.options().input;
    if (isZeroMq(input)) {
      auto reader = pv::runtime::StreamReader::open(input);
      stage.runOn(*reader, transform);
      return;
    }
    auto bytes = pv::runtime::openByteSource(input);
    char first = 0;
    size_t got = bytes->read(&first, 1);
    auto whole = pv::runtime::prependBytes(std::string(&first, got), std::move(bytes));
    if (got == 0 || !looksLikeGem5Text(first)) {
      auto reader = pv::runtime::StreamReader::fromBytes(std::move(whole));
      stage.runOn(*reader, transform);
      return;
    }
    // Raw gem5 text: the trace-tap library reads it in-process.
    if (sq.empty()) sq = pv::gem5::defaultSqPath(input, isRegularOrFifo);
    const std::string name = whole->name();
    pv::gem5::Gem5TraceReader trace(
        pv::gem5::openedSource(std::move(whole)),
        sq.empty() ? pv::gem5::SourceOpener{} : pv::gem5::sourceAt(sq));
    pv::StreamHeader in;
    in.payload = pv::PayloadKind::kInstructions;
    in.source = "gem5 trace " + name + (sq.empty() ? "" : " (sq " + sq + ")");
    in.stages = {"gem5-text"};
    const size_t batchSize = stage.options().batchSize;
    stage.runSource<pv::FeatureBatch>(
        transform.describe(in), [&](const pv::Emit<pv::FeatureBatch>& emit) {
          pv::extractAll(
              transform, [&](pv::InstructionBatch& batch) { return trace.next(batch, batchSize); },
              emit);
        });
  });
}
