// Suite files: parsing (toml++) and checks with source positions.
#include "dataset/workload_suite.h"

#include <toml++/toml.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "stages/runtime/toml_file.h"

namespace pv::dataset {
namespace {

std::string where(const std::string& file, const toml::source_region& r) {
  std::string out = file;
  if (r.begin.line > 0)
    out += ":" + std::to_string(r.begin.line) + ":" + std::to_string(r.begin.column);
  return out;
}

[[noreturn]] void fail(const std::string& file, const toml::node& node, const std::string& what) {
  throw SuiteError(where(file, node.source()) + ": " + what);
}

bool validName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

void onlyKeys(const std::string& file, const toml::table& t, std::initializer_list<const char*> allowed,
              const std::string& what) {
  for (const auto& [key, value] : t) {
    const std::string_view name = key.str();  // (clang 14 cannot capture a structured binding)
    bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; });
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw SuiteError(where(file, key.source()) + ": unknown key '" + std::string(key.str()) +
                       "' in " + what + " (allowed: " + list + ")");
    }
  }
}

std::string needString(const std::string& file, const toml::table& t, const toml::node& at,
                       const char* key, const std::string& what) {
  const toml::node* n = t.get(key);
  if (!n) fail(file, at, what + ": missing '" + key + "'");
  if (!n->is_string()) fail(file, *n, what + ": '" + key + "' must be a string");
  return n->as_string()->get();
}

std::vector<std::string> stringArray(const std::string& file, const toml::node& n,
                                     const std::string& what) {
  const toml::array* a = n.as_array();
  if (!a) fail(file, n, what + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    if (!e.is_string()) fail(file, e, what + " must hold strings only");
    out.push_back(e.as_string()->get());
  }
  return out;
}

uint64_t needCount(const std::string& file, const toml::table& t, const toml::node& at,
                   const char* key, const std::string& what, bool positive) {
  const toml::node* n = t.get(key);
  if (!n) fail(file, at, what + ": missing '" + key + "'");
  if (!n->is_integer()) fail(file, *n, what + ": '" + key + "' must be an integer");
  int64_t v = n->as_integer()->get();
  if (v < 0 || (positive && v == 0))
    fail(file, *n, what + ": '" + key + "' must be " + (positive ? "positive" : "0 or more"));
  return static_cast<uint64_t>(v);
}

std::string hashHex(const std::string& bytes) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  return buf;
}

}  // namespace

Suite parseSuite(const std::string& text, const std::string& path) {
  toml::table root;
  try {
    root = parseToml(text, path);
  } catch (const TomlError& e) {
    throw SuiteError(e.what());  // "FILE:LINE:COLUMN: TOML: ..."
  }
  onlyKeys(path, root, {"suite", "workload"}, "the file");

  Suite suite;
  suite.path = path;
  suite.dir = std::filesystem::path(path).parent_path().string();
  if (suite.dir.empty()) suite.dir = ".";
  suite.textHash = hashHex(text);

  const toml::node* s = root.get("suite");
  if (!s || !s->is_table()) throw SuiteError(path + ": no [suite] table (it needs name = \"...\")");
  const toml::table& st = *s->as_table();
  onlyKeys(path, st, {"name", "description", "files"}, "[suite]");
  suite.name = needString(path, st, *s, "name", "[suite]");
  if (const toml::node* d = st.get("description")) {
    if (!d->is_string()) fail(path, *d, "[suite]: 'description' must be a string");
    suite.description = d->as_string()->get();
  }
  if (const toml::node* f = st.get("files")) {
    suite.files = stringArray(path, *f, "[suite] files");
    for (const auto& file : suite.files)
      if (file.empty() || file.front() == '/' || file.find("..") != std::string::npos)
        fail(path, *f, "[suite] files: '" + file + "' must be a path inside the suite's folder");
  }

  const toml::node* w = root.get("workload");
  if (!w) throw SuiteError(path + ": no [[workload]] tables");
  const toml::array* list = w->as_array();
  if (!list || !list->is_array_of_tables()) fail(path, *w, "'workload' must be [[workload]] tables");
  std::map<std::string, int> seen;
  std::map<std::string, std::pair<std::string, std::string>> familySplit;  // family -> (split, first workload)
  for (const auto& node : *list) {
    const toml::table& t = *node.as_table();
    int line = static_cast<int>(node.source().begin.line);
    std::string what = "workload at line " + std::to_string(line);
    Workload wl;
    wl.line = line;
    wl.name = needString(path, t, node, "name", what);
    what = "workload '" + wl.name + "'";
    onlyKeys(path, t,
             {"name", "family", "packages", "command", "env", "skip", "count", "regions", "every", "split",
              "description"},
             what);
    if (!validName(wl.name))
      fail(path, *t.get("name"), what + ": a name holds letters, digits, '-', '_' and '.' only");
    if (auto [it, fresh] = seen.emplace(wl.name, line); !fresh)
      fail(path, *t.get("name"),
           "duplicate workload name '" + wl.name + "' (first at line " + std::to_string(it->second) + ")");
    const toml::node* pk = t.get("packages");
    if (!pk) fail(path, node, what + ": missing 'packages' (Debian packages; [] for our own kernels)");
    wl.packages = stringArray(path, *pk, what + ": 'packages'");
    for (const auto& p : wl.packages)
      if (std::find(kReservedPackages.begin(), kReservedPackages.end(), p) != kReservedPackages.end())
        fail(path, *pk, what + ": the Debian package " + p +
                            " is reserved for independent evaluation (never in the suite or its data)");
    const toml::node* cmd = t.get("command");
    if (!cmd) fail(path, node, what + ": missing 'command'");
    wl.command = stringArray(path, *cmd, what + ": 'command'");
    if (wl.command.empty()) fail(path, *cmd, what + ": 'command' is empty");
    // The reserved packages' programs, whatever packages the entry names.
    static const std::set<std::string> kReservedPrograms = {
        "flac", "metaflac", "lame", "brotli", "lzip", "cwebp", "dwebp", "gif2webp", "img2webp", "webpmux", "webpinfo", "vwebp"};
    if (const std::string program = std::filesystem::path(wl.command.front()).filename().string();
        kReservedPrograms.count(program))
      fail(path, *cmd, what + ": " + program +
                           " comes from a Debian package reserved for independent evaluation (flac, lame, brotli, "
                           "lzip, webp): never in the suite or its data");
    for (const auto& word : wl.command)
      if (word.empty() || word.find_first_of(" \t\n") != std::string::npos)
        fail(path, *cmd, what + ": command word '" + word +
                             "' is empty or holds a blank (pipeline parameters are split on blanks)");
    if (const toml::node* env = t.get("env")) {
      const toml::table* et = env->as_table();
      if (!et) fail(path, *env, what + ": 'env' must be a table of strings");
      for (const auto& [k, v] : *et) {
        if (!v.is_string()) fail(path, v, what + ": env." + std::string(k.str()) + " must be a string");
        wl.env[std::string(k.str())] = v.as_string()->get();
      }
    }
    wl.program = wl.name;
    wl.family = wl.name;
    if (t.get("family")) {
      wl.family = needString(path, t, node, "family", what);
      if (!validName(wl.family))
        fail(path, *t.get("family"), what + ": a family holds letters, digits, '-', '_' and '.' only");
    }
    wl.skip = needCount(path, t, node, "skip", what, false);
    wl.count = needCount(path, t, node, "count", what, true);
    uint64_t regions = 1, every = 0;
    if (t.get("regions")) {
      regions = needCount(path, t, node, "regions", what, true);
      if (regions > 1) {
        every = needCount(path, t, node, "every", what, true);
        if (every < wl.count)
          fail(path, *t.get("every"), what + ": regions overlap ('every' " + std::to_string(every) +
                                          " is less than 'count' " + std::to_string(wl.count) + ")");
      }
    }
    if (t.get("every") && regions < 2) fail(path, *t.get("every"), what + ": 'every' needs 'regions' of 2 or more");
    wl.split = needString(path, t, node, "split", what);
    if (wl.split != "train" && wl.split != "validation" && wl.split != "test")
      fail(path, *t.get("split"),
           what + ": split must be \"train\", \"validation\" or \"test\", not \"" + wl.split + "\"");
    // One split per family.
    const toml::node& splitNode = *t.get("split");
    if (auto [it, fresh] = familySplit.emplace(wl.family, std::make_pair(wl.split, wl.name)); !fresh &&
        it->second.first != wl.split)
      fail(path, splitNode, what + ": split \"" + wl.split + "\", but '" + it->second.second + "' of family '" +
                                wl.family + "' is in \"" + it->second.first + "\" (a family is in one split)");
    if (const toml::node* d = t.get("description")) {
      if (!d->is_string()) fail(path, *d, what + ": 'description' must be a string");
      wl.description = d->as_string()->get();
    }
    // Placeholders are checked here, not when the workload runs.
    try {
      expandCommand(wl, "inputs", "bin");
    } catch (const SuiteError& e) {
      fail(path, *cmd, what + ": " + e.what());
    }
    if (regions == 1) {
      suite.workloads.push_back(std::move(wl));
      continue;
    }
    for (uint64_t i = 1; i <= regions; ++i) {
      Workload r = wl;
      r.region = static_cast<int>(i);
      r.name = wl.name + ".r" + std::to_string(i);
      r.skip = wl.skip + (i - 1) * every;
      if (auto [it, fresh] = seen.emplace(r.name, line); !fresh)
        fail(path, *t.get("name"),
             "region name '" + r.name + "' is taken (by the workload at line " + std::to_string(it->second) + ")");
      suite.workloads.push_back(std::move(r));
    }
  }
  return suite;
}

Suite loadSuite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SuiteError(path + ": cannot read the suite file");
  std::stringstream s;
  s << in.rdbuf();
  return parseSuite(s.str(), path);
}

std::vector<std::string> expandCommand(const Workload& w, const std::string& inputs,
                                       const std::string& bin) {
  std::vector<std::string> out;
  for (const auto& word : w.command) {
    std::string result;
    for (size_t i = 0; i < word.size();) {
      if (word[i] != '{') {
        result += word[i++];
        continue;
      }
      // Only {lowercase_name} is a placeholder: other braces (a regular
      // expression's {3,}) are the program's.
      size_t close = word.find('}', i);
      std::string key = close == std::string::npos ? "" : word.substr(i + 1, close - i - 1);
      if (key.empty() || !std::all_of(key.begin(), key.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || c == '_';
          })) {
        result += word[i++];
        continue;
      }
      if (key == "inputs") result += inputs;
      else if (key == "bin") result += bin;
      else throw SuiteError("unknown placeholder '{" + key + "}' in command word '" + word +
                            "' (known: {inputs}, {bin})");
      i = close + 1;
    }
    out.push_back(result);
  }
  return out;
}

std::vector<Workload> selectWorkloads(const Suite& suite, const std::vector<std::string>& names,
                                      const std::string& split) {
  std::vector<Workload> out;
  if (!names.empty()) {
    std::set<std::string> taken;
    for (const auto& n : names) {
      bool found = false;
      for (const auto& w : suite.workloads)
        if (w.name == n || w.program == n) {
          found = true;
          if (taken.insert(w.name).second) out.push_back(w);
        }
      if (!found) {
        std::string known;
        for (const auto& w : suite.workloads) known += (known.empty() ? "" : ", ") + w.name;
        throw SuiteError(suite.path + ": no workload named '" + n + "' (workloads: " + known + ")");
      }
    }
    return out;
  }
  if (split != "all" && split != "train" && split != "validation" && split != "test")
    throw SuiteError("split must be train, validation, test or all, not '" + split + "'");
  for (const auto& w : suite.workloads)
    if (split == "all" || w.split == split) out.push_back(w);
  return out;
}

uint64_t scaledCount(uint64_t count, double scale) {
  double v = std::round(static_cast<double>(count) * scale);
  return v < 1 ? 1 : static_cast<uint64_t>(v);
}

std::string missingProgram(const Workload& w, const std::vector<std::string>& expanded) {
  const std::string& program = expanded.front();
  if (::access(program.c_str(), X_OK) == 0) return "";
  std::string why = program + (::access(program.c_str(), F_OK) == 0 ? " is not executable" : " not found");
  if (w.packages.empty())
    return why + " (a perfvec executable: build it with ninja, or give --bin)";
  std::string list;
  for (const auto& p : w.packages) list += (list.empty() ? "" : " ") + p;
  return why + ": install the Debian package" + (w.packages.size() > 1 ? "s " : " ") + list +
         " (apt-get install " + list + ")";
}

}  // namespace pv::dataset
