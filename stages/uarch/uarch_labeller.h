// UarchLabeller: the pv-uarch transform. Instruction batches in, the same
// instructions out, labelled with the 16 PerfVec targets of every configured
// microarchitecture (InstructionBatch::labels, [instruction][uarch][target],
// the schema of pv-trace-tap --labels). An input that is already labelled
// keeps its labels; the simulated microarchitectures are appended after its
// own (same target names required).
//
// One pass over the stream drives all models; each batch is decoded once
// and the models run over it one after another or on `threads` threads.
// Output lags the input by one batch: a taken branch's target, and so its
// mispredict label, is known only from the next instruction.
#pragma once

#include <memory>
#include <vector>

#include "stages/core/transform.h"
#include "stages/uarch/core_model.h"
#include "stages/uarch/run_report.h"
#include "stages/model-lib/uarch_config.h"

namespace pv::uarch {

class UarchLabeller : public Transform<InstructionBatch, InstructionBatch> {
 public:
  // Throws StageError when two configurations share a name.
  explicit UarchLabeller(std::vector<UarchConfig> configs, unsigned threads = 1);

  StreamHeader describe(const StreamHeader& in) override;
  void process(InstructionBatch&& batch, const Emit<InstructionBatch>& emit) override;
  void finish(const Emit<InstructionBatch>& emit) override;

  // Totals per configuration so far, in configuration order.
  std::vector<RunReport> reports() const;
  const CoreModel& model(size_t i) const { return *models_[i]; }

 private:
  void runModels(float* labels, size_t rows, size_t stride);

  std::vector<std::unique_ptr<CoreModel>> models_;
  unsigned threads_;
  size_t inputWidth_ = 0;   // label floats per row of the input
  size_t outputWidth_ = 0;
  std::vector<DecodedInstruction> decoded_;
  bool holding_ = false;
  InstructionBatch held_;
};

}  // namespace pv::uarch
