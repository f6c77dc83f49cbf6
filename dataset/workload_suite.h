// The workload suite file (examples/workloads/workloads.toml): programs,
// their Debian packages, commands with placeholders, regions, families and
// the train/validation/test split. Parsing checks everything before
// anything runs; each problem is a SuiteError with file, line and column.
//
// A workload with `regions = N` (and `every = D`) stands for N regions of
// `count` instructions starting at skip, skip + D, ...: parsing expands it
// into N workloads NAME.r1 ... NAME.rN (program NAME), each its own file.
// Workloads of one family (`family`, default: the program) share a split,
// so no family is in two splits. The Debian packages reserved for
// independent evaluation (kReservedPackages) may not appear at all.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pv::dataset {

class SuiteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;  // "FILE:LINE:COLUMN: what"
};

// Reserved for independent evaluation: never in a suite, its inputs, or
// any training or validation data (a suite naming them is refused).
inline const std::vector<std::string> kReservedPackages = {"flac", "lame", "brotli", "lzip", "webp"};

struct Workload {
  std::string name;                       // letters, digits, '-', '_', '.'; NAME.rI for region I
  std::string program;                    // the [[workload]]'s name (= name with one region)
  std::string family;                     // programs that share code and a split
  int region = 0;                         // 1..regions, 0 with a single region
  std::vector<std::string> packages;      // Debian packages that provide the program
  std::vector<std::string> command;       // with {inputs} / {bin} placeholders
  std::map<std::string, std::string> env;  // extra environment of the program
  uint64_t skip = 0;                      // guest instructions before the region
  uint64_t count = 0;                     // region length (> 0)
  std::string split;                      // "train", "validation" or "test"
  std::string description;
  int line = 0;                           // of its [[workload]] table
};

struct Suite {
  std::string path;  // the file as given
  std::string dir;   // its folder ({suite files} are relative to it)
  std::string name;
  std::string description;
  std::vector<std::string> files;  // copied into the inputs folder
  std::vector<Workload> workloads;
  std::string textHash;  // XXH3-64 of the file's bytes (hex)
};

// Parses suite text; `path` names it in errors.
Suite parseSuite(const std::string& text, const std::string& path);
// Reads and parses a file; a missing file is a SuiteError.
Suite loadSuite(const std::string& path);

// The command with its placeholders replaced: {inputs} -> `inputs`,
// {bin} -> `bin`. Throws SuiteError for any other placeholder.
std::vector<std::string> expandCommand(const Workload& w, const std::string& inputs,
                                       const std::string& bin);

// Selects workloads by name (in the order given; a program's name selects
// all its regions) or, with no names, by split ("train", "validation",
// "test", "all"). An unknown name is a SuiteError that lists the suite's
// names.
std::vector<Workload> selectWorkloads(const Suite& suite, const std::vector<std::string>& names,
                                      const std::string& split);

// The region length after scaling: round(count * scale), at least 1.
uint64_t scaledCount(uint64_t count, double scale);

// Why a workload cannot run here, or "" when it can: its program (the
// expanded command's first word) is missing or not executable. The message
// names the Debian packages to install.
std::string missingProgram(const Workload& w, const std::vector<std::string>& expanded);

}  // namespace pv::dataset
