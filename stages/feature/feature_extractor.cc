// FeatureExtractor: see feature_extractor.h.
#include "stages/feature/feature_extractor.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "stages/core/feature_layout.h"
#include "stages/core/stage_error.h"

namespace pv {

namespace f = pv::features;

namespace {

constexpr float kPending = std::numeric_limits<float>::quiet_NaN();

// Feature columns 4-10, 12-14 and the trace flag each copies; column 11 is
// store_conditional + 2 * atomic, and quiesce has no column.
struct FlagColumn {
  int column;
  InstructionFlag flag;
};
constexpr FlagColumn kFlagColumns[] = {
    {4, kFlagMicroop},          {5, kFlagCondCtrl},     {6, kFlagUncondCtrl},
    {7, kFlagDirectCtrl},       {8, kFlagSquashAfter},  {9, kFlagSerializeAfter},
    {10, kFlagSerializeBefore}, {12, kFlagReadBarrier}, {13, kFlagWriteBarrier},
    {14, kFlagNonSpeculative},
};

// PerfVec's rule: a MemRead updates the load-line history and every other
// instruction with a data address the store-line history (so an FP load of
// op class FloatMemRead counts as a store there, as in the original).
AccessKind accessKindOf(const Instruction& inst) {
  if (!inst.effAddrValid) return AccessKind::kNone;
  return inst.isLoad() ? AccessKind::kLoad : AccessKind::kStore;
}

}  // namespace

FeatureExtractor::FeatureExtractor(FeatureExtractorOptions options)
    : branches_(options.historyBytes ? BranchEntropyTracker::branchesFor(options.historyBytes) : 0),
      options_(std::move(options)) {}

void FeatureExtractor::warnIfForgotten(uint64_t index) {
  if (warned_ || branches_.forgotten() == 0) return;
  warned_ = true;
  if (options_.warn)
    options_.warn("by instruction " + std::to_string(index) + ", the branch histories outgrew their " +
                  std::to_string(options_.historyBytes >> 20) +
                  " MiB: the least recently executed branches are forgotten and start again as never seen "
                  "(raise --history-mb)");
}

StreamHeader FeatureExtractor::describe(const StreamHeader& in) {
  if (in.payload != PayloadKind::kInstructions)
    throw StageError("", "", "expected an instruction stream, got features");
  StreamHeader out = in;
  out.payload = PayloadKind::kFeatures;
  out.featureColumns = f::columnNames();
  out.pendingColumns.assign(std::begin(f::kReuseColumns), std::end(f::kReuseColumns));
  out.hasAddresses = true;
  labelWidth_ = in.labelWidth();
  return out;
}

void FeatureExtractor::fillRow(const Instruction& inst, float* row) {
  // `row` is all zeros on entry.
  row[f::kFault] = inst.isFault ? 1.0f : 0.0f;
  row[f::kOpClass] = static_cast<float>(inst.opClass) + 1.0f;
  const bool scOrAtomic = inst.has(kFlagStoreConditional) || inst.has(kFlagAtomic);
  row[f::kStoreQueueStore] = inst.isStoreQueueEntry() && !scOrAtomic ? 1.0f : 0.0f;
  row[f::kLoad] = inst.isLoad() ? 1.0f : 0.0f;
  if (inst.flags != 0) {
    for (const FlagColumn& fc : kFlagColumns) row[fc.column] = inst.has(fc.flag) ? 1.0f : 0.0f;
    row[f::kScAtomic] =
        (inst.has(kFlagStoreConditional) ? 1.0f : 0.0f) + (inst.has(kFlagAtomic) ? 2.0f : 0.0f);
  }
  row[f::kBranching] = inst.branching ? 1.0f : 0.0f;
  if (inst.has(kFlagCondCtrl)) {
    BranchEntropyTracker::Entropy e = branches_.record(inst.pc, inst.branching);
    row[f::kEntropyPre] = e.pre;
    row[f::kEntropyNow] = e.now;
  }
  row[f::kFetchReuse] = kPending;
  row[f::kHasDataAddr] = inst.effAddrValid ? 1.0f : 0.0f;
  row[f::kLoadReuse] = kPending;
  row[f::kStoreReuse] = kPending;
  row[f::kAddrDistance] = kPending;
  const int srcs = std::min<int>(inst.srcCount, kMaxSrcRegs);
  for (int i = 0; i < srcs; ++i) {
    row[f::kFirstSrc + 2 * i] = static_cast<float>(inst.src[i].regClass) + 1.0f;
    row[f::kFirstSrc + 2 * i + 1] = static_cast<float>(inst.src[i].index) + 1.0f;
  }
  const int dsts = std::min<int>(inst.dstCount, kMaxDstRegs);
  for (int i = 0; i < dsts; ++i) {
    row[f::kFirstDst + 2 * i] = static_cast<float>(inst.dst[i].regClass) + 1.0f;
    row[f::kFirstDst + 2 * i + 1] = static_cast<float>(inst.dst[i].index) + 1.0f;
  }
}

void FeatureExtractor::fillRows(const InstructionBatch& in, FeatureBatch& out) {
  const size_t rows = in.rows.size();
  if (in.labels.size() != rows * labelWidth_)
    throw StageError("", "record " + std::to_string(in.firstIndex),
                     "batch of " + std::to_string(rows) + " instructions carries " +
                         std::to_string(in.labels.size()) + " label values, expected " +
                         std::to_string(rows * labelWidth_));
  out.firstIndex = in.firstIndex;
  out.columns = f::kCount;
  out.values.assign(rows * f::kCount, 0.0f);
  out.pc.resize(rows);
  out.dataAddr.resize(rows);
  out.access.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const Instruction& inst = in.rows[r];
    fillRow(inst, out.row(r));
    out.pc[r] = inst.pc;
    out.dataAddr[r] = inst.effAddrValid ? inst.dataAddr : 0;
    out.access[r] = accessKindOf(inst);
  }
  warnIfForgotten(in.firstIndex + rows);
}

void FeatureExtractor::extract(const InstructionBatch& in, FeatureBatch& out) {
  fillRows(in, out);
  out.labels = in.labels;
}

void FeatureExtractor::process(InstructionBatch&& batch, const Emit<FeatureBatch>& emit) {
  FeatureBatch out;
  fillRows(batch, out);
  out.labels = std::move(batch.labels);
  emit(std::move(out));
}

void extractAll(Transform<InstructionBatch, FeatureBatch>& extractor, const InstructionSource& source,
                const Emit<FeatureBatch>& emit) {
  InstructionBatch batch;
  while (source(batch)) {
    extractor.process(std::move(batch), emit);
    batch = InstructionBatch{};
  }
  extractor.finish(emit);
}

}  // namespace pv
