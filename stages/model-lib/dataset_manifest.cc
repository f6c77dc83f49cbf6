// Manifest files: written by hand as TOML (toml++'s formatters are off in
// this project), read back with toml++.
#include "stages/model-lib/dataset_manifest.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stages/core/stage_error.h"

namespace pv::dataset {
namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string array(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); i++) out += (i ? ", " : "") + quote(v[i]);
  return out + "]";
}

std::string str(const toml::table& t, const char* key) {
  return t[key].value_or(std::string());
}

uint64_t num(const toml::table& t, const char* key) {
  return static_cast<uint64_t>(t[key].value_or(int64_t{0}));
}

std::vector<std::string> strings(const toml::table& t, const char* key) {
  std::vector<std::string> out;
  if (const toml::array* a = t[key].as_array())
    for (const auto& e : *a)
      if (e.is_string()) out.push_back(e.as_string()->get());
  return out;
}

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
  std::ostringstream o;
  o << "# pv-dataset manifest: rewritten after every workload; a workload is finished\n"
       "# only when its status is \"done\" and its file has this size and XXH3-64.\n\n"
       "[dataset]\n"
    << "suite = " << quote(m.suite) << "\n"
    << "suite_file = " << quote(m.suiteFile) << "\n"
    << "config_source = " << quote(m.configSource) << "\n"
    << "configs = " << array(m.configs) << "\n"
    << "config_hashes = " << array(m.configHashes) << "\n"
    << "inputs_hash = " << quote(m.inputsHash) << "\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", m.scale);
  std::string scale = buf;
  if (scale.find_first_of(".en") == std::string::npos) scale += ".0";  // a TOML float
  o << "scale = " << scale << "\n";
  for (const auto& e : m.workloads) {
    o << "\n[[workload]]\n"
      << "name = " << quote(e.name) << "\n"
      << "status = " << quote(e.status) << "\n"
      << "split = " << quote(e.split) << "\n"
      << "file = " << quote(e.file) << "\n"
      << "report = " << quote(e.report) << "\n"
      << "command = " << array(e.command) << "\n"
      << "skip = " << e.skip << "\n"
      << "count = " << e.count << "\n"
      << "instructions = " << e.instructions << "\n"
      << "records = " << e.records << "\n"
      << "bytes = " << e.bytes << "\n"
      << "xxh3 = " << quote(e.xxh3) << "\n"
      << "configs = " << array(m.configs) << "\n"
      << "key = " << quote(e.key) << "\n";
    std::snprintf(buf, sizeof buf, "%.2f", e.seconds);
    o << "seconds = " << buf << "\n";
    if (!e.error.empty()) o << "error = " << quote(e.error) << "\n";
  }
  return o.str();
}

Manifest parseManifest(const std::string& text, const std::string& path) {
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed)
    throw std::runtime_error(path + ": not a manifest: TOML: " +
                             std::string(parsed.error().description()));
  const toml::table& root = parsed.table();
  const toml::table* d = root["dataset"].as_table();
  if (!d) throw std::runtime_error(path + ": not a manifest: no [dataset] table");
  Manifest m;
  m.suite = str(*d, "suite");
  m.suiteFile = str(*d, "suite_file");
  m.configSource = str(*d, "config_source");
  m.configs = strings(*d, "configs");
  m.configHashes = strings(*d, "config_hashes");
  m.inputsHash = str(*d, "inputs_hash");
  m.scale = (*d)["scale"].value_or(1.0);
  if (const toml::array* list = root["workload"].as_array())
    for (const auto& node : *list) {
      const toml::table* t = node.as_table();
      if (!t) continue;
      ManifestEntry e;
      e.name = str(*t, "name");
      e.status = str(*t, "status");
      e.split = str(*t, "split");
      e.file = str(*t, "file");
      e.report = str(*t, "report");
      e.command = strings(*t, "command");
      e.skip = num(*t, "skip");
      e.count = num(*t, "count");
      e.instructions = num(*t, "instructions");
      e.records = num(*t, "records");
      e.bytes = num(*t, "bytes");
      e.xxh3 = str(*t, "xxh3");
      e.key = str(*t, "key");
      e.seconds = (*t)["seconds"].value_or(0.0);
      e.error = str(*t, "error");
      if (!e.name.empty()) m.workloads.push_back(std::move(e));
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
