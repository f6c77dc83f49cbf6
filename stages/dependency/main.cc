// pv-dependency: appends the register-dataflow columns (dep_distance_log2,
// dep_depth, dep_on_load, load_chain_depth) to a feature stream. Flags and
// transport only; the work is pv::DependencyStage.

#include "stages/feature-lib/dependency.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::runtime::Stage stage(
      "pv-dependency",
      "Appends 4 register-dataflow columns to a feature stream (labelled or not), from its\n"
      "source and destination registers: the distance to the nearest producer (log2), the\n"
      "dataflow depth in blocks of 64 instructions, whether a source comes from a load, and\n"
      "the loads on the longest dataflow path in the block.");
  if (auto rc = stage.parse(argc, argv)) return *rc;
  pv::DependencyStage transform;
  return stage.run(transform);
}
