// UarchConfig: one simulated microarchitecture of pv-uarch, and its TOML form:
// the one reader and writer of microarchitecture files. pv-uarch simulates
// what it reads, pv-dataset checks and names its configuration set with it,
// and pv-train, pv-tune and pv-dot-predict take a configuration's name,
// clock and parameters from it (stages/model-lib/uarch_params.h).
//
// A configuration is a named TOML file with the tables [core], [units],
// [latency], [branch], [l1i], [l1d], [l2], optionally [l3], and [memory]
// (stages/uarch/README.md lists every key with its default and range). Every
// key is optional: absent keys keep the defaults below. Unknown keys, values
// of the wrong type or outside their range are errors naming the file, line
// and column. writeToml() writes every key, so parse(write(c)) == c.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages/core/op_class.h"

namespace pv::uarch {

enum class CoreKind : uint8_t { kInOrder, kOutOfOrder };
enum class PredictorKind : uint8_t { kBimodal, kGshare, kTage };
enum class PrefetcherKind : uint8_t { kNone, kNextLine, kStride };
// How an L2 or L3 relates to the caches above it.
enum class Inclusion : uint8_t { kNonInclusive, kInclusive, kExclusive };

// Functional unit pools; each op class runs on one (see poolOf()).
enum FuPool : uint8_t {
  kPoolIntAlu,
  kPoolIntMul,
  kPoolIntDiv,
  kPoolFpAlu,
  kPoolFpMul,
  kPoolFpDiv,
  kPoolSimd,
  kPoolLoad,
  kPoolStore,
  kPoolCount,
};
inline constexpr int kOpClassCount = static_cast<int>(OpClass::kCount);

// The pool an op class (gem5 number) issues to; unknown numbers: integer ALU.
FuPool poolOf(uint16_t opClass);
// TOML key of a pool ("int_alu", ...).
std::string_view poolName(FuPool pool);
// Pools whose units are busy for the whole latency (dividers, square root).
bool poolIsPipelined(FuPool pool);

struct CoreConfig {
  CoreKind kind = CoreKind::kOutOfOrder;
  double frequencyGhz = 2.0;
  uint32_t fetchWidth = 4;
  uint32_t decodeWidth = 4;
  uint32_t renameWidth = 4;
  uint32_t dispatchWidth = 4;
  uint32_t issueWidth = 6;
  uint32_t commitWidth = 4;
  // Stage delays in cycles (gem5's *ToDecodeDelay etc.).
  uint32_t fetchToDecode = 1;
  uint32_t decodeToRename = 1;
  uint32_t renameToDispatch = 1;
  uint32_t dispatchToIssue = 1;
  uint32_t completeToCommit = 1;
  uint32_t fetchBuffer = 32;  // instructions fetched but not yet dispatched
  uint32_t rob = 192;
  uint32_t issueQueue = 64;
  uint32_t loadQueue = 32;
  uint32_t storeQueue = 32;
  bool operator==(const CoreConfig&) const = default;
};

struct BranchConfig {
  PredictorKind predictor = PredictorKind::kTage;
  uint32_t tableBits = 12;     // log2 counters of bimodal / gshare / TAGE base
  uint32_t historyBits = 12;   // gshare global history
  uint32_t tageTables = 4;     // tagged tables
  uint32_t tageTableBits = 10; // log2 entries per tagged table
  uint32_t tageTagBits = 9;
  uint32_t tageMinHistory = 4;
  uint32_t tageMaxHistory = 64;
  uint32_t btbEntries = 4096;
  uint32_t btbWays = 4;
  // Fewest cycles from a mispredicted branch's fetch to the fetch of the
  // correct path; a branch that resolves later redirects the cycle after.
  uint32_t mispredictPenalty = 14;
  bool operator==(const BranchConfig&) const = default;
};

struct CacheConfig {
  bool enabled = true;  // only [l3] may be absent
  uint32_t sizeKb = 32;
  uint32_t ways = 4;
  uint32_t latency = 2;  // cycles, tag + data
  uint32_t mshrs = 8;
  PrefetcherKind prefetcher = PrefetcherKind::kNone;
  uint32_t prefetchDegree = 1;
  // L2/L3 only: inclusive evictions invalidate the line above; an exclusive
  // cache holds what the caches above evicted, and a line it hands up
  // leaves it.
  Inclusion inclusion = Inclusion::kNonInclusive;
  bool operator==(const CacheConfig&) const = default;
};

struct MemoryConfig {
  std::string kind = "DDR4_2400_8x8";
  uint32_t channels = 2;
  double latencyNs = 45.0;           // idle load-to-use beyond the last cache
  double bandwidthGBps = 19.2;       // per channel
  bool operator==(const MemoryConfig&) const = default;
};

struct UarchConfig {
  std::string name = "default";
  CoreConfig core;
  std::array<uint32_t, kPoolCount> units{4, 1, 1, 2, 2, 1, 2, 2, 1};
  std::array<uint32_t, kOpClassCount> latency = defaultLatencies();
  BranchConfig branch;
  CacheConfig l1i{true, 32, 4, 2, 4, PrefetcherKind::kNextLine, 1, Inclusion::kNonInclusive};
  CacheConfig l1d{true, 32, 4, 2, 8, PrefetcherKind::kStride, 2, Inclusion::kNonInclusive};
  CacheConfig l2{true, 1024, 8, 12, 16, PrefetcherKind::kNextLine, 1, Inclusion::kNonInclusive};
  CacheConfig l3{false, 8192, 16, 35, 32, PrefetcherKind::kNone, 1, Inclusion::kNonInclusive};
  MemoryConfig memory;
  bool operator==(const UarchConfig&) const = default;

  static std::array<uint32_t, kOpClassCount> defaultLatencies();
  // Picoseconds per cycle, rounded like gem5's clock periods (3.33 GHz: 300).
  uint32_t periodPs() const;
};

inline constexpr uint32_t kLineBytes = 64;

// A DRAM kind of the sampling space (gem5's names) with its idle latency
// and peak bandwidth per channel (approximations of gem5's models).
struct DramKind {
  std::string_view name;
  double latencyNs;
  double bandwidthGBps;
};
const std::vector<DramKind>& dramKinds();

// Parses a configuration. `file` names it in errors and gives the default
// name (its stem) when the file has no `name`. Throws StageError with input
// `file` and position "line:column".
UarchConfig parseConfig(std::string_view text, const std::string& file);
// The same for a file (a StageError naming it when it cannot be read).
UarchConfig readConfig(const std::string& path);

// Every key, with toml++'s serializer (stages/runtime/toml_file.h): `name`,
// then the tables, keys sorted.
std::string writeToml(const UarchConfig& config);

// Every key as ("table.key", value text), sorted by key: integers in
// decimal, numbers in their shortest round-trip form, booleans true/false,
// choices by name ("branch.predictor", "tage").
std::vector<std::pair<std::string, std::string>> flattenedParameters(const UarchConfig& config);

}  // namespace pv::uarch
