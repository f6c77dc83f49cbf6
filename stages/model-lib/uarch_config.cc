// UarchConfig: defaults, the table of TOML keys (shared by the parser, the
// writer and the flattened parameters, so that every key reads back as
// written), validation.

#include "stages/model-lib/uarch_config.h"
#include "stages/model-lib/uarch_config_toml.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/runtime/toml_file.h"

namespace pv::uarch {

FuPool poolOf(uint16_t opClass) {
  using O = OpClass;
  switch (static_cast<O>(opClass)) {
    case O::kIntMult:
      return kPoolIntMul;
    case O::kIntDiv:
      return kPoolIntDiv;
    case O::kFloatAdd:
    case O::kFloatCmp:
    case O::kFloatCvt:
    case O::kFloatMisc:
      return kPoolFpAlu;
    case O::kFloatMult:
    case O::kFloatMultAcc:
      return kPoolFpMul;
    case O::kFloatDiv:
    case O::kFloatSqrt:
    case O::kSimdDiv:
    case O::kSimdSqrt:
    case O::kSimdFloatDiv:
    case O::kSimdFloatSqrt:
      return kPoolFpDiv;
    case O::kMemRead:
    case O::kFloatMemRead:
      return kPoolLoad;
    case O::kMemWrite:
    case O::kFloatMemWrite:
      return kPoolStore;
    default:
      break;
  }
  if (opClass >= static_cast<uint16_t>(O::kSimdAdd) &&
      opClass <= static_cast<uint16_t>(O::kSimdPredAlu))
    return kPoolSimd;
  return kPoolIntAlu;
}

std::string_view poolName(FuPool pool) {
  static constexpr std::string_view kNames[kPoolCount] = {
      "int_alu", "int_mul", "int_div", "fp_alu", "fp_mul", "fp_div", "simd", "load", "store"};
  return kNames[pool];
}

bool poolIsPipelined(FuPool pool) { return pool != kPoolIntDiv && pool != kPoolFpDiv; }

std::array<uint32_t, kOpClassCount> UarchConfig::defaultLatencies() {
  std::array<uint32_t, kOpClassCount> lat{};
  lat.fill(1);
  using O = OpClass;
  auto set = [&](O op, uint32_t cycles) { lat[static_cast<size_t>(op)] = cycles; };
  // Close to gem5's O3 functional unit defaults.
  set(O::kIntMult, 3);
  set(O::kIntDiv, 20);
  set(O::kFloatAdd, 2);
  set(O::kFloatCmp, 2);
  set(O::kFloatCvt, 2);
  set(O::kFloatMult, 4);
  set(O::kFloatMultAcc, 5);
  set(O::kFloatDiv, 12);
  set(O::kFloatMisc, 3);
  set(O::kFloatSqrt, 24);
  for (auto op : {O::kSimdMult, O::kSimdMultAcc, O::kSimdCvt, O::kSimdMisc}) set(op, 3);
  for (auto op : {O::kSimdFloatAdd, O::kSimdFloatAlu, O::kSimdFloatCmp, O::kSimdFloatCvt,
                  O::kSimdFloatMisc, O::kSimdReduceAdd, O::kSimdReduceAlu, O::kSimdReduceCmp})
    set(op, 2);
  for (auto op : {O::kSimdFloatMult, O::kSimdFloatMultAcc, O::kSimdFloatReduceAdd,
                  O::kSimdFloatReduceCmp})
    set(op, 4);
  set(O::kSimdDiv, 20);
  set(O::kSimdSqrt, 24);
  set(O::kSimdFloatDiv, 12);
  set(O::kSimdFloatSqrt, 24);
  set(O::kIprAccess, 3);
  return lat;
}

uint32_t UarchConfig::periodPs() const {
  return static_cast<uint32_t>(std::lround(1000.0 / core.frequencyGhz));
}

const std::vector<DramKind>& dramKinds() {
  // Peak bandwidth = transfers/s x bus width; latencies are typical idle
  // (closed-page) figures; both approximate gem5's DRAM models.
  static const std::vector<DramKind> kinds = {
      {"DDR3_1600_8x8", 48, 12.8},
      {"DDR3_2133_8x8", 46, 17.0},
      {"DDR4_2400_16x4", 45, 19.2},
      {"DDR4_2400_8x8", 45, 19.2},
      {"DDR4_2400_4x16", 45, 19.2},
      {"DDR5_4400_4x8", 50, 17.6},
      {"DDR5_6400_4x8", 48, 25.6},
      {"DDR5_8400_4x8", 46, 33.6},
      {"LPDDR2_S4_1066_1x32", 62, 4.3},
      {"LPDDR3_1600_1x32", 56, 6.4},
      {"LPDDR5_5500_1x16_BG_BL32", 55, 11.0},
      {"LPDDR5_6400_1x16_BG_BL32", 53, 12.8},
      {"WideIO_200_1x128", 60, 3.2},
      {"GDDR5_4000_2x32", 50, 32.0},
      {"HBM_1000_4H_1x128", 45, 16.0},
      {"HBM_1000_4H_1x64", 45, 8.0},
      {"HBM_2000_4H_1x64", 42, 16.0},
  };
  return kinds;
}

namespace {

// ---- the key table ---------------------------------------------------------

struct Field {
  enum Kind { kUint, kDouble, kBool, kChoice, kDram } kind;
  std::string key;
  void* target;
  double min = 0, max = 0;              // kUint, kDouble
  std::vector<std::string> choices;     // kChoice: the names of values 0, 1, ...
  std::string help;                     // range hint used in errors
};

struct Section {
  std::string name;  // TOML table
  std::vector<Field> fields;
};

Field uintField(std::string key, uint32_t& v, uint32_t min, uint32_t max) {
  return {Field::kUint, std::move(key), &v, double(min), double(max), {}, {}};
}
Field doubleField(std::string key, double& v, double min, double max) {
  return {Field::kDouble, std::move(key), &v, min, max, {}, {}};
}
template <class E>
Field choiceField(std::string key, E& v, std::vector<std::string> names) {
  static_assert(sizeof(E) == 1);
  return {Field::kChoice, std::move(key), &v, 0, 0, std::move(names), {}};
}

const std::vector<std::string> kPrefetchers = {"none", "next_line", "stride"};

void addCacheFields(Section& s, CacheConfig& c, bool optional, uint32_t maxKb, bool shared = false) {
  if (optional) s.fields.push_back({Field::kBool, "enabled", &c.enabled, 0, 0, {}, {}});
  s.fields.push_back(uintField("size_kb", c.sizeKb, 1, maxKb));
  s.fields.push_back(uintField("ways", c.ways, 1, 64));
  s.fields.push_back(uintField("latency", c.latency, 1, 200));
  s.fields.push_back(uintField("mshrs", c.mshrs, 1, 256));
  s.fields.push_back(choiceField("prefetcher", c.prefetcher, kPrefetchers));
  s.fields.push_back(uintField("prefetch_degree", c.prefetchDegree, 1, 16));
  if (shared)
    s.fields.push_back(choiceField("inclusion", c.inclusion, {"non_inclusive", "inclusive", "exclusive"}));
}

std::vector<Section> sectionsOf(UarchConfig& c) {
  std::vector<Section> out;
  Section core{"core", {}};
  core.fields.push_back(choiceField("type", c.core.kind, {"in_order", "out_of_order"}));
  core.fields.push_back(doubleField("frequency_ghz", c.core.frequencyGhz, 0.1, 10.0));
  core.fields.push_back(uintField("fetch_width", c.core.fetchWidth, 1, 16));
  core.fields.push_back(uintField("decode_width", c.core.decodeWidth, 1, 16));
  core.fields.push_back(uintField("rename_width", c.core.renameWidth, 1, 16));
  core.fields.push_back(uintField("dispatch_width", c.core.dispatchWidth, 1, 16));
  core.fields.push_back(uintField("issue_width", c.core.issueWidth, 1, 16));
  core.fields.push_back(uintField("commit_width", c.core.commitWidth, 1, 16));
  core.fields.push_back(uintField("fetch_to_decode", c.core.fetchToDecode, 0, 20));
  core.fields.push_back(uintField("decode_to_rename", c.core.decodeToRename, 0, 20));
  core.fields.push_back(uintField("rename_to_dispatch", c.core.renameToDispatch, 0, 20));
  core.fields.push_back(uintField("dispatch_to_issue", c.core.dispatchToIssue, 0, 20));
  core.fields.push_back(uintField("complete_to_commit", c.core.completeToCommit, 0, 20));
  core.fields.push_back(uintField("fetch_buffer", c.core.fetchBuffer, 1, 1024));
  core.fields.push_back(uintField("rob", c.core.rob, 1, 4096));
  core.fields.push_back(uintField("issue_queue", c.core.issueQueue, 1, 1024));
  core.fields.push_back(uintField("load_queue", c.core.loadQueue, 1, 1024));
  core.fields.push_back(uintField("store_queue", c.core.storeQueue, 1, 1024));
  out.push_back(std::move(core));

  Section units{"units", {}};
  for (int p = 0; p < kPoolCount; ++p)
    units.fields.push_back(uintField(std::string(poolName(FuPool(p))), c.units[p], 1, 16));
  out.push_back(std::move(units));

  Section latency{"latency", {}};
  for (int op = 0; op < kOpClassCount; ++op)
    latency.fields.push_back(uintField(std::string(opClassName(uint16_t(op))), c.latency[op], 1, 200));
  out.push_back(std::move(latency));

  Section branch{"branch", {}};
  auto& b = c.branch;
  branch.fields.push_back(choiceField("predictor", b.predictor, {"bimodal", "gshare", "tage"}));
  branch.fields.push_back(uintField("table_bits", b.tableBits, 4, 24));
  branch.fields.push_back(uintField("history_bits", b.historyBits, 1, 32));
  branch.fields.push_back(uintField("tage_tables", b.tageTables, 1, 12));
  branch.fields.push_back(uintField("tage_table_bits", b.tageTableBits, 4, 20));
  branch.fields.push_back(uintField("tage_tag_bits", b.tageTagBits, 4, 16));
  branch.fields.push_back(uintField("tage_min_history", b.tageMinHistory, 1, 256));
  branch.fields.push_back(uintField("tage_max_history", b.tageMaxHistory, 1, 256));
  branch.fields.push_back(uintField("btb_entries", b.btbEntries, 1, 1 << 20));
  branch.fields.push_back(uintField("btb_ways", b.btbWays, 1, 64));
  branch.fields.push_back(uintField("mispredict_penalty", b.mispredictPenalty, 1, 100));
  out.push_back(std::move(branch));

  Section l1i{"l1i", {}}, l1d{"l1d", {}}, l2{"l2", {}}, l3{"l3", {}};
  addCacheFields(l1i, c.l1i, false, 4096);
  addCacheFields(l1d, c.l1d, false, 4096);
  addCacheFields(l2, c.l2, false, 1 << 20, true);
  addCacheFields(l3, c.l3, true, 1 << 20, true);
  out.push_back(std::move(l1i));
  out.push_back(std::move(l1d));
  out.push_back(std::move(l2));
  out.push_back(std::move(l3));

  Section memory{"memory", {}};
  memory.fields.push_back({Field::kDram, "kind", &c.memory.kind, 0, 0, {}, {}});
  memory.fields.push_back(uintField("channels", c.memory.channels, 1, 64));
  memory.fields.push_back(doubleField("latency_ns", c.memory.latencyNs, 1.0, 10000.0));
  memory.fields.push_back(doubleField("bandwidth_gbps", c.memory.bandwidthGBps, 0.1, 10000.0));
  out.push_back(std::move(memory));
  return out;
}

// ---- parsing ---------------------------------------------------------------

const char* typeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
  }
}

std::string formatNumber(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    throw StageError(file_, tomlPosition(where), message);
  }

  void set(const Field& f, const toml::node& node, const std::string& where) const {
    const std::string what = where + "." + f.key;
    switch (f.kind) {
      case Field::kUint: {
        if (!node.is_integer()) fail(node.source(), what + " must be an integer, not " + typeName(node));
        int64_t v = node.as_integer()->get();
        if (v < f.min || v > f.max)
          fail(node.source(), what + " = " + std::to_string(v) + " is out of range [" +
                                  std::to_string(int64_t(f.min)) + ", " + std::to_string(int64_t(f.max)) + "]");
        *static_cast<uint32_t*>(f.target) = static_cast<uint32_t>(v);
        return;
      }
      case Field::kDouble: {
        double v;
        if (node.is_integer()) v = double(node.as_integer()->get());
        else if (node.is_floating_point()) v = node.as_floating_point()->get();
        else fail(node.source(), what + " must be a number, not " + typeName(node));
        if (!(v >= f.min && v <= f.max))
          fail(node.source(), what + " = " + formatNumber(v) + " is out of range [" +
                                  formatNumber(f.min) + ", " + formatNumber(f.max) + "]");
        *static_cast<double*>(f.target) = v;
        return;
      }
      case Field::kBool:
        if (!node.is_boolean()) fail(node.source(), what + " must be true or false, not " + typeName(node));
        *static_cast<bool*>(f.target) = node.as_boolean()->get();
        return;
      case Field::kChoice: {
        if (!node.is_string()) fail(node.source(), what + " must be a string, not " + typeName(node));
        const std::string& s = node.as_string()->get();
        auto it = std::find(f.choices.begin(), f.choices.end(), s);
        if (it == f.choices.end())
          fail(node.source(), what + " = \"" + s + "\" is not one of: " + joined(f.choices));
        *static_cast<uint8_t*>(f.target) = static_cast<uint8_t>(it - f.choices.begin());
        return;
      }
      case Field::kDram: {
        if (!node.is_string()) fail(node.source(), what + " must be a string, not " + typeName(node));
        const std::string& s = node.as_string()->get();
        std::vector<std::string> names;
        for (const auto& k : dramKinds()) names.emplace_back(k.name);
        if (std::find(names.begin(), names.end(), s) == names.end())
          fail(node.source(), what + " = \"" + s + "\" is not one of: " + joined(names));
        *static_cast<std::string*>(f.target) = s;
        return;
      }
    }
  }

  // Fills the fields of `section` from `table`; returns the keys given.
  std::vector<std::string> section(Section& section, const toml::table& table) const {
    std::vector<std::string> given;
    for (auto [key, node] : tomlEntriesInFileOrder(table)) {
      const std::string_view name = key->str();  // (clang 14 cannot capture a structured binding)
      auto it = std::find_if(section.fields.begin(), section.fields.end(),
                             [&](const Field& f) { return f.key == name; });
      if (it == section.fields.end()) {
        std::string allowed;
        for (const auto& f : section.fields) allowed += (allowed.empty() ? "" : ", ") + f.key;
        fail(key->source(), "unknown key '" + std::string(key->str()) + "' in [" + section.name +
                                "] (allowed: " + allowed + ")");
      }
      set(*it, *node, section.name);
      given.emplace_back(key->str());
    }
    return given;
  }

 private:
  const std::string& file_;
};

std::string stemOf(const std::string& file) {
  std::string stem = std::filesystem::path(file).stem().string();
  return stem.empty() ? "uarch" : stem;
}

bool isConfigName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// Checks between keys; reported at the table that holds the last key involved.
void validate(const UarchConfig& c, const Parser& p, const std::map<std::string, toml::source_region>& at) {
  auto where = [&](const std::string& table) {
    auto it = at.find(table);
    return it == at.end() ? toml::source_region{} : it->second;
  };
  auto checkCache = [&](const std::string& name, const CacheConfig& cache) {
    if (!cache.enabled) return;
    const uint64_t bytes = uint64_t(cache.sizeKb) * 1024;
    if (bytes % (uint64_t(cache.ways) * kLineBytes) != 0)
      p.fail(where(name), "[" + name + "] size_kb = " + std::to_string(cache.sizeKb) +
                              " is not a whole number of sets of " + std::to_string(cache.ways) +
                              " ways of 64-byte lines");
  };
  checkCache("l1i", c.l1i);
  checkCache("l1d", c.l1d);
  checkCache("l2", c.l2);
  checkCache("l3", c.l3);
  const auto& b = c.branch;
  if (b.btbEntries % b.btbWays != 0)
    p.fail(where("branch"), "[branch] btb_entries = " + std::to_string(b.btbEntries) +
                                " is not a multiple of btb_ways = " + std::to_string(b.btbWays));
  if (b.tageMaxHistory < b.tageMinHistory)
    p.fail(where("branch"), "[branch] tage_max_history must be at least tage_min_history");
  if (b.tageMaxHistory > 128)
    p.fail(where("branch"), "[branch] tage_max_history = " + std::to_string(b.tageMaxHistory) +
                                " is out of range [1, 128]");
}

// ---- writing ---------------------------------------------------------------

// A value as the model file records it (Microarchitecture::params): integers
// in decimal, numbers in their shortest round-trip form ("2.5", "45"),
// booleans as true/false, choices by name.
std::string parameterText(const Field& f) {
  switch (f.kind) {
    case Field::kUint:
      return std::to_string(*static_cast<const uint32_t*>(f.target));
    case Field::kDouble:
      return fmt::format("{}", *static_cast<const double*>(f.target));
    case Field::kBool:
      return *static_cast<const bool*>(f.target) ? "true" : "false";
    case Field::kChoice:
      return f.choices[*static_cast<const uint8_t*>(f.target)];
    case Field::kDram:
      return *static_cast<const std::string*>(f.target);
  }
  return "";
}

void insertValue(toml::table& table, const Field& f) {
  switch (f.kind) {
    case Field::kUint:
      table.insert(f.key, int64_t{*static_cast<const uint32_t*>(f.target)});
      return;
    case Field::kDouble:
      table.insert(f.key, *static_cast<const double*>(f.target));
      return;
    case Field::kBool:
      table.insert(f.key, *static_cast<const bool*>(f.target));
      return;
    case Field::kChoice:
      table.insert(f.key, f.choices[*static_cast<const uint8_t*>(f.target)]);
      return;
    case Field::kDram:
      table.insert(f.key, *static_cast<const std::string*>(f.target));
      return;
  }
}

}  // namespace

UarchConfig parseConfig(std::string_view text, const std::string& file) { return parseConfig(parseToml(text, file), file); }

UarchConfig parseConfig(const toml::table& root, const std::string& file) {
  Parser p(file);
  UarchConfig c;
  c.name = stemOf(file);
  std::vector<Section> sections = sectionsOf(c);
  std::map<std::string, toml::source_region> at;
  bool l3Given = false, l3EnabledGiven = false;
  bool latencyGiven = false, bandwidthGiven = false;
  for (auto [key, node] : tomlEntriesInFileOrder(root)) {
    const std::string k(key->str());
    if (k == "name") {
      if (!node->is_string()) p.fail(node->source(), "name must be a string, not " + std::string(typeName(*node)));
      c.name = node->as_string()->get();
      if (!isConfigName(c.name))
        p.fail(node->source(), "name \"" + c.name + "\" may hold only letters, digits, '_', '-' and '.'");
      continue;
    }
    auto it = std::find_if(sections.begin(), sections.end(), [&](const Section& s) { return s.name == k; });
    if (it == sections.end()) {
      std::string allowed = "name";
      for (const auto& s : sections) allowed += ", " + s.name;
      p.fail(key->source(), "unknown key '" + k + "' (allowed: " + allowed + ")");
    }
    if (!node->is_table()) p.fail(node->source(), "[" + k + "] must be a table, not " + typeName(*node));
    at[k] = node->source();
    std::vector<std::string> given = p.section(*it, *node->as_table());
    auto has = [&](std::string_view name) { return std::find(given.begin(), given.end(), name) != given.end(); };
    if (k == "l3") {
      l3Given = true;
      l3EnabledGiven = has("enabled");
    }
    if (k == "memory") {
      latencyGiven = has("latency_ns");
      bandwidthGiven = has("bandwidth_gbps");
    }
  }
  // An [l3] table turns the L3 on unless it says enabled = false.
  if (l3Given && !l3EnabledGiven) c.l3.enabled = true;
  // A DRAM kind brings its latency and bandwidth unless they are given.
  for (const auto& kind : dramKinds()) {
    if (kind.name != c.memory.kind) continue;
    if (!latencyGiven) c.memory.latencyNs = kind.latencyNs;
    if (!bandwidthGiven) c.memory.bandwidthGBps = kind.bandwidthGBps;
  }
  validate(c, p, at);
  return c;
}

UarchConfig readConfig(const std::string& path) { return parseConfig(readFileBytes(path), path); }

std::string writeToml(const UarchConfig& config) {
  UarchConfig c = config;  // sectionsOf wants a mutable object; nothing is changed
  toml::table root{{"name", c.name}};
  for (const Section& s : sectionsOf(c)) {
    toml::table section;
    for (const Field& f : s.fields) insertValue(section, f);
    root.insert(s.name, std::move(section));
  }
  return formatToml(root);
}

std::vector<std::pair<std::string, std::string>> flattenedParameters(const UarchConfig& config) {
  UarchConfig c = config;  // as above
  std::vector<std::pair<std::string, std::string>> out;
  for (const Section& s : sectionsOf(c))
    for (const Field& f : s.fields) out.emplace_back(s.name + "." + f.key, parameterText(f));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pv::uarch
