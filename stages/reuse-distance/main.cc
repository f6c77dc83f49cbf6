// pv-reuse-distance: fills the reuse-distance feature columns (18, 20, 21,
// 22) of a pv-feature stream. Flags and transport only; the work is
// pv::ReuseDistanceStage.

#include "stages/reuse-distance/reuse_distance.h"
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
  if (auto rc = stage.parse(argc, argv)) return *rc;
  pv::ReuseDistanceStage transform(keepAddresses);
  return stage.run(transform);
}
