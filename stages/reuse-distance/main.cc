// pv-reuse-distance: fills the reuse-distance feature columns (18, 20, 21,
// 22) of a pv-feature stream. Flags and transport only; the work is
// pv::ReuseDistanceStage.

#include <cstdio>

#include "stages/feature-lib/reuse_distance.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::runtime::Stage stage(
      "pv-reuse-distance",
      "Fills the reuse-distance features of a pv-feature stream: 18 fetch line among fetch\n"
      "lines, 20 data line among load lines, 21 among store lines (64-byte lines; 1e8 when\n"
      "never seen), 22 instructions since the same address (capped at 1000).");
  bool keepAddresses = false;
  stage.cli().add_flag("--keep-addresses", keepAddresses,
                       "Keep the pc/dataAddr/access side columns in the output (default: drop "
                       "them)");
  bool locality = false;
  stage.cli().add_flag("--locality", locality,
                       "Append 4 spatial-locality columns after the 51 (which stay PerfVec's): the line stride "
                       "of this pc's data address from its previous one (log2), whether its byte stride "
                       "repeats, its direction, and the reuse distance of the neighbouring lines (log2)");
  size_t historyMb = pv::kDefaultHistoryMb;
  stage.cli()
      .add_option("--history-mb", historyMb,
                  "Memory for the fetch, load and store line histories, MiB (exact while the distinct "
                  "lines fit; past it the oldest are forgotten and read as never seen, with a warning)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  if (auto rc = stage.parse(argc, argv)) return *rc;
  pv::ReuseDistanceOptions options;
  options.keepAddresses = keepAddresses;
  options.locality = locality;
  options.historyBytes = historyMb << 20;
  options.warn = [](const std::string& m) { std::fprintf(stderr, "pv-reuse-distance: warning: %s\n", m.c_str()); };
  pv::ReuseDistanceStage transform(std::move(options));
  return stage.run(transform);
}
