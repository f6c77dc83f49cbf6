// Model file: Cap'n Proto encoding, validation and XXH3-128 content hashes.

#include "stages/model/model_file.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <kj/exception.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "schema/model.capnp.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/byte_source.h"

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
  auto tensors = b.initTensors(m.tensors.size());
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    tensors[i].setName(m.tensors[i].name);
    setList<uint32_t>(tensors[i].initShape(m.tensors[i].shape.size()), m.tensors[i].shape);
    tensors[i].setValues(capnp::Data::Reader(
        reinterpret_cast<const kj::byte*>(m.tensors[i].values.data()), m.tensors[i].values.size() * 4));
  }
}

void encodeBody(const Model& m, wire::ModelBody::Builder b) {
  b.setName(m.name);
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
  }
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

}  // namespace

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
  for (size_t i = 0; i < m.uarchs.size(); ++i)
    for (size_t j = i + 1; j < m.uarchs.size(); ++j)
      if (m.uarchs[i].name == m.uarchs[j].name) fail("microarchitecture '" + m.uarchs[i].name + "' twice");
  for (const auto& t : m.tensors)
    if (product(t.shape) != t.values.size())
      fail(fmt::format("tensor '{}' holds {} values for its shape", t.name, t.values.size()));
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
    m.name = b.getName();
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
      m.uarchs.push_back(std::move(x));
    }
    for (auto t : b.getTensors()) {
      NamedTensor x;
      x.name = t.getName();
      x.shape = values<uint32_t>(t.getShape());
      auto data = t.getValues();
      if (data.size() % 4 != 0) throw StageError(path, "", "tensor '" + x.name + "' is not float32 data");
      x.values.resize(data.size() / 4);
      if (!x.values.empty()) std::memcpy(x.values.data(), data.begin(), data.size());
      m.tensors.push_back(std::move(x));
    }
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
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StageError(path, "", std::string("cannot create: ") + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t put = ::write(fd, bytes.begin() + done, bytes.size() - done);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw StageError(path, "", std::string("write failed: ") + std::strerror(err));
    }
    done += static_cast<size_t>(put);
  }
  if (::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throw StageError(path, "", std::string("cannot write: ") + std::strerror(err));
  }
}

}  // namespace pv
