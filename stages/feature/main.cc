// pv-feature: turns a perfvec instruction stream into the 51 PerfVec input
// features (reuse-distance columns left pending for pv-reuse-distance).
// Flags and transport only; the work is pv::FeatureExtractor.

#include "stages/feature/feature_extractor.h"
#include "stages/runtime/stage.h"

namespace {

// Runs `extractor` from `reader` to the stage's output. Errors the transform
// raises without an input name get the reader's name.
void runOnStream(pv::runtime::Stage& stage, pv::runtime::StreamReader& reader,
                 pv::FeatureExtractor& extractor) {
  try {
    stage.runOn(reader, extractor);
  } catch (const pv::runtime::UpstreamError&) {
    throw;
  } catch (const pv::StageError& e) {
    if (!e.input().empty()) throw;
    throw pv::StageError(reader.name(), e.position(), e.message());
  }
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Stage stage("pv-feature",
                           "Turns committed instructions into the 51 PerfVec input features.\n"
                           "Columns 18, 20, 21, 22 (reuse distances) stay NaN for "
                           "pv-reuse-distance, which needs the address columns this stage adds.");
  if (auto rc = stage.parse(argc, argv)) return *rc;
  pv::FeatureExtractor extractor;
  return stage.guard([&] {
    // Inputs that are not perfvec streams (raw gem5 text) plug in here: build
    // a pv::InstructionSource and run it with pv::extractAll() under
    // stage.runSource<pv::FeatureBatch>(extractor.describe(header), ...).
    auto reader = pv::runtime::StreamReader::open(stage.options().input);
    runOnStream(stage, *reader, extractor);
  });
}
