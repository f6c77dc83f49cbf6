// The model file (.pvm, schema/model.capnp): in-memory form, loading with
// validation, saving with content hashes. No LibTorch here: the encoder
// stage turns the named tensors into a network; pv-dot-predict needs only
// the microarchitecture table and the hashes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pv {

struct ModelArchitecture {
  std::string kind = "lstm";  // "lstm" or "gru"
  uint32_t features = 51;     // F
  uint32_t hidden = 256;      // H, the width of R_i, R_p and M_u
  uint32_t layers = 2;
  uint32_t window = 256;      // W
  uint32_t chunk = 0;         // K trained for in chunked mode; 0: exact
  bool operator==(const ModelArchitecture&) const = default;
};

struct Microarchitecture {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;
  double clockGhz = 0;                // 0: unknown
  std::vector<float> representation;  // M_u: targets x hidden, row-major
  std::string origin;  // "trained", "tuned", "parametric" ("" when unknown)
  bool operator==(const Microarchitecture&) const = default;

  // The value of parameter `key`, or nullptr.
  const std::string* param(const std::string& key) const;
};

// What a model was trained on (schema/model.capnp: TrainingRecord).
struct TrainingRecord {
  std::vector<std::string> programs;
  std::vector<std::string> heldOutPrograms;
  std::string uarchSource;
  std::vector<std::string> heldOutUarchs;
  uint64_t instructions = 0;
  uint64_t steps = 0;
  double epochs = 0;
  double validationLoss = 0;
  std::vector<float> targetWeights;
  std::string command;
  uint32_t workers = 0;
  bool operator==(const TrainingRecord&) const = default;
};

struct NamedTensor {
  std::string name;
  std::vector<uint32_t> shape;
  std::vector<float> values;  // row-major, product(shape) values
  bool operator==(const NamedTensor&) const = default;
};

// An MLP from a configuration's parameters to M_u (pv-tune --parametric);
// empty when the model has none. Layers alternate weight [out, in] and bias
// [out]; ReLU between layers, none after the last.
struct UarchParameterModel {
  std::vector<std::string> inputs;
  std::vector<float> inputMean;
  std::vector<float> inputStd;
  std::vector<NamedTensor> layers;
  std::vector<std::string> clockScaled;  // targets predicted in cycles (x clock GHz)
  bool empty() const { return layers.empty(); }
  bool operator==(const UarchParameterModel&) const = default;
};

struct Model {
  std::string name;
  std::string description;
  ModelArchitecture architecture;
  std::vector<std::string> featureColumns;
  std::vector<float> featureMean;
  std::vector<float> featureStd;
  std::vector<std::string> targetNames;
  std::vector<Microarchitecture> uarchs;
  std::vector<NamedTensor> tensors;
  TrainingRecord training;
  UarchParameterModel uarchModel;
  // Every M_u >= 0, and the parametric model's output clamped at 0, so that
  // T = R_p . M_u >= 0 by construction (R_i >= 0: the encoder ends in ReLU).
  // validateModel refuses a negative M_u in such a model.
  bool nonNegativeUarchs = false;

  // Set by loadModel / saveModel: "xxh3-128:<32 hex digits>".
  std::string contentHash;  // of everything
  std::string encoderHash;  // of what R_i depends on: architecture,
                            // feature layout and statistics, weights

  const NamedTensor* tensor(const std::string& name) const;
  const Microarchitecture* uarch(const std::string& name) const;
};

// What the model saw in training: one definition for pv-eval's table and
// pv-dot-predict's summary.
//
// The program of a workload: NAME for a suite region NAME.rI (pv-dataset's
// names for a `regions = N` workload, dataset/workload_suite.h), else the
// name itself.
std::string programOfWorkload(const std::string& workload);
// The training workloads' programs, regions folded, in first-seen order.
std::vector<std::string> trainingPrograms(const Model& model);
// Whether the model trained on `program` (a program or a workload name):
// one of its training workloads is of the same program.
bool programSeenInTraining(const Model& model, const std::string& program);
// Whether the model trained on labels of `uarch`: M_u from training (or of
// no recorded origin) and not one of the held-out configurations.
bool uarchSeenInTraining(const Model& model, const Microarchitecture& uarch);

// Checks the model's internal consistency (sizes of statistics, M_u,
// tensors); throws StageError naming `where` and the problem.
void validateModel(const Model& model, const std::string& where);

// Hashes of the canonical encoding (see schema/model.capnp).
std::string computeContentHash(const Model& model);
std::string computeEncoderHash(const Model& model);

// Reads, validates and checks the stored hashes (a file whose content does
// not match its hash is reported as corrupt or edited). Throws StageError
// naming the file.
Model loadModel(const std::string& path);

// Computes the hashes into `model` and writes it (atomically: a temporary
// file renamed into place, removed on failure or interrupt; see
// runtime/output_file.h). "-" writes stdout (never a terminal). Throws StageError naming the
// file.
void saveModel(Model& model, const std::string& path);

}  // namespace pv
