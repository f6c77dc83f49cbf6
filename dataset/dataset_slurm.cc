// pv-dataset on a Slurm cluster: its job script and the merge of the
// tasks' parts (dataset_slurm.h); the job itself is runtime/slurm_job.h's.
#include "dataset/dataset_slurm.h"

#include <algorithm>

#include "dataset/dataset_runner.h"
#include "stages/core/file_bytes.h"
#include "stages/runtime/process.h"
#include "stages/runtime/slurm_job.h"

namespace pv::dataset::slurm {

namespace fs = std::filesystem;

std::string formatScript(const JobScript& job) {
  const size_t n = job.workloads.size();
  runtime::slurm::ArrayJob a;
  a.name = "pv-dataset";
  a.about = "pv-dataset: " + std::to_string(n) + (n == 1 ? " workload" : " workloads") + " of " + job.dataset +
            " as a Slurm array job,\n"
            "one workload per task (dataset/README.md, \"On a Slurm cluster\"). Each task\n"
            "labels its workload as a local pv-dataset run would and records it in\n" +
            job.dataset + "/slurm/parts/NAME.toml; the pv-dataset that submitted\n"
            "the job merges the parts into manifest.toml when the job has ended, and\n"
            "so does any later pv-dataset run of the folder. Written by pv-dataset;\n"
            "it can be edited and submitted by hand (sbatch FILE).";
  a.tasks = n;
  a.maxRunning = job.maxRunning;
  a.workDir = job.workDir;
  a.logDir = job.logDir;
  a.options = job.options;
  a.body = "# The programs see TMPDIR as in a local run (Slurm sets it when unset).\n";
  a.body += job.tmpdir ? "export TMPDIR=" + runtime::shellQuote(*job.tmpdir) + "\n" : std::string("unset TMPDIR\n");
  a.body += runtime::slurm::bashArray("workloads", job.workloads);
  std::vector<runtime::slurm::CommandWord> words(job.command.begin(), job.command.end());
  words.push_back("-w");
  words.push_back(runtime::slurm::CommandWord::element("workloads"));
  a.body += runtime::slurm::execLine(words);
  return runtime::slurm::formatScript(a);
}

fs::path partPath(const fs::path& out, const std::string& name) { return out / "slurm" / "parts" / (name + ".toml"); }

std::vector<fs::path> mergeParts(const fs::path& out, Manifest& manifest) {
  std::vector<fs::path> read;
  const fs::path dir = out / "slurm" / "parts";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return read;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    read.push_back(f);
    Manifest part;
    try {
      part = parseManifest(pv::readFileBytes(f.string()), f.string());
    } catch (const std::exception&) {
      continue;  // a damaged part: the workload is simply done again
    }
    if (part.configs != manifest.configs || part.configHashes != manifest.configHashes) continue;
    for (ManifestEntry e : part.workloads) {
      const ManifestEntry* mine = manifest.find(e.name);
      if (!mine || mine->key != e.key || (e.status != "done" && e.status != "failed")) continue;
      if (e.status == "done") {
        std::error_code sizeError;
        const fs::path file = out / e.file;
        if (e.file.empty() || fs::file_size(file, sizeError) != e.bytes || sizeError || hashFile(file) != e.xxh3) {
          e.status = "failed";
          e.error = "its Slurm task recorded " + e.file + ", which is missing or has other bytes now";
        }
      }
      manifest.put(e);
    }
  }
  return read;
}

}  // namespace pv::dataset::slurm
