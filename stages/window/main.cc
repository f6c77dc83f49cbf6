// pv-window: feature rows -> chunks with context for pv-encode.

#include "stages/model-lib/model_file.h"
#include "stages/runtime/stage.h"
#include "stages/feature-lib/window_chunker.h"

int main(int argc, char** argv) {
  pv::runtime::Stage stage("pv-window",
                           "Groups feature rows into chunks of K instructions plus the W-1 rows "
                           "before them, for pv-encode (windows become strided views, not copies).");
  uint32_t window = 256, chunk = 1024, chunksPerBatch = 0;
  std::string model;
  std::vector<std::string> columns;  // the model's, picked from the stream's
  auto* w = stage.cli()
                .add_option("-w,--window", window, "Instructions per window W (the instruction itself last)")
                ->capture_default_str()
                ->check(CLI::Range(1u, 1u << 16));
  auto* k = stage.cli().add_option("-k,--chunk", chunk, "Instructions per chunk K")
                ->capture_default_str()
                ->check(CLI::Range(1u, 1u << 20));
  stage.cli().add_option("-m,--model", model,
                         "Take W, and K when the model was trained chunked, from this model file "
                         "(-w and -k override), and emit the model's feature columns (picked by name from "
                         "a stream that may have more)");
  stage.cli().add_option("--chunks-per-batch", chunksPerBatch,
                         "Chunks per output batch (default: enough for about 4096 instructions)")
      ->check(CLI::Range(0u, 1u << 16));
  if (auto rc = stage.parse(argc, argv)) return *rc;
  if (!model.empty()) {
    // Only the architecture is needed, but the whole file is checked.
    int rc = stage.guard([&] {
      const pv::Model m = pv::loadModel(model);
      if (w->count() == 0) window = m.architecture.window;
      if (k->count() == 0 && m.architecture.chunk != 0) chunk = m.architecture.chunk;
      columns = m.featureColumns;
    });
    if (rc != 0) return rc;
  }
  if (chunksPerBatch == 0) chunksPerBatch = std::max(1u, 4096u / chunk);
  // The option checks keep every size >= 1, so the constructor cannot fail.
  pv::WindowChunker chunker(window, chunk, chunksPerBatch);
  chunker.selectColumns(columns);
  return stage.run(chunker);
}
