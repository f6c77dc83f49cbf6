// pv-encode: window stream -> instruction representations (LibTorch).

#include <cstdlib>
#include <iostream>

#include "stages/encode/feature_stream_encoder.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::encode::reexecWithoutForcedOpenBlasCore(argv);
  pv::runtime::Stage stage(
      "pv-encode",
      "Turns a feature stream (pv-feature, with or without pv-reuse-distance) or a window stream "
      "(pv-window) into instruction representations R_i with the model's LSTM/GRU encoder: per-chunk "
      "sums of R_i (default) or every R_i. Reuse distances and windows are computed here when the "
      "stream does not have them yet (W and K from the model).");
  std::string modelPath, mode, device = "cpu";
  bool perInstruction = false, atenRnn = false, anyChunk = false, backend = false;
  int threads = pv::encode::availableCpus();
  int64_t perCall = 0, memoryMb = 256;
  auto& cli = stage.cli();
  cli.add_option("-m,--model", modelPath, "Model file (.pvm) (required)");
  cli.add_option("--mode", mode,
                 "exact: every R_i from a fresh window of W instructions (PerfVec; slow); "
                 "chunked: one pass over each chunk's W-1 + K rows (default when the model was "
                 "trained chunked)")
      ->check(CLI::IsMember({"exact", "chunked"}));
  cli.add_flag("--per-instruction", perInstruction, "Emit every R_i instead of per-chunk sums");
  cli.add_option("-t,--threads", threads, "CPU threads (default: the CPUs this process may use)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cli.add_option("--device", device, "cpu, cuda or cuda:N (CUDA only when LibTorch has it)")
      ->capture_default_str();
  cli.add_option("--memory-mb", memoryMb, "Activation memory per encoder call, MiB")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cli.add_option("--instructions-per-call", perCall,
                 "Instructions gathered per encoder call (default: what fits in --memory-mb)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  size_t historyMb = pv::kDefaultHistoryMb;
  cli.add_option("--history-mb", historyMb,
                 "On a feature stream whose reuse distances are pending: memory for the line histories, "
                 "MiB (as pv-reuse-distance --history-mb)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  cli.add_flag("--aten-rnn", atenRnn, "Run LibTorch's at::lstm/at::gru instead of perfvec's CPU kernel");
  cli.add_flag("--any-chunk", anyChunk,
               "Accept chunks of another size than the model was trained with (chunked mode)");
  cli.add_flag("--backend", backend,
               "Print what the CPU encoder runs on (threads, BLAS library and kernels, malloc) and exit");
  if (auto rc = stage.parse(argc, argv)) return *rc;
  if (backend) {
    pv::encode::setCpuThreads(threads);
    const auto b = pv::encode::cpuBackend();
    std::cout << b.describe() << "\n";
    for (const auto& w : b.warnings()) std::cout << "warning: " << w << "\n";
    return 0;
  }
  if (modelPath.empty()) {
    std::cerr << "pv-encode: --model is required\nRun with --help for more information.\n";
    return 2;
  }

  return stage.guard([&] {
    pv::Model model = pv::loadModel(modelPath);
    pv::encode::InstructionEncoder encoder = pv::encode::loadEncoder(model, modelPath);
    try {
      encoder.setDevice(device);
    } catch (const std::exception& e) {
      throw pv::StageError("--device", device, e.what());
    }
    pv::encode::setCpuThreads(threads);
    pv::encode::reserveBlasBuffers();
    if (!stage.options().quiet)
      for (const auto& w : pv::encode::cpuBackend().warnings()) std::cerr << "pv-encode: warning: " << w << "\n";

    pv::encode::WindowStreamOptions o;
    o.mode = mode.empty() ? (model.architecture.chunk ? pv::encode::EncodeMode::kChunked
                                                      : pv::encode::EncodeMode::kExact)
                          : *pv::encode::parseEncodeMode(mode);
    o.perInstruction = perInstruction;
    o.instructionsPerCall = perCall;
    o.anyChunk = anyChunk;
    o.encode.atenRnn = atenRnn;
    o.encode.memoryBudgetBytes = memoryMb << 20;
    pv::ReuseDistanceOptions reuse;
    reuse.historyBytes = historyMb << 20;
    reuse.warn = [](const std::string& m) { std::cerr << "pv-encode: warning: " << m << "\n"; };
    pv::encode::FeatureStreamEncoder transform(model, encoder, modelPath, o, std::move(reuse));
    auto reader = pv::runtime::StreamReader::open(stage.options().input);
    stage.runOn(*reader, transform);
  });
}
