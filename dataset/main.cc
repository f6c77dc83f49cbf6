// pv-dataset: turns the workload suite x a set of microarchitectures into
// labelled feature files for training (dataset/README.md). Per workload it
// runs pipelines/workload-labelled.toml with pv-launch (trace the region
// under Valgrind, label it with pv-uarch, features, reuse distances), checks
// the file it wrote, and records it in manifest.toml; a rerun skips what is
// finished. The work is dataset_runner.h's; this is the command line.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <csignal>

#include "dataset/dataset_runner.h"
#include "stages/runtime/slurm_job.h"
#include "stages/runtime/tool.h"

namespace {

volatile std::sig_atomic_t gSignal = 0;
void onSignal(int sig) {
  if (gSignal == 0) gSignal = sig;
}

}  // namespace

int main(int argc, char** argv) {
  pv::runtime::Tool tool(
      "pv-dataset",
      "Turns the workload suite x microarchitectures into labelled feature files for training: "
      "per workload, its region traced under Valgrind, labelled by pv-uarch on every "
      "configuration, as OUT/NAME.pvs.zst, with OUT/manifest.toml. Finished workloads are "
      "kept on a rerun: an interrupted run goes on where it stopped.");
  CLI::App& app = tool.cli();
  pv::dataset::DatasetOptions o;
  app.add_option("-o,--out", o.out, "Output folder (created when missing)");
  app.add_option("--suite", o.suitePath, "Workload suite file")->capture_default_str();
  app.add_option("-w,--workload", o.names, "Workloads by name (repeat, or comma-separated); default: --split")
      ->delimiter(',');
  app.add_option("--split", o.split, "Workloads of this split when none is named: train, validation, test or all")
      ->capture_default_str();
  app.add_option("--configs", o.configDir, "Folder of microarchitecture configurations (*.toml)");
  app.add_option("--sample", o.sample, "Draw N configurations with pv-uarch sample instead")
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--seed", o.seed, "Seed of --sample")->capture_default_str();
  app.add_option("--scale", o.scale, "Multiply every region's instruction count by this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("-j,--jobs", o.jobs, "Workloads run at the same time")
      ->capture_default_str()
      ->check(CLI::Range(1u, 256u));
  app.add_option("--pipeline", o.pipeline, "Pipeline file run per workload")->capture_default_str();
  app.add_option("--bin", o.bin,
                 "Folder of pv-launch, the stages and pv-kernels (default: beside pv-dataset)");
  app.add_flag("--locality", o.locality,
               "Also the 4 spatial-locality feature columns (pv-reuse-distance --locality): 55 columns "
               "instead of PerfVec's 51, which stay the same");
  app.add_flag("--list", o.list, "Print the selected workloads and exit");
  app.add_flag("--native", o.native,
               "Run each selected program natively once (no tracing; its regions share the run) in "
               "OUT and report its exit status and time; writes only the inputs and logs");
  pv::runtime::slurm::addOptions(
      app, o.slurm,
      "Submit the workloads left to do as a Slurm array job (one workload per task), wait for it "
      "and merge what the tasks finished into the manifest; a rerun submits only what is missing",
      "Write the job script to OUT/slurm/job.sbatch, print it and exit: submit nothing");
  // What each array task runs (dataset/README.md, "On a Slurm cluster").
  app.add_flag("--slurm-task", o.slurmTask)->group("");
  bool progressOn = false, progressOff = false;
  app.add_flag("--progress", progressOn, "Show a progress line (default: when stderr is a terminal)");
  app.add_flag("--no-progress", progressOff, "Never show a progress line");
  app.add_flag("-q,--quiet", o.quiet, "Print only errors");
  app.footer(
      "Exit status: 0 every selected workload finished; 1 a workload failed (the others still "
      "ran; the manifest says why); 2 usage error, bad suite file or configurations; 128+N "
      "stopped by signal N (rerun to go on).");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  if (app.count("--suite") == 0) o.suitePath = pv::dataset::installedDefault(o.suitePath);
  if (app.count("--pipeline") == 0) o.pipeline = pv::dataset::installedDefault(o.pipeline);
  o.progress = progressOn ? 1 : progressOff ? 0 : -1;
  // SIGINT, SIGTERM, SIGHUP stop the pipelines, write the manifest and end
  // with 128+N (no SA_RESTART: a wait is cut short).
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction sa {};
    sa.sa_handler = onSignal;
    ::sigaction(sig, &sa, nullptr);
  }
  int status = 0;
  const int failure = tool.guard([&] {
    if (!o.configDir.empty() && o.sample)
      throw pv::runtime::ExitStatus(2, "--configs and --sample exclude each other");
    try {
      status = pv::dataset::run(o, [] { return static_cast<int>(gSignal); });
    } catch (const pv::dataset::SuiteError& e) {
      throw pv::runtime::ExitStatus(2, e.what());
    }
  });
  return failure ? failure : status;
}
