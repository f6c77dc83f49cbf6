// ProgramSummary: one labelled feature stream (a pv-dataset file) reduced
// with a model, in process: its representation R_p (the sum of R_i, computed
// as pv-window | pv-encode | pv-aggregate compute it), interval sums of R_i,
// and the sums of its labels per microarchitecture and target (the ground
// truth: the sum of "commit" is the execution time in 0.1 ns). pv-eval
// compares R_p . M_u with the label sums; pv-tune fits M_u to them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stages/model-lib/instruction_encoder.h"
#include "stages/model-lib/model_file.h"

namespace pv::eval {

struct ProgramSummary {
  std::string name;
  std::string source;
  uint64_t instructions = 0;               // records
  int hidden = 0;
  std::vector<double> representation;      // R_p, hidden values
  std::vector<std::string> uarchNames;     // of the labels
  std::vector<std::string> targetNames;
  std::vector<double> labelSums;           // uarchs x targets
  // Intervals of `interval` records (the last may be shorter).
  uint64_t interval = 0;
  std::vector<uint64_t> intervalRecords;
  std::vector<double> intervalRepresentation;  // intervals x hidden
  std::vector<double> intervalLabelSums;       // intervals x uarchs x targets

  // Index of a microarchitecture / target among the labels, or -1.
  int uarchIndex(const std::string& name) const;
  int targetIndex(const std::string& name) const;
  double labelSum(int uarch, int target) const { return labelSums[uarch * targetNames.size() + target]; }
};

struct SummaryOptions {
  uint64_t interval = 0;   // 0: no intervals; else a multiple of the model's chunk (rounded up)
  int64_t maxRows = 0;     // 0: the whole stream
  int64_t memoryMb = 256;  // activations per encoder call
};

// Reads `spec` (a labelled or unlabelled feature stream) and encodes it with
// `encoder` (the model's weights) in the model's mode (chunked with its K,
// or exact). Throws StageError naming the input.
ProgramSummary summarize(const Model& model, const encode::InstructionEncoder& encoder, const std::string& spec,
                         const std::string& name, const SummaryOptions& options);

}  // namespace pv::eval
