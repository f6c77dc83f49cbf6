// RapidCheck generators for the core value types, shared by the tests of
// every stage: random instructions (within the trace format's limits),
// feature batches and headers.
#pragma once

#include <rapidcheck.h>

#include "stages/core/feature_batch.h"
#include "stages/core/instruction.h"
#include "stages/core/representation.h"
#include "stages/core/stream_header.h"

namespace pv::testing {

inline rc::Gen<Instruction> genInstruction() {
  return rc::gen::exec([] {
    Instruction i;
    i.isFault = *rc::gen::arbitrary<bool>();
    i.sqIndex = *rc::gen::inRange(-1, 64);
    i.hasTiming = *rc::gen::arbitrary<bool>();
    if (i.hasTiming) {
      i.timing.fetchTick = *rc::gen::inRange<uint64_t>(0, 1ull << 40);
      i.timing.robOutLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      i.timing.retireLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      i.timing.decodeLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      i.timing.renameLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      i.timing.dispatchLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      i.timing.issueLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      i.timing.hasStoreTiming = i.sqIndex != -1;
      if (i.timing.hasStoreTiming) {
        i.timing.storeLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
        i.timing.sqOutLatency = *rc::gen::inRange<int64_t>(0, 1 << 20);
      }
    }
    i.opClass = *rc::gen::inRange<uint16_t>(0, 64);
    i.flags = *rc::gen::inRange<uint16_t>(0, 1 << kFlagCount);
    i.effAddrValid = *rc::gen::arbitrary<bool>();
    i.dataAddr = *rc::gen::arbitrary<uint64_t>();
    i.accessSize = *rc::gen::inRange<uint32_t>(0, 65);
    i.dataDepth = *rc::gen::inRange<int8_t>(-1, 3);
    for (auto& d : i.dataWalkDepth) d = *rc::gen::inRange<int8_t>(-1, 3);
    for (auto& a : i.dataWalkAddr) a = *rc::gen::arbitrary<uint64_t>();
    for (auto& w : i.dataWriteback) w = *rc::gen::inRange<uint32_t>(0, 4);
    i.pc = *rc::gen::arbitrary<uint64_t>();
    i.branching = *rc::gen::arbitrary<bool>();
    i.mispredicted = *rc::gen::arbitrary<bool>();
    i.fetchDepth = *rc::gen::inRange<int8_t>(-1, 3);
    for (auto& d : i.instWalkDepth) d = *rc::gen::inRange<int8_t>(-1, 3);
    for (auto& a : i.instWalkAddr) a = *rc::gen::arbitrary<uint64_t>();
    for (auto& w : i.instWriteback) w = *rc::gen::inRange<uint32_t>(0, 4);
    i.srcCount = *rc::gen::inRange<uint8_t>(0, kMaxSrcRegs + 1);
    i.dstCount = *rc::gen::inRange<uint8_t>(0, kMaxDstRegs + 1);
    for (unsigned r = 0; r < i.srcCount; ++r)
      i.src[r] = {*rc::gen::inRange<uint8_t>(0, 7), *rc::gen::inRange<uint16_t>(0, 50)};
    for (unsigned r = 0; r < i.dstCount; ++r)
      i.dst[r] = {*rc::gen::inRange<uint8_t>(0, 7), *rc::gen::inRange<uint16_t>(0, 50)};
    return i;
  });
}

// A header; `labelled` adds one or more microarchitectures of 16 targets.
inline StreamHeader genHeader(PayloadKind payload, bool labelled, bool addresses) {
  StreamHeader h;
  h.payload = payload;
  h.source = *rc::gen::container<std::string>(rc::gen::inRange('a', 'z'));
  h.stages = {"pv-test"};
  if (payload == PayloadKind::kFeatures) {
    int columns = *rc::gen::inRange(1, 60);
    for (int c = 0; c < columns; ++c) h.featureColumns.push_back("c" + std::to_string(c));
    h.hasAddresses = addresses;
  }
  if (labelled) {
    int uarchs = *rc::gen::inRange(1, 4);
    for (int u = 0; u < uarchs; ++u) h.uarchNames.push_back("u" + std::to_string(u));
    for (int t = 0; t < 16; ++t) h.targetNames.push_back("t" + std::to_string(t));
  }
  return h;
}

inline std::vector<float> genFloats(size_t n) {
  return *rc::gen::container<std::vector<float>>(
      n, rc::gen::map(rc::gen::inRange(-100000, 100000), [](int v) { return v / 8.0f; }));
}

inline InstructionBatch genInstructionBatch(const StreamHeader& h, uint64_t firstIndex,
                                            size_t maxRows = 64) {
  InstructionBatch b;
  b.firstIndex = firstIndex;
  size_t rows = *rc::gen::inRange<size_t>(0, maxRows + 1);
  b.rows = *rc::gen::container<std::vector<Instruction>>(rows, genInstruction());
  if (h.labelled()) b.labels = genFloats(rows * h.labelWidth());
  return b;
}

inline FeatureBatch genFeatureBatch(const StreamHeader& h, uint64_t firstIndex,
                                    size_t maxRows = 64) {
  FeatureBatch b;
  b.firstIndex = firstIndex;
  b.columns = static_cast<uint32_t>(h.featureColumns.size());
  size_t rows = *rc::gen::inRange<size_t>(0, maxRows + 1);
  b.values = genFloats(rows * b.columns);
  if (h.hasAddresses) {
    b.pc = *rc::gen::container<std::vector<uint64_t>>(rows, rc::gen::arbitrary<uint64_t>());
    b.dataAddr = *rc::gen::container<std::vector<uint64_t>>(rows, rc::gen::arbitrary<uint64_t>());
    for (size_t r = 0; r < rows; ++r)
      b.access.push_back(static_cast<AccessKind>(*rc::gen::inRange(0, 4)));
  }
  if (h.labelled()) b.labels = genFloats(rows * h.labelWidth());
  return b;
}

}  // namespace pv::testing

namespace pv::testing {

inline RepresentationBatch genRepresentationBatch(uint32_t dim, uint64_t firstIndex,
                                                  bool perInstruction) {
  RepresentationBatch b;
  b.firstIndex = firstIndex;
  b.dim = dim;
  size_t rows = *rc::gen::inRange<size_t>(0, 20);
  for (size_t r = 0; r < rows; ++r)
    b.instructions.push_back(perInstruction ? 1 : *rc::gen::inRange<uint32_t>(1, 5000));
  b.values = genFloats(rows * dim);
  return b;
}

inline ProgramRepresentation genProgram(uint32_t dim) {
  ProgramRepresentation p;
  auto genSum = [&] {
    return *rc::gen::container<std::vector<double>>(dim, rc::gen::map(rc::gen::arbitrary<int64_t>(),
                                                                      [](int64_t v) { return v / 1024.0; }));
  };
  p.sum = genSum();
  int intervals = *rc::gen::inRange(0, 4);
  for (int i = 0; i < intervals; ++i) {
    IntervalRepresentation r;
    r.firstIndex = p.instructions;
    r.instructions = *rc::gen::inRange<uint64_t>(1, 1u << 30);
    r.sum = genSum();
    p.instructions += r.instructions;
    p.intervals.push_back(r);
  }
  if (intervals == 0) p.instructions = *rc::gen::inRange<uint64_t>(0, 1ull << 40);
  return p;
}

}  // namespace pv::testing
