// Codec between stages/core types and schema/stream.capnp.

#include "stages/runtime/codec.h"

#include <bit>
#include <cmath>
#include <cstring>

#include <capnp/any.h>

#include "stages/core/stage_error.h"

namespace pv::runtime {

static_assert(std::endian::native == std::endian::little,
              "float blobs are little-endian on the wire; add byte swapping");

namespace {

[[noreturn]] void fail(const Where& where, const std::string& message) {
  throw StageError(where.input, where.position, message);
}

template <class T>
capnp::Data::Reader asData(const std::vector<T>& v) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(v.data()),
                             v.size() * sizeof(T));
}

template <class T>
void copyBlob(capnp::Data::Reader blob, size_t count, const char* what,
              const Where& where, std::vector<T>& out) {
  if (blob.size() != count * sizeof(T))
    fail(where, std::string(what) + " blob holds " + std::to_string(blob.size()) +
                    " bytes, expected " + std::to_string(count * sizeof(T)));
  // Blobs start word-aligned in a segment; assign() copies once, with no
  // zero-filling first.
  const T* first = reinterpret_cast<const T*>(blob.begin());
  out.assign(first, first + count);
}

void encodeTexts(const std::vector<std::string>& in,
                 capnp::List<capnp::Text>::Builder out) {
  for (size_t i = 0; i < in.size(); ++i) out.set(i, in[i]);
}

std::vector<std::string> decodeTexts(capnp::List<capnp::Text>::Reader in) {
  std::vector<std::string> out;
  out.reserve(in.size());
  for (auto t : in) out.emplace_back(t.cStr(), t.size());
  return out;
}

}  // namespace

void encodeHeader(const StreamHeader& h, wire::StreamHeader::Builder out) {
  out.setSchemaVersion(wire::SCHEMA_VERSION);
  switch (h.payload) {
    case PayloadKind::kInstructions: out.setPayload(wire::PayloadKind::INSTRUCTIONS); break;
    case PayloadKind::kFeatures: out.setPayload(wire::PayloadKind::FEATURES); break;
    case PayloadKind::kWindows: out.setPayload(wire::PayloadKind::WINDOWS); break;
    case PayloadKind::kRepresentations: out.setPayload(wire::PayloadKind::REPRESENTATIONS); break;
    case PayloadKind::kProgram: out.setPayload(wire::PayloadKind::PROGRAM); break;
  }
  out.setSource(h.source);
  encodeTexts(h.stages, out.initStages(h.stages.size()));
  encodeTexts(h.featureColumns, out.initFeatureColumns(h.featureColumns.size()));
  auto pending = out.initPendingColumns(h.pendingColumns.size());
  for (size_t i = 0; i < h.pendingColumns.size(); ++i) pending.set(i, h.pendingColumns[i]);
  out.setHasAddresses(h.hasAddresses);
  encodeTexts(h.targetNames, out.initTargetNames(h.targetNames.size()));
  encodeTexts(h.uarchNames, out.initUarchNames(h.uarchNames.size()));
  out.setModelId(h.modelId);
  out.setWindow(h.window);
  out.setChunk(h.chunk);
  out.setRepresentationDim(h.representationDim);
  out.setPerInstruction(h.perInstruction);
}

StreamHeader decodeHeader(wire::StreamHeader::Reader in, const Where& where) {
  if (in.getSchemaVersion() != wire::SCHEMA_VERSION)
    fail(where, "stream schema version " + std::to_string(in.getSchemaVersion()) +
                    ", this build reads version " + std::to_string(wire::SCHEMA_VERSION));
  StreamHeader h;
  switch (in.getPayload()) {
    case wire::PayloadKind::INSTRUCTIONS: h.payload = PayloadKind::kInstructions; break;
    case wire::PayloadKind::FEATURES: h.payload = PayloadKind::kFeatures; break;
    case wire::PayloadKind::WINDOWS: h.payload = PayloadKind::kWindows; break;
    case wire::PayloadKind::REPRESENTATIONS: h.payload = PayloadKind::kRepresentations; break;
    case wire::PayloadKind::PROGRAM: h.payload = PayloadKind::kProgram; break;
    default: fail(where, "unknown payload kind " + std::to_string(uint16_t(in.getPayload())));
  }
  h.source = in.getSource();
  h.stages = decodeTexts(in.getStages());
  h.featureColumns = decodeTexts(in.getFeatureColumns());
  for (auto c : in.getPendingColumns()) {
    if (c >= h.featureColumns.size())
      fail(where, "pending column " + std::to_string(c) + " out of range");
    h.pendingColumns.push_back(c);
  }
  h.hasAddresses = in.getHasAddresses();
  h.targetNames = decodeTexts(in.getTargetNames());
  h.uarchNames = decodeTexts(in.getUarchNames());
  if (h.targetNames.empty() != h.uarchNames.empty())
    fail(where, "label layout names targets but no microarchitectures (or the reverse)");
  h.modelId = in.getModelId();
  h.window = in.getWindow();
  h.chunk = in.getChunk();
  h.representationDim = in.getRepresentationDim();
  h.perInstruction = in.getPerInstruction();
  if ((h.payload == PayloadKind::kFeatures || h.payload == PayloadKind::kWindows) &&
      h.featureColumns.empty())
    fail(where, "feature stream without feature columns");
  if (h.payload == PayloadKind::kWindows && (h.window == 0 || h.chunk == 0))
    fail(where, "window stream without window and chunk sizes");
  if ((h.payload == PayloadKind::kRepresentations || h.payload == PayloadKind::kProgram) &&
      h.representationDim == 0)
    fail(where, "representation stream without a representation width");
  return h;
}

void encodeBatch(const InstructionBatch& batch, wire::InstructionBatch::Builder out) {
  out.setFirstIndex(batch.firstIndex);
  auto list = out.initInstructions(batch.rows.size());
  for (size_t i = 0; i < batch.rows.size(); ++i) {
    const Instruction& s = batch.rows[i];
    auto d = list[i];
    d.setIsFault(s.isFault);
    d.setSqIndex(s.sqIndex);
    if (s.hasTiming) {
      auto t = d.initTiming();
      t.setFetchTick(s.timing.fetchTick);
      t.setRobOutLatency(s.timing.robOutLatency);
      t.setRetireLatency(s.timing.retireLatency);
      t.setDecodeLatency(s.timing.decodeLatency);
      t.setRenameLatency(s.timing.renameLatency);
      t.setDispatchLatency(s.timing.dispatchLatency);
      t.setIssueLatency(s.timing.issueLatency);
      t.setHasStoreTiming(s.timing.hasStoreTiming);
      t.setStoreLatency(s.timing.storeLatency);
      t.setSqOutLatency(s.timing.sqOutLatency);
    }
    d.setOpClass(s.opClass);
    d.setFlags(s.flags);
    d.setEffAddrValid(s.effAddrValid);
    d.setDataAddr(s.dataAddr);
    d.setAccessSize(s.accessSize);
    d.setDataDepth(s.dataDepth);
    d.setDataWalkDepth0(s.dataWalkDepth[0]);
    d.setDataWalkDepth1(s.dataWalkDepth[1]);
    d.setDataWalkDepth2(s.dataWalkDepth[2]);
    d.setDataWalkAddr0(s.dataWalkAddr[0]);
    d.setDataWalkAddr1(s.dataWalkAddr[1]);
    d.setDataWalkAddr2(s.dataWalkAddr[2]);
    d.setDataWriteback0(s.dataWriteback[0]);
    d.setDataWriteback1(s.dataWriteback[1]);
    d.setDataWriteback2(s.dataWriteback[2]);
    d.setPc(s.pc);
    d.setBranching(s.branching);
    d.setMispredicted(s.mispredicted);
    d.setFetchDepth(s.fetchDepth);
    d.setInstWalkDepth0(s.instWalkDepth[0]);
    d.setInstWalkDepth1(s.instWalkDepth[1]);
    d.setInstWalkDepth2(s.instWalkDepth[2]);
    d.setInstWalkAddr0(s.instWalkAddr[0]);
    d.setInstWalkAddr1(s.instWalkAddr[1]);
    d.setInstWalkAddr2(s.instWalkAddr[2]);
    d.setInstWriteback0(s.instWriteback[0]);
    d.setInstWriteback1(s.instWriteback[1]);
    auto src = d.initSrcRegs(s.srcCount);
    for (unsigned r = 0; r < s.srcCount; ++r) {
      src[r].setRegClass(s.src[r].regClass);
      src[r].setIndex(s.src[r].index);
    }
    auto dst = d.initDstRegs(s.dstCount);
    for (unsigned r = 0; r < s.dstCount; ++r) {
      dst[r].setRegClass(s.dst[r].regClass);
      dst[r].setIndex(s.dst[r].index);
    }
  }
  if (!batch.labels.empty()) out.setLabels(asData(batch.labels));
}

void decodeBatch(wire::InstructionBatch::Reader in, const StreamHeader& header,
                 const Where& where, InstructionBatch& out) {
  out.firstIndex = in.getFirstIndex();
  auto list = in.getInstructions();
  // Every row of a struct list has the same size. Rows of zero words cost
  // no bytes, so a small damaged message could declare tens of millions of
  // them (a fuzz finding: 6 GB allocated for a 3.9 KB input); a writer's
  // row always carries data.
  if (list.size() > 0) {
    capnp::AnyStruct::Reader first = list[0];
    if (first.getDataSection().size() == 0 && first.getPointerSection().size() == 0)
      fail(where, "instruction list of " + std::to_string(list.size()) +
                      " rows that carry no data (damaged message)");
  }
  out.rows.resize(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    auto s = list[i];
    Instruction& d = out.rows[i];
    d.isFault = s.getIsFault();
    d.sqIndex = s.getSqIndex();
    d.hasTiming = s.hasTiming();
    if (d.hasTiming) {
      auto t = s.getTiming();
      d.timing.fetchTick = t.getFetchTick();
      d.timing.robOutLatency = t.getRobOutLatency();
      d.timing.retireLatency = t.getRetireLatency();
      d.timing.decodeLatency = t.getDecodeLatency();
      d.timing.renameLatency = t.getRenameLatency();
      d.timing.dispatchLatency = t.getDispatchLatency();
      d.timing.issueLatency = t.getIssueLatency();
      d.timing.hasStoreTiming = t.getHasStoreTiming();
      d.timing.storeLatency = t.getStoreLatency();
      d.timing.sqOutLatency = t.getSqOutLatency();
    } else {
      d.timing = Timing{};
    }
    d.opClass = s.getOpClass();
    d.flags = s.getFlags();
    d.effAddrValid = s.getEffAddrValid();
    d.dataAddr = s.getDataAddr();
    d.accessSize = s.getAccessSize();
    d.dataDepth = s.getDataDepth();
    d.dataWalkDepth = {s.getDataWalkDepth0(), s.getDataWalkDepth1(), s.getDataWalkDepth2()};
    d.dataWalkAddr = {s.getDataWalkAddr0(), s.getDataWalkAddr1(), s.getDataWalkAddr2()};
    d.dataWriteback = {s.getDataWriteback0(), s.getDataWriteback1(), s.getDataWriteback2()};
    d.pc = s.getPc();
    d.branching = s.getBranching();
    d.mispredicted = s.getMispredicted();
    d.fetchDepth = s.getFetchDepth();
    d.instWalkDepth = {s.getInstWalkDepth0(), s.getInstWalkDepth1(), s.getInstWalkDepth2()};
    d.instWalkAddr = {s.getInstWalkAddr0(), s.getInstWalkAddr1(), s.getInstWalkAddr2()};
    d.instWriteback = {s.getInstWriteback0(), s.getInstWriteback1()};
    auto src = s.getSrcRegs();
    auto dst = s.getDstRegs();
    if (src.size() > kMaxSrcRegs || dst.size() > kMaxDstRegs)
      fail(where, "instruction " + std::to_string(out.firstIndex + i) + " has " +
                      std::to_string(src.size()) + " sources / " +
                      std::to_string(dst.size()) + " destinations (limits 8 / 6)");
    d.srcCount = static_cast<uint8_t>(src.size());
    d.dstCount = static_cast<uint8_t>(dst.size());
    d.src = {};
    d.dst = {};
    for (unsigned r = 0; r < src.size(); ++r) d.src[r] = {src[r].getRegClass(), src[r].getIndex()};
    for (unsigned r = 0; r < dst.size(); ++r) d.dst[r] = {dst[r].getRegClass(), dst[r].getIndex()};
  }
  if (header.labelled())
    copyBlob(in.getLabels(), list.size() * header.labelWidth(), "labels", where, out.labels);
  else if (in.hasLabels() && in.getLabels().size() != 0)
    fail(where, "batch carries labels but the header names no microarchitectures");
  else
    out.labels.clear();
}

void encodeBatch(const FeatureBatch& batch, wire::FeatureBatch::Builder out) {
  out.setFirstIndex(batch.firstIndex);
  out.setRowCount(static_cast<uint32_t>(batch.rows()));
  out.setColumnCount(batch.columns);
  out.setContextRows(batch.contextRows);
  out.setValues(asData(batch.values));
  if (!batch.pc.empty()) {
    auto pc = out.initPc(batch.pc.size());
    for (size_t i = 0; i < batch.pc.size(); ++i) pc.set(i, batch.pc[i]);
    auto addr = out.initDataAddr(batch.dataAddr.size());
    for (size_t i = 0; i < batch.dataAddr.size(); ++i) addr.set(i, batch.dataAddr[i]);
    out.setAccess(asData(batch.access));
  }
  if (!batch.labels.empty()) out.setLabels(asData(batch.labels));
}

void decodeBatch(wire::FeatureBatch::Reader in, const StreamHeader& header,
                 const Where& where, FeatureBatch& out) {
  const size_t rows = in.getRowCount();
  const size_t columns = in.getColumnCount();
  if (columns != header.featureColumns.size())
    fail(where, "batch has " + std::to_string(columns) + " columns, header names " +
                    std::to_string(header.featureColumns.size()));
  const size_t context = in.getContextRows();
  if (header.payload == PayloadKind::kWindows ? context != header.window - 1 : context != 0)
    fail(where, "batch has " + std::to_string(context) + " context rows, expected " +
                    std::to_string(header.payload == PayloadKind::kWindows ? header.window - 1 : 0));
  out.firstIndex = in.getFirstIndex();
  out.columns = static_cast<uint32_t>(columns);
  out.contextRows = static_cast<uint32_t>(context);
  copyBlob(in.getValues(), (context + rows) * columns, "values", where, out.values);
  if (header.hasAddresses) {
    auto pc = in.getPc();
    auto addr = in.getDataAddr();
    if (pc.size() != rows || addr.size() != rows)
      fail(where, "address side columns hold " + std::to_string(pc.size()) + "/" +
                      std::to_string(addr.size()) + " entries for " +
                      std::to_string(rows) + " rows");
    out.pc.resize(rows);
    out.dataAddr.resize(rows);
    for (size_t i = 0; i < rows; ++i) {
      out.pc[i] = pc[i];
      out.dataAddr[i] = addr[i];
    }
    copyBlob(in.getAccess(), rows, "access", where, out.access);
    for (size_t i = 0; i < rows; ++i)
      if (static_cast<uint8_t>(out.access[i]) > static_cast<uint8_t>(AccessKind::kOther))
        fail(where, "row " + std::to_string(out.firstIndex + i) + " has access kind " +
                        std::to_string(static_cast<int>(out.access[i])));
  } else {
    out.pc.clear();
    out.dataAddr.clear();
    out.access.clear();
  }
  if (header.labelled())
    copyBlob(in.getLabels(), rows * header.labelWidth(), "labels", where, out.labels);
  else if (in.hasLabels() && in.getLabels().size() != 0)
    fail(where, "batch carries labels but the header names no microarchitectures");
  else
    out.labels.clear();
}

void encodeBatch(const RepresentationBatch& batch, wire::RepresentationBatch::Builder out) {
  out.setFirstIndex(batch.firstIndex);
  out.setRowCount(static_cast<uint32_t>(batch.rows()));
  out.setDim(batch.dim);
  out.setValues(asData(batch.values));
  auto counts = out.initInstructions(batch.instructions.size());
  for (size_t i = 0; i < batch.instructions.size(); ++i) counts.set(i, batch.instructions[i]);
}

void decodeBatch(wire::RepresentationBatch::Reader in, const StreamHeader& header,
                 const Where& where, RepresentationBatch& out) {
  const size_t rows = in.getRowCount();
  if (in.getDim() != header.representationDim)
    fail(where, "batch of width " + std::to_string(in.getDim()) + ", header says " +
                    std::to_string(header.representationDim));
  auto counts = in.getInstructions();
  if (counts.size() != rows)
    fail(where, std::to_string(counts.size()) + " instruction counts for " +
                    std::to_string(rows) + " rows");
  out.firstIndex = in.getFirstIndex();
  out.dim = in.getDim();
  copyBlob(in.getValues(), rows * out.dim, "values", where, out.values);
  out.instructions.resize(rows);
  for (size_t i = 0; i < rows; ++i) {
    out.instructions[i] = counts[i];
    if (header.perInstruction && counts[i] != 1)
      fail(where, "per-instruction stream has a row of " + std::to_string(counts[i]) +
                      " instructions");
  }
}

void encodeBatch(const ProgramRepresentation& program, wire::ProgramRepresentation::Builder out) {
  out.setInstructions(program.instructions);
  out.setDim(static_cast<uint32_t>(program.sum.size()));
  out.setSum(asData(program.sum));
}

void encodeBatch(const IntervalRepresentation& interval, wire::Interval::Builder out) {
  out.setFirstIndex(interval.firstIndex);
  out.setInstructions(interval.instructions);
  out.setSum(asData(interval.sum));
}

void decodeBatch(wire::Interval::Reader in, const StreamHeader& header, const Where& where,
                 IntervalRepresentation& out) {
  out.firstIndex = in.getFirstIndex();
  out.instructions = in.getInstructions();
  copyBlob(in.getSum(), header.representationDim, "interval sum", where, out.sum);
}

void decodeBatch(wire::ProgramRepresentation::Reader in, const StreamHeader& header,
                 const Where& where, ProgramRepresentation& out) {
  const size_t dim = header.representationDim;
  if (in.getDim() != dim)
    fail(where, "representation of width " + std::to_string(in.getDim()) + ", header says " +
                    std::to_string(dim));
  out.instructions = in.getInstructions();
  copyBlob(in.getSum(), dim, "sum", where, out.sum);
  out.intervals.clear();
  uint64_t next = 0, covered = 0;
  for (auto interval : in.getIntervals()) {
    IntervalRepresentation r;
    r.firstIndex = interval.getFirstIndex();
    r.instructions = interval.getInstructions();
    if (r.firstIndex != next)
      fail(where, "interval starts at instruction " + std::to_string(r.firstIndex) +
                      ", expected " + std::to_string(next));
    next = r.firstIndex + r.instructions;
    covered += r.instructions;
    copyBlob(interval.getSum(), dim, "interval sum", where, r.sum);
    out.intervals.push_back(std::move(r));
  }
  if (!out.intervals.empty() && covered != out.instructions)
    fail(where, "intervals cover " + std::to_string(covered) + " of " +
                    std::to_string(out.instructions) + " instructions");
}

}  // namespace pv::runtime
