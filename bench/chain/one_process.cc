// pv-bench-chain: the stages of
//   pv-trace-tap TRACE | pv-feature | pv-reuse-distance | pv-window -m M
//     | pv-encode -m M | pv-aggregate -o OUT
// run as one process: the same transforms (the stage libraries), each
// batch handed from one to the next by a function call, no streams, no
// sockets. bench/chain/run.sh times it against the seven executables joined
// by ZeroMQ (pv-launch) and checks that both give the same R_p.
//
//   pv-bench-chain -m MODEL TRACE [-o OUT] [--threads N]

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <variant>

#include <sys/stat.h>

#include "stages/aggregate/representation_aggregator.h"
#include "stages/encode/window_stream_encoder.h"
#include "stages/feature-lib/reuse_distance.h"
#include "stages/feature-lib/window_chunker.h"
#include "stages/feature/feature_extractor.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/model-lib/model_file.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/tool.h"
#include "stages/trace-readers/gem5_trace_reader.h"

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);  // the kernels pv-encode runs (and its bits)
  pv::runtime::Tool tool("pv-bench-chain",
                         "Runs tap, feature, reuse-distance, window, encode and aggregate as one process "
                         "(the stage libraries, no streams) and prints the time.");
  std::string modelPath, trace, out;
  int threads = pv::encode::availableCpus();
  uint32_t batchSize = 4096;
  auto& app = tool.cli();
  app.add_option("-m,--model", modelPath, "Model file (.pvm)")->required();
  app.add_option("trace", trace, "gem5 trace.txt (its trace.sq.txt beside it)")->required();
  app.add_option("-o,--output", out, "Write R_p here (a program stream, as pv-aggregate -o)");
  app.add_option("-t,--threads", threads, "Encoder CPU threads (as pv-encode)")->capture_default_str();
  app.add_option("--batch-size", batchSize, "Instructions per tap batch (as the stages' default)")
      ->capture_default_str();
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] {
    // The stage driver's malloc settings (stages/runtime/stage.cc), so that
    // the comparison is of the transports only.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    const auto start = std::chrono::steady_clock::now();

    const pv::Model model = pv::loadModel(modelPath);
    const pv::encode::InstructionEncoder encoder = pv::encode::loadEncoder(model, modelPath);
    pv::encode::setCpuThreads(threads);
    pv::encode::reserveBlasBuffers();

    const std::string sq = pv::gem5::defaultSqPath(trace, [](const std::string& p) {
      struct stat st {};
      return ::stat(p.c_str(), &st) == 0;
    });
    pv::gem5::Gem5TraceReader reader(pv::gem5::sourceAt(trace),
                                     sq.empty() ? pv::gem5::SourceOpener{} : pv::gem5::sourceAt(sq));
    // The headers as the separate stages would write them.
    pv::StreamHeader h;
    h.payload = pv::PayloadKind::kInstructions;
    h.source = "gem5 trace " + trace + (sq.empty() ? "" : " (sq " + sq + ")");
    h.stages = {"pv-trace-tap"};
    // The stages' default memory budgets.
    pv::FeatureExtractorOptions featureOptions;
    featureOptions.historyBytes = pv::kDefaultBranchHistoryMb << 20;
    featureOptions.warn = [](const std::string& m) { std::fprintf(stderr, "pv-bench-chain: warning: %s\n", m.c_str()); };
    pv::FeatureExtractor features(featureOptions);
    h = features.describe(h);
    h.stages.push_back("pv-feature");
    pv::ReuseDistanceStage reuse(pv::ReuseDistanceOptions{false, pv::kDefaultHistoryMb << 20, featureOptions.warn});
    h = reuse.describe(h);
    h.stages.push_back("pv-reuse-distance");
    // pv-window -m M: the model's W and K (1024 for an exact model), and
    // its default chunks per batch.
    const uint32_t window = model.architecture.window;
    const uint32_t chunk = model.architecture.chunk ? model.architecture.chunk : 1024;
    pv::WindowChunker chunker(window, chunk, std::max(1u, 4096u / chunk));
    h = chunker.describe(h);
    h.stages.push_back("pv-window");
    pv::encode::WindowStreamOptions o;
    o.mode = model.architecture.chunk ? pv::encode::EncodeMode::kChunked : pv::encode::EncodeMode::kExact;
    o.encode.memoryBudgetBytes = int64_t{256} << 20;  // pv-encode --memory-mb's default: the same calls
    pv::encode::WindowStreamEncoder encode(model, encoder, modelPath, o);
    h = encode.describe(h);
    h.stages.push_back("pv-encode");
    pv::RepresentationAggregator aggregate;
    h = aggregate.describe(h);
    h.stages.push_back("pv-aggregate");

    pv::ProgramRepresentation program;
    pv::Emit<pv::ProgramPart> toOutput = [&](pv::ProgramPart&& part) {
      if (auto* p = std::get_if<pv::ProgramRepresentation>(&part)) program = std::move(*p);
    };
    pv::Emit<pv::RepresentationBatch> toAggregate = [&](pv::RepresentationBatch&& b) {
      aggregate.process(std::move(b), toOutput);
    };
    pv::Emit<pv::FeatureBatch> toEncode = [&](pv::FeatureBatch&& b) { encode.process(std::move(b), toAggregate); };
    pv::Emit<pv::FeatureBatch> toWindow = [&](pv::FeatureBatch&& b) { chunker.process(std::move(b), toEncode); };
    pv::Emit<pv::FeatureBatch> toReuse = [&](pv::FeatureBatch&& b) { reuse.process(std::move(b), toWindow); };
    pv::InstructionBatch batch;
    while (reader.next(batch, batchSize)) {
      for (auto& row : batch.rows) {  // as pv-trace-tap without --timing
        row.hasTiming = false;
        row.timing = pv::Timing{};
      }
      features.process(std::move(batch), toReuse);
      batch = pv::InstructionBatch{};
    }
    features.finish(toReuse);
    reuse.finish(toWindow);
    chunker.finish(toEncode);
    encode.finish(toAggregate);
    aggregate.finish(toOutput);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (!out.empty()) {
      auto writer = pv::runtime::StreamWriter::open(out);
      writer->writeHeader(h);
      writer->write(program);
      writer->writeEnd(program.instructions);
      writer->close();
    }
    std::printf("%llu instructions in one process: %.2f s, %.0f instructions/s\n",
                static_cast<unsigned long long>(program.instructions), seconds,
                static_cast<double>(program.instructions) / seconds);
  });
}
