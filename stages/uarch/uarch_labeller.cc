// UarchLabeller: decode once, run every model, relabel, emit one batch late.

#include "stages/uarch/uarch_labeller.h"

#include <algorithm>
#include <set>
#include <thread>

#include "stages/core/stage_error.h"
#include "stages/core/targets.h"

namespace pv::uarch {

UarchLabeller::UarchLabeller(std::vector<UarchConfig> configs, unsigned threads)
    : threads_(std::max(1u, threads)) {
  std::set<std::string> names;
  for (auto& c : configs) {
    if (!names.insert(c.name).second)
      throw StageError("", "", "two configurations are named '" + c.name + "'");
    models_.push_back(std::make_unique<CoreModel>(c));
  }
}

StreamHeader UarchLabeller::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kInstructions)
    throw StageError("", "header", "pv-uarch reads instruction streams (pv-trace-tap's output), not features or representations");
  StreamHeader out = in;
  const std::vector<std::string> targets = targetNames();
  if (in.labelled() && in.targetNames != targets)
    throw StageError("", "header", "the input is labelled with other targets than PerfVec's 16");
  out.targetNames = targets;
  for (const auto& m : models_) {
    const std::string& name = m->config().name;
    if (std::find(out.uarchNames.begin(), out.uarchNames.end(), name) != out.uarchNames.end())
      throw StageError("", "header", "the microarchitecture name '" + name + "' is already in the input's labels");
    out.uarchNames.push_back(name);
  }
  inputWidth_ = in.labelWidth();
  outputWidth_ = out.labelWidth();
  return out;
}

void UarchLabeller::runModels(float* labels, size_t rows, size_t stride) {
  const size_t n = models_.size();
  auto runRange = [&](size_t begin, size_t end) {
    for (size_t u = begin; u < end; ++u)
      models_[u]->run(decoded_.data(), rows, labels + inputWidth_ + u * CoreModel::kTargets, stride);
  };
  const size_t workers = std::min<size_t>(threads_, n);
  if (workers <= 1) {
    runRange(0, n);
    return;
  }
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w)
    pool.emplace_back(runRange, w * n / workers, (w + 1) * n / workers);
  runRange(0, n / workers);
  for (auto& t : pool) t.join();
}

void UarchLabeller::process(InstructionBatch&& batch, const Emit<InstructionBatch>& emit) {
  const size_t rows = batch.rows.size();
  if (rows == 0) return;
  if (batch.labels.size() != rows * inputWidth_)
    throw StageError("", "instruction " + std::to_string(batch.firstIndex),
                     "batch has " + std::to_string(batch.labels.size()) + " label values for " +
                         std::to_string(rows) + " instructions of " + std::to_string(inputWidth_));
  std::vector<float> labels(rows * outputWidth_);
  for (size_t r = 0; r < rows && inputWidth_ > 0; ++r)
    std::copy_n(batch.labels.data() + r * inputWidth_, inputWidth_, labels.data() + r * outputWidth_);
  decoded_.resize(rows);
  for (size_t r = 0; r < rows; ++r) decoded_[r] = decode(batch.rows[r]);
  // The models may still write the held batch's last row (see the header).
  runModels(labels.data(), rows, outputWidth_);
  batch.labels = std::move(labels);
  if (holding_) emit(std::move(held_));
  held_ = std::move(batch);
  holding_ = true;
}

void UarchLabeller::finish(const Emit<InstructionBatch>& emit) {
  if (holding_) emit(std::move(held_));
  holding_ = false;
}

std::vector<RunReport> UarchLabeller::reports() const {
  std::vector<RunReport> out;
  for (const auto& m : models_) out.push_back(reportOf(*m));
  return out;
}

}  // namespace pv::uarch
