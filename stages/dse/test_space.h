// A model of width 2 whose parametric model is one linear layer over
// log2(1 + L1D KB) and log2(1 + L2 KB), and files of a space over them,
// for pv-dse's tests.
#pragma once

#include <string>

#include "stages/model-lib/model_file.h"
#include "stages/runtime/stream.h"
#include "tests/composition/process.h"

namespace pv::testing {

// Targets fetch and commit; commit's M_u = (20 - x_l1, 20 - x_l2) with
// x = log2(1 + KB): bigger caches, less time. Non-negative (ReLU after the
// layer). One trained microarchitecture so that the model is complete.
inline Model cacheModel() {
  Model m;
  m.architecture = {"lstm", 2, 2, 1, 4, 0};
  m.featureColumns = {"a", "b"};
  m.featureMean = {0, 0};
  m.featureStd = {1, 1};
  m.targetNames = {"fetch", "commit"};
  m.uarchs = {{"base", {}, 2.0, {1, 1, 1, 1}, ""}};
  m.tensors = {{"w", {1}, {0.5f}}};
  m.nonNegativeUarchs = true;
  m.uarchModel.inputs = {"l1d.size_kb", "l2.size_kb"};
  m.uarchModel.inputMean = {0, 0};
  m.uarchModel.inputStd = {1, 1};
  m.uarchModel.layers = {{"layer0.weight", {4, 2}, {0, 0, 0, 0, -1, 0, 0, -1}}, {"layer0.bias", {4}, {1, 1, 20, 20}}};
  m.encoderHash = computeEncoderHash(m);
  m.contentHash = computeContentHash(m);
  return m;
}

// A stream holding one program representation made by `encoderHash`.
inline void writeProgram(const std::string& path, const std::string& encoderHash, std::vector<double> sum,
                         uint64_t instructions) {
  StreamHeader h;
  h.payload = PayloadKind::kProgram;
  h.representationDim = static_cast<uint32_t>(sum.size());
  h.modelId = encoderHash;
  auto w = runtime::StreamWriter::open(path);
  w->writeHeader(h);
  ProgramRepresentation p;
  p.sum = std::move(sum);
  p.instructions = instructions;
  w->write(std::move(p));
  w->writeEnd(instructions);
  w->close();
}

// A base configuration without [l1d] and [l2] tables, so that a point's
// file is this text and the two tables.
inline const char* kBaseConfig = "name = \"base\"\n[core]\nfrequency_ghz = 2.0\nrob = 128\n";

inline std::string pointConfig(int l1Kb, int l2Kb) {
  return std::string(kBaseConfig) + "[l1d]\nsize_kb = " + std::to_string(l1Kb) +
         "\n[l2]\nsize_kb = " + std::to_string(l2Kb) + "\n";
}

}  // namespace pv::testing
