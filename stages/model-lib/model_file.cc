// Model file: Cap'n Proto encoding, validation and XXH3-128 content hashes.

#include "stages/model-lib/model_file.h"

#include <algorithm>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>
#include <unistd.h>
#include <xxhash.h>

#include <fmt/format.h>

#include "schema/model.capnp.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/byte_source.h"
#include "stages/runtime/output_file.h"

namespace pv {
namespace {

// Model files hold a few MB of weights; the limit admits ~1 GB.
constexpr uint64_t kTraversalLimitWords = 128ull << 20;

size_t product(const std::vector<uint32_t>& shape) {
  size_t n = 1;
  for (uint32_t d : shape) n *= d;
  return n;
}

template <class T>
void setList(typename capnp::List<T>::Builder out, const std::vector<T>& in) {
  for (size_t i = 0; i < in.size(); ++i) out.set(i, in[i]);
}

void setTexts(capnp::List<capnp::Text>::Builder out, const std::vector<std::string>& in) {
  for (size_t i = 0; i < in.size(); ++i) out.set(i, in[i]);
}

void encodeTensors(const std::vector<NamedTensor>& in, capnp::List<wire::Tensor>::Builder out) {
  for (size_t i = 0; i < in.size(); ++i) {
    out[i].setName(in[i].name);
    setList<uint32_t>(out[i].initShape(in[i].shape.size()), in[i].shape);
    out[i].setValues(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(in[i].values.data()),
                                         in[i].values.size() * 4));
  }
}

// Fills the encoder part (everything R_i depends on).
void encodeEncoder(const Model& m, wire::ModelBody::Builder b) {
  auto a = b.initArchitecture();
  a.setKind(m.architecture.kind);
  a.setFeatures(m.architecture.features);
  a.setHidden(m.architecture.hidden);
  a.setLayers(m.architecture.layers);
  a.setWindow(m.architecture.window);
  a.setChunk(m.architecture.chunk);
  setTexts(b.initFeatureColumns(m.featureColumns.size()), m.featureColumns);
  setList<float>(b.initFeatureMean(m.featureMean.size()), m.featureMean);
  setList<float>(b.initFeatureStd(m.featureStd.size()), m.featureStd);
  encodeTensors(m.tensors, b.initTensors(m.tensors.size()));
}

void encodeBody(const Model& m, wire::ModelBody::Builder b) {
  b.setName(m.name);
  b.setNonNegativeUarchs(m.nonNegativeUarchs);  // false is canonical zero: older files keep their hash
  b.setDescription(m.description);
  encodeEncoder(m, b);
  setTexts(b.initTargetNames(m.targetNames.size()), m.targetNames);
  auto uarchs = b.initUarchs(m.uarchs.size());
  for (size_t i = 0; i < m.uarchs.size(); ++i) {
    const Microarchitecture& u = m.uarchs[i];
    uarchs[i].setName(u.name);
    auto params = uarchs[i].initParams(u.params.size());
    for (size_t p = 0; p < u.params.size(); ++p) {
      params[p].setKey(u.params[p].first);
      params[p].setValue(u.params[p].second);
    }
    uarchs[i].setClockGhz(u.clockGhz);
    setList<float>(uarchs[i].initRepresentation(u.representation.size()), u.representation);
    if (!u.origin.empty()) uarchs[i].setOrigin(u.origin);
  }
  // Written only when set, so that files from before these fields existed
  // (untrained models) keep their hashes.
  const TrainingRecord& t = m.training;
  if (t != TrainingRecord{}) {
    auto tr = b.initTraining();
    setTexts(tr.initPrograms(t.programs.size()), t.programs);
    setTexts(tr.initHeldOutPrograms(t.heldOutPrograms.size()), t.heldOutPrograms);
    tr.setUarchSource(t.uarchSource);
    setTexts(tr.initHeldOutUarchs(t.heldOutUarchs.size()), t.heldOutUarchs);
    tr.setInstructions(t.instructions);
    tr.setSteps(t.steps);
    tr.setEpochs(t.epochs);
    tr.setValidationLoss(t.validationLoss);
    setList<float>(tr.initTargetWeights(t.targetWeights.size()), t.targetWeights);
    tr.setCommand(t.command);
    tr.setWorkers(t.workers);
  }
  const UarchParameterModel& p = m.uarchModel;
  if (p.empty()) return;
  auto pm = b.initUarchModel();
  setTexts(pm.initInputs(p.inputs.size()), p.inputs);
  setList<float>(pm.initInputMean(p.inputMean.size()), p.inputMean);
  setList<float>(pm.initInputStd(p.inputStd.size()), p.inputStd);
  encodeTensors(p.layers, pm.initLayers(p.layers.size()));
  // Only when set: files written before this field keep their hash.
  if (!p.clockScaled.empty()) setTexts(pm.initClockScaled(p.clockScaled.size()), p.clockScaled);
}

std::string hashOf(wire::ModelBody::Reader body) {
  auto words = capnp::canonicalize(body);
  XXH128_hash_t h = XXH3_128bits(words.begin(), words.size() * sizeof(capnp::word));
  return fmt::format("xxh3-128:{:016x}{:016x}", h.high64, h.low64);
}

std::vector<std::string> texts(capnp::List<capnp::Text>::Reader in) {
  std::vector<std::string> out;
  for (auto t : in) out.emplace_back(t.cStr(), t.size());
  return out;
}

template <class T>
std::vector<T> values(typename capnp::List<T>::Reader in) {
  std::vector<T> out;
  out.reserve(in.size());
  for (auto v : in) out.push_back(v);
  return out;
}

std::vector<NamedTensor> decodeTensors(capnp::List<wire::Tensor>::Reader in, const std::string& path) {
  std::vector<NamedTensor> out;
  for (auto t : in) {
    NamedTensor x;
    x.name = t.getName();
    x.shape = values<uint32_t>(t.getShape());
    auto data = t.getValues();
    if (data.size() % 4 != 0) throw StageError(path, "", "tensor '" + x.name + "' is not float32 data");
    x.values.resize(data.size() / 4);
    if (!x.values.empty()) std::memcpy(x.values.data(), data.begin(), data.size());
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

const std::string* Microarchitecture::param(const std::string& key) const {
  for (const auto& [k, v] : params)
    if (k == key) return &v;
  return nullptr;
}

const NamedTensor* Model::tensor(const std::string& n) const {
  for (const auto& t : tensors)
    if (t.name == n) return &t;
  return nullptr;
}

const Microarchitecture* Model::uarch(const std::string& n) const {
  for (const auto& u : uarchs)
    if (u.name == n) return &u;
  return nullptr;
}

std::string programOfWorkload(const std::string& workload) {
  const size_t dot = workload.rfind(".r");
  if (dot == std::string::npos || dot == 0 || dot + 2 == workload.size()) return workload;
  for (size_t i = dot + 2; i < workload.size(); ++i)
    if (workload[i] < '0' || workload[i] > '9') return workload;
  return workload.substr(0, dot);
}

std::vector<std::string> trainingPrograms(const Model& model) {
  std::vector<std::string> programs;
  for (const auto& w : model.training.programs) {
    std::string p = programOfWorkload(w);
    if (std::find(programs.begin(), programs.end(), p) == programs.end()) programs.push_back(std::move(p));
  }
  return programs;
}

bool programSeenInTraining(const Model& model, const std::string& program) {
  const std::string p = programOfWorkload(program);
  for (const auto& w : model.training.programs)
    if (programOfWorkload(w) == p) return true;
  return false;
}

bool uarchSeenInTraining(const Model& model, const Microarchitecture& uarch) {
  if (!uarch.origin.empty() && uarch.origin != "trained") return false;
  const auto& heldOut = model.training.heldOutUarchs;
  return std::find(heldOut.begin(), heldOut.end(), uarch.name) == heldOut.end();
}

std::string computeContentHash(const Model& m) {
  capnp::MallocMessageBuilder message;
  auto body = message.initRoot<wire::ModelBody>();
  encodeBody(m, body);
  return hashOf(body.asReader());
}

std::string computeEncoderHash(const Model& m) {
  capnp::MallocMessageBuilder message;
  auto body = message.initRoot<wire::ModelBody>();
  encodeEncoder(m, body);
  return hashOf(body.asReader());
}

void validateModel(const Model& m, const std::string& where) {
  auto fail = [&](const std::string& what) { throw StageError(where, "", what); };
  const auto& a = m.architecture;
  if (a.kind != "lstm" && a.kind != "gru") fail("unknown architecture '" + a.kind + "' (lstm or gru)");
  if (a.features == 0 || a.hidden == 0 || a.layers == 0 || a.window == 0)
    fail("architecture has a zero size (features, hidden, layers and window must be positive)");
  if (m.featureColumns.size() != a.features)
    fail(fmt::format("{} feature columns for an encoder of {} features", m.featureColumns.size(), a.features));
  if (m.featureMean.size() != a.features || m.featureStd.size() != a.features)
    fail(fmt::format("normalisation statistics hold {} means and {} deviations for {} features",
                     m.featureMean.size(), m.featureStd.size(), a.features));
  if (m.targetNames.empty()) fail("no target names");
  for (const auto& u : m.uarchs) {
    if (u.name.empty()) fail("a microarchitecture without a name");
    if (u.representation.size() != m.targetNames.size() * a.hidden)
      fail(fmt::format("microarchitecture '{}' has a representation of {} values, expected {} "
                       "(targets {} x hidden {})",
                       u.name, u.representation.size(), m.targetNames.size() * a.hidden,
                       m.targetNames.size(), a.hidden));
  }
  if (m.nonNegativeUarchs)
    for (const auto& u : m.uarchs)
      for (size_t k = 0; k < u.representation.size(); ++k)
        if (!(u.representation[k] >= 0))
          fail(fmt::format("microarchitecture '{}' has M_u[{}] = {} in a model whose representations must be "
                           "non-negative (target '{}', dimension {})",
                           u.name, k, u.representation[k], m.targetNames[k / a.hidden], k % a.hidden));
  for (size_t i = 0; i < m.uarchs.size(); ++i)
    for (size_t j = i + 1; j < m.uarchs.size(); ++j)
      if (m.uarchs[i].name == m.uarchs[j].name) fail("microarchitecture '" + m.uarchs[i].name + "' twice");
  for (const auto& t : m.tensors)
    if (product(t.shape) != t.values.size())
      fail(fmt::format("tensor '{}' holds {} values for its shape", t.name, t.values.size()));
  const UarchParameterModel& p = m.uarchModel;
  if (!p.empty()) {
    if (p.inputMean.size() != p.inputs.size() || p.inputStd.size() != p.inputs.size())
      fail("parametric microarchitecture model: input statistics do not match its inputs");
    if (p.layers.size() % 2 != 0) fail("parametric microarchitecture model: a layer without its bias");
    size_t width = p.inputs.size();
    for (size_t l = 0; l < p.layers.size(); l += 2) {
      const NamedTensor& w = p.layers[l];
      const NamedTensor& bias = p.layers[l + 1];
      if (w.shape.size() != 2 || w.shape[1] != width || bias.shape.size() != 1 || bias.shape[0] != w.shape[0] ||
          product(w.shape) != w.values.size() || bias.values.size() != bias.shape[0])
        fail(fmt::format("parametric microarchitecture model: layer {} has the wrong shape", l / 2));
      width = w.shape[0];
    }
    if (width != m.targetNames.size() * a.hidden)
      fail(fmt::format("parametric microarchitecture model outputs {} values, expected {}", width,
                       m.targetNames.size() * a.hidden));
  }
}

Model loadModel(const std::string& path) {
  std::string bytes;
  {
    auto source = runtime::openByteSource(path);
    char buffer[1 << 16];
    for (size_t got; (got = source->read(buffer, sizeof buffer)) > 0;) bytes.append(buffer, got);
  }
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty())
    throw StageError(path, "", fmt::format("not a perfvec model file ({} bytes)", bytes.size()));
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  Model m;
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = kTraversalLimitWords;
    capnp::FlatArrayMessageReader reader(words, options);
    if (reader.getEnd() != words.end())
      throw StageError(path, "", "trailing bytes after the model (not a perfvec model file?)");
    auto file = reader.getRoot<wire::ModelFile>();
    if (file.getFormatVersion() != wire::MODEL_FORMAT_VERSION)
      throw StageError(path, "", fmt::format("model format version {}, this build reads {}",
                                             file.getFormatVersion(), wire::MODEL_FORMAT_VERSION));
    auto b = file.getBody();
    // Lists of empty elements cost no traversal words: a few KB could
    // declare tens of millions of them (found by tests/fuzz). Every real
    // entry takes at least one word of the file.
    const size_t fileWords = words.size();
    auto bounded = [&](size_t n, const char* what) {
      if (n > fileWords)
        throw StageError(path, "", fmt::format("{} {} in a file of {} words (corrupt model file)", n, what, fileWords));
    };
    bounded(b.getUarchs().size(), "microarchitectures");
    bounded(b.getTensors().size(), "tensors");
    bounded(b.getTargetNames().size(), "target names");
    bounded(b.getFeatureColumns().size(), "feature columns");
    for (auto u : b.getUarchs()) bounded(u.getParams().size(), "parameters");
    bounded(b.getTraining().getPrograms().size(), "programs");
    bounded(b.getUarchModel().getLayers().size(), "layers");
    m.name = b.getName();
    m.nonNegativeUarchs = b.getNonNegativeUarchs();
    m.description = b.getDescription();
    auto a = b.getArchitecture();
    m.architecture = {a.getKind(), a.getFeatures(), a.getHidden(), a.getLayers(), a.getWindow(), a.getChunk()};
    m.featureColumns = texts(b.getFeatureColumns());
    m.featureMean = values<float>(b.getFeatureMean());
    m.featureStd = values<float>(b.getFeatureStd());
    m.targetNames = texts(b.getTargetNames());
    for (auto u : b.getUarchs()) {
      Microarchitecture x;
      x.name = u.getName();
      for (auto p : u.getParams()) x.params.emplace_back(p.getKey(), p.getValue());
      x.clockGhz = u.getClockGhz();
      x.representation = values<float>(u.getRepresentation());
      x.origin = u.getOrigin();
      m.uarchs.push_back(std::move(x));
    }
    m.tensors = decodeTensors(b.getTensors(), path);
    auto tr = b.getTraining();
    TrainingRecord& t = m.training;
    t.programs = texts(tr.getPrograms());
    t.heldOutPrograms = texts(tr.getHeldOutPrograms());
    t.uarchSource = tr.getUarchSource();
    t.heldOutUarchs = texts(tr.getHeldOutUarchs());
    t.instructions = tr.getInstructions();
    t.steps = tr.getSteps();
    t.epochs = tr.getEpochs();
    t.validationLoss = tr.getValidationLoss();
    t.targetWeights = values<float>(tr.getTargetWeights());
    t.command = tr.getCommand();
    t.workers = tr.getWorkers();
    auto pm = b.getUarchModel();
    m.uarchModel.inputs = texts(pm.getInputs());
    m.uarchModel.inputMean = values<float>(pm.getInputMean());
    m.uarchModel.inputStd = values<float>(pm.getInputStd());
    m.uarchModel.layers = decodeTensors(pm.getLayers(), path);
    m.uarchModel.clockScaled = texts(pm.getClockScaled());
    m.contentHash = file.getContentHash();
    m.encoderHash = file.getEncoderHash();
  } catch (const kj::Exception& e) {
    throw StageError(path, "", std::string("not a valid model file: ") + e.getDescription().cStr());
  }
  validateModel(m, path);
  if (computeContentHash(m) != m.contentHash || computeEncoderHash(m) != m.encoderHash)
    throw StageError(path, "", "content does not match the stored hash (corrupt or edited model file)");
  return m;
}

void saveModel(Model& m, const std::string& path) {
  validateModel(m, path);
  m.contentHash = computeContentHash(m);
  m.encoderHash = computeEncoderHash(m);
  capnp::MallocMessageBuilder message;
  auto file = message.initRoot<wire::ModelFile>();
  file.setFormatVersion(wire::MODEL_FORMAT_VERSION);
  file.setContentHash(m.contentHash);
  file.setEncoderHash(m.encoderHash);
  encodeBody(m, file.initBody());
  auto words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  if (path == "-" && ::isatty(STDOUT_FILENO))
    throw StageError("<stdout>", "", "refusing to write a binary model file to a terminal; redirect it or give a file");
  runtime::OutputFile out(path);
  out.write(std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
  out.commit();
}

}  // namespace pv
