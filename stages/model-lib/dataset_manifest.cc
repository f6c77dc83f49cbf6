// Manifest files: written with toml++'s serializer, read back through the
// project's TOML reader (stages/runtime/toml_file.h).
#include "stages/model-lib/dataset_manifest.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "stages/core/stage_error.h"
#include "stages/runtime/toml_file.h"

namespace pv::dataset {
namespace {

toml::array stringArray(const std::vector<std::string>& v) {
  toml::array a;
  for (const auto& s : v) a.push_back(s);
  return a;
}

// TOML integers are signed 64-bit.
int64_t tomlInteger(uint64_t v, const char* key) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw std::runtime_error(std::string("manifest: ") + key + " = " + std::to_string(v) +
                             " does not fit a TOML integer");
  return static_cast<int64_t>(v);
}

// The reader: a missing key keeps its default (older manifests lack some),
// a key of another type or a negative count is an error at its position.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const toml::source_region& at, const std::string& message) const {
    std::string position;
    if (at.begin.line > 0) position = std::to_string(at.begin.line) + ":" + std::to_string(at.begin.column);
    throw StageError(path_, position, "not a manifest: " + message);
  }

  std::string str(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return "";
    if (!n->is_string()) fail(n->source(), std::string("'") + key + "' must be a string");
    return n->as_string()->get();
  }

  uint64_t count(const toml::table& t, const char* key) const {
    const toml::node* n = t.get(key);
    if (!n) return 0;
    if (!n->is_integer() || n->as_integer()->get() < 0)
      fail(n->source(), std::string("'") + key + "' must be an integer, 0 or more");
    return static_cast<uint64_t>(n->as_integer()->get());
  }

  double number(const toml::table& t, const char* key, double fallback) const {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (!n->is_floating_point()) fail(n->source(), std::string("'") + key + "' must be a number");
    return n->as_floating_point()->get();
  }

  std::vector<std::string> strings(const toml::table& t, const char* key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) fail(n->source(), std::string("'") + key + "' must be an array of strings");
    for (const auto& e : *a) {
      if (!e.is_string()) fail(e.source(), std::string("'") + key + "' must hold strings only");
      out.push_back(e.as_string()->get());
    }
    return out;
  }

 private:
  const std::string& path_;
};

}  // namespace

ManifestEntry* Manifest::find(const std::string& name) {
  for (auto& e : workloads)
    if (e.name == name) return &e;
  return nullptr;
}

std::vector<const ManifestEntry*> Manifest::finished() const {
  std::vector<const ManifestEntry*> done;
  for (const auto& e : workloads)
    if (e.status == "done") done.push_back(&e);
  return done;
}

void Manifest::put(const ManifestEntry& e) {
  if (ManifestEntry* old = find(e.name)) *old = e;
  else workloads.push_back(e);
}

std::string formatManifest(const Manifest& m) {
  toml::table dataset{
      {"suite", m.suite},
      {"suite_file", m.suiteFile},
      {"config_source", m.configSource},
      {"configs", stringArray(m.configs)},
      {"config_hashes", stringArray(m.configHashes)},
      {"inputs_hash", m.inputsHash},
      {"scale", m.scale},
  };
  toml::array workloads;
  for (const auto& e : m.workloads) {
    // The seconds as they always were written, to two decimals ("%.2f"):
    // the value of that text, which toml++ prints in its shortest form.
    char seconds[64];
    std::snprintf(seconds, sizeof seconds, "%.2f", e.seconds);
    double rounded = 0;
    std::from_chars(seconds, seconds + std::strlen(seconds), rounded);
    toml::table w{
        {"name", e.name},
        {"status", e.status},
        {"split", e.split},
        {"file", e.file},
        {"report", e.report},
        {"command", stringArray(e.command)},
        {"skip", tomlInteger(e.skip, "skip")},
        {"count", tomlInteger(e.count, "count")},
        {"instructions", tomlInteger(e.instructions, "instructions")},
        {"records", tomlInteger(e.records, "records")},
        {"bytes", tomlInteger(e.bytes, "bytes")},
        {"xxh3", e.xxh3},
        {"configs", stringArray(m.configs)},
        {"key", e.key},
        {"seconds", rounded},
    };
    if (!e.error.empty()) w.insert("error", e.error);
    workloads.push_back(std::move(w));
  }
  toml::table root{{"dataset", std::move(dataset)}};
  if (!workloads.empty()) root.insert("workload", std::move(workloads));
  return "# pv-dataset manifest: rewritten after every workload; a workload is finished\n"
         "# only when its status is \"done\" and its file has this size and XXH3-64.\n\n" +
         formatToml(root);
}

Manifest parseManifest(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = parseToml(text, path);
  } catch (const TomlError& e) {
    throw StageError(path, e.position(), "not a manifest: " + e.message());
  }
  const Reader r(path);
  const toml::node* dn = root.get("dataset");
  if (!dn) r.fail({}, "no [dataset] table");
  const toml::table* d = dn->as_table();
  if (!d) r.fail(dn->source(), "'dataset' must be a table");
  Manifest m;
  m.suite = r.str(*d, "suite");
  m.suiteFile = r.str(*d, "suite_file");
  m.configSource = r.str(*d, "config_source");
  m.configs = r.strings(*d, "configs");
  m.configHashes = r.strings(*d, "config_hashes");
  m.inputsHash = r.str(*d, "inputs_hash");
  m.scale = r.number(*d, "scale", 1.0);
  if (const toml::node* list = root.get("workload")) {
    const toml::array* a = list->as_array();
    if (!a) r.fail(list->source(), "'workload' must be [[workload]] tables");
    for (const auto& node : *a) {
      const toml::table* t = node.as_table();
      if (!t) r.fail(node.source(), "'workload' must be [[workload]] tables");
      ManifestEntry e;
      e.name = r.str(*t, "name");
      if (e.name.empty()) r.fail(node.source(), "a [[workload]] without a name");
      e.status = r.str(*t, "status");
      e.split = r.str(*t, "split");
      e.file = r.str(*t, "file");
      e.report = r.str(*t, "report");
      e.command = r.strings(*t, "command");
      e.skip = r.count(*t, "skip");
      e.count = r.count(*t, "count");
      e.instructions = r.count(*t, "instructions");
      e.records = r.count(*t, "records");
      e.bytes = r.count(*t, "bytes");
      e.xxh3 = r.str(*t, "xxh3");
      e.key = r.str(*t, "key");
      e.seconds = r.number(*t, "seconds", 0.0);
      e.error = r.str(*t, "error");
      m.workloads.push_back(std::move(e));
    }
  }
  return m;
}

std::optional<Manifest> readManifest(const std::string& dir) {
  std::string path = dir + "/manifest.toml";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return parseManifest(s.str(), path);
}

void writeManifest(const std::string& dir, const Manifest& m) {
  std::string path = dir + "/manifest.toml", tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << formatManifest(m);
    out.close();
    if (!out) throw std::runtime_error(tmp + ": cannot write: " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(path + ": cannot rename into place: " + ec.message());
}

Manifest requireManifest(const std::string& dir) {
  std::optional<Manifest> m = readManifest(dir);
  if (!m) throw StageError(dir, "", "no manifest.toml (not a pv-dataset folder)");
  return std::move(*m);
}

std::string streamPath(const std::string& dir, const ManifestEntry& e) { return dir + "/" + e.file; }

}  // namespace pv::dataset
