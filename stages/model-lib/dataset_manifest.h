// The manifest of a dataset folder (manifest.toml): the configuration set
// and, per workload, its file, instruction and record counts, size, hash
// and status. pv-dataset rewrites it (temporary file + rename) after every
// workload, so that an interrupted run resumes from it: a workload is
// finished only when its entry says "done", its key matches and its file
// has the recorded size and hash.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pv::dataset {

struct ManifestEntry {
  std::string name;
  std::string status;  // "done", "failed" or "pending"
  std::string split;
  std::string file;    // relative to the dataset folder
  std::string report;  // pv-uarch's totals per configuration (JSON)
  std::vector<std::string> command;  // as run (placeholders expanded)
  uint64_t skip = 0, count = 0;      // the region asked for
  uint64_t instructions = 0;         // guest instructions traced
  uint64_t records = 0;              // records in the file (micro-ops)
  uint64_t bytes = 0;
  std::string xxh3;   // of the file, 16 hex digits
  std::string key;    // of everything that decides the file's bytes
  double seconds = 0;
  std::string error;  // why it failed
};

struct Manifest {
  std::string suite;      // the suite's name
  std::string suiteFile;  // as given
  std::string configSource;  // "sample --seed S --count N" or "dir PATH"
  std::vector<std::string> configs;       // names, in label order
  std::vector<std::string> configHashes;  // XXH3-64 of each file
  std::string inputsHash;
  double scale = 1.0;
  std::vector<ManifestEntry> workloads;

  ManifestEntry* find(const std::string& name);
  // The workloads whose status is "done", in manifest order: what pv-train,
  // pv-eval and pv-tune read.
  std::vector<const ManifestEntry*> finished() const;
  // Replaces the entry of the same name or appends.
  void put(const ManifestEntry& e);
};

// TOML text of the manifest (toml++'s serializer: keys sorted, seconds to
// two decimals). Throws std::runtime_error for a count past TOML's integers.
std::string formatManifest(const Manifest& m);
// Parses manifest text; throws StageError (PATH, LINE:COLUMN, "not a
// manifest: ...") when it is not a manifest. Absent keys keep their
// defaults; keys of another type, negative counts and workloads without a
// name are errors.
Manifest parseManifest(const std::string& text, const std::string& path);

// Reads DIR/manifest.toml; nullopt when there is none.
std::optional<Manifest> readManifest(const std::string& dir);
// Writes DIR/manifest.toml through a temporary file and a rename.
void writeManifest(const std::string& dir, const Manifest& m);

// DIR's manifest, for a reader of the dataset (pv-train, pv-eval, pv-tune):
// throws StageError naming DIR when it has none.
Manifest requireManifest(const std::string& dir);

// The labelled stream of a workload of the dataset in DIR.
std::string streamPath(const std::string& dir, const ManifestEntry& e);

}  // namespace pv::dataset
