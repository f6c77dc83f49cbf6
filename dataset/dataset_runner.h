// pv-dataset's work (dataset/README.md), for its main and its tests: the
// configurations and inputs of a dataset folder, the key that decides
// whether a finished workload is still good, each workload's pipeline run
// by pv-launch as a child process (stages/runtime/process.h), the check of
// the file it wrote, and the manifest rewritten after every workload so
// that a rerun goes on where a run stopped.
//
// A problem that ends the run is a runtime::ExitStatus: code 2 for usage,
// suite, configuration and folder problems, 1 for run-time ones; a
// SuiteError (workload_suite.h) means 2 as well. The main's Tool prints
// them as "pv-dataset: MESSAGE". A failing workload does not end the run:
// it is marked failed, and run() returns 1 at the end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dataset/workload_suite.h"
#include "stages/runtime/slurm_job.h"

namespace pv::dataset {

// pv-dataset's command line (dataset/README.md has each option).
struct DatasetOptions {
  std::string suitePath = "examples/workloads/workloads.toml";
  std::string pipeline = "pipelines/workload-labelled.toml";
  std::string out;
  std::vector<std::string> names;
  std::string split = "all";
  std::string configDir;
  uint32_t sample = 0;
  uint64_t seed = 1;
  double scale = 1.0;
  unsigned jobs = 1;
  std::string bin;  // "" = the folder of the running executable
  bool list = false, native = false, quiet = false;
  // pv-reuse-distance --locality: 55 feature columns instead of PerfVec's 51
  // (part of each workload's key, so a folder never mixes the two).
  bool locality = false;
  int progress = -1;  // -1: when stderr is a terminal

  // On a Slurm cluster (dataset/README.md, "On a Slurm cluster";
  // dataset_slurm.h): submit the workloads left to do as an array job and
  // merge the tasks' results (slurm.submit), or only write and print the
  // job script (slurm.print). The options become #SBATCH lines.
  runtime::slurm::Options slurm;
  // One task of such a job (hidden --slurm-task): runs its workloads as a
  // local run does, but records them in OUT/slurm/parts/NAME.toml, not in
  // the manifest, and leaves the configurations as they are.
  bool slurmTask = false;
};

// Runs what `options` ask for and returns the exit status: 0 every selected
// workload finished, 1 one failed, 128+N stopped by signal N, which
// `interrupted` returns (0 while none arrived; it is asked between steps
// and while pipelines run). Throws as the top of this file says.
int run(const DatasetOptions& options, const std::function<int()>& interrupted);

// A default file named relative to the source tree (the suite, the
// pipeline): as it is when it exists here, else an installed tree's copy
// (PREFIX/bin/pv-dataset, PREFIX/share/perfvec/PATH; docs/install.md), else
// as it is, for the error.
std::string installedDefault(const std::string& path);

// ---- the parts, tested one by one

// The configurations of a dataset folder (OUT/uarchs), in label order.
struct ConfigSet {
  std::vector<std::string> files;   // relative to the dataset folder
  std::vector<std::string> names;   // label names (the file's `name`, else its stem)
  std::vector<std::string> hashes;  // XXH3-64 of each file's bytes
};

// The *.toml files of `dir`, sorted by file name; `out` is the dataset
// folder the file names are made relative to. A file that is not TOML is
// an error (2) naming it.
ConfigSet readConfigSet(const std::filesystem::path& dir, const std::filesystem::path& out);

// Puts the configurations into OUT/uarchs, from `configDir` or drawn by
// `BIN/pv-uarch sample --seed S --count N` (`sample` > 0), and reads them
// back; with neither, those already there. `source` becomes what the
// manifest records of where they came from. A folder whose configurations
// differ is replaced, unless `anyDone` (a workload is finished with them):
// then it is an error (2).
ConfigSet prepareConfigs(const std::filesystem::path& out, const std::filesystem::path& bin,
                         const std::string& configDir, uint32_t sample, uint64_t seed, bool anyDone,
                         std::string& source);

// Writes the generated inputs and the suite's own files into OUT/inputs
// (only files whose bytes differ); returns the hash of all of them (names
// and contents).
std::string prepareInputs(const std::filesystem::path& out, const Suite& suite);

// The whole environment a workload's pipeline (or native run) gets, fixed
// so that the guest's stack layout and behaviour do not depend on the
// caller's: PATH, HOME, LANG, LC_ALL, TZ, the caller's TMPDIR and
// PV_VALGRIND_LIB when set, then the workload's own `env` over them.
std::map<std::string, std::string> workloadEnvironment(const Workload& w);

// The workloads' HOME: a path that must not exist, so that no program reads
// settings from it, and a program that would write there (as root it can
// create the folder) fails to. A fixed string: its length is part of every
// guest's stack layout, and so of the traces.
inline constexpr const char* kWorkloadHome = "/nonexistent";

// "" when `home` does not exist; else what is wrong, for an error message
// (pv-dataset refuses to start a workload then, and fails a workload after
// which it appeared: the workload created it on this machine).
std::string homeProblem(const std::filesystem::path& home);

// The key of everything that decides a workload's file: the expanded
// command, its environment, skip and scaled count, the configurations'
// names and contents, the inputs and the pipeline file (16 hex digits).
std::string entryKey(const std::vector<std::string>& command, const Workload& w, uint64_t count,
                     const ConfigSet& configs, const std::string& inputsHash,
                     const std::string& pipelineHash);

// Reads the whole file: it must be a complete feature stream of 51 feature
// columns (55 with locality) labelled for exactly the configurations, in
// order. Returns its record count; throws
// (1) saying what is wrong.
uint64_t verifyOutput(const std::filesystem::path& file, const ConfigSet& configs, bool locality = false);

// The guest instructions pv-trace-tap says it traced in a pipeline's log
// ("...: N instructions traced"), 0 when it says nothing.
uint64_t tracedInstructions(const std::filesystem::path& log);

// The lines of a log that explain a failure, each on a new line indented
// by two: pv-launch's, pv-dataset's and (a Slurm task's log) slurmstepd's
// own lines, else the log's last lines; at most the last 4.
std::string explainFailure(const std::filesystem::path& log);

// What --list prints: a table of the selected workloads and a total.
std::string formatList(const Suite& suite, const std::vector<Workload>& selected);

// XXH3-64 of bytes, and of a file streamed ("" when it cannot be read), as
// 16 hex digits.
std::string hashOf(const std::string& bytes);
std::string hashFile(const std::filesystem::path& path);

// 1234567 -> "1,234,567".
std::string withCommas(uint64_t value);

}  // namespace pv::dataset
