// pv-launch: runs a pipeline file. Flags only; the work is
// pv::launch::launchPipeline (launch.h), its parts in pipeline_file, wiring,
// supervisor, checkpointing and launch_report.

#include <CLI/CLI.hpp>
#include <iostream>

#include "launcher/launch.h"
#include "stages/runtime/tool.h"

int main(int argc, char** argv) {
  pv::launch::ensureStandardFds();
  pv::runtime::Tool tool(
      "pv-launch",
      "Runs a perfvec pipeline file: starts each stage as a process, wires consecutive stages "
      "together, shows one progress line for the whole pipeline, forwards the stages' stderr "
      "(prefixed [stage]), and stops every stage when one fails or on Ctrl-C.");
  CLI::App& app = tool.cli();
  pv::launch::LaunchOptions o;
  app.set_help_flag("-h,--help", "Print this help (with the parameters of FILE when given) and exit");
  app.add_option("file", o.file,
                 "Pipeline file (TOML; see pipelines/README.md), or the name of an installed "
                 "one (native-rp)");
  app.add_option("--keygen", o.keygen,
                 "Make a CURVE key pair for the [security] table and the stages' --curve-* "
                 "options: NAME.key (secret, mode 0600) and NAME.pub, then exit")
      ->type_name("NAME");
  app.add_option("params", o.assignments, "Parameter values KEY=VALUE (see --describe)");
  app.add_option("--transport", o.transport,
                 "How consecutive stages are joined: ipc (ZeroMQ sockets in a private "
                 "temporary folder), pipe, tcp; tcp when a stage has a host")
      ->default_str("ipc")  // shown; left empty, so that a hosted pipeline can tell it was not given
      ->check(CLI::IsMember({"ipc", "pipe", "tcp"}));
  app.add_option("--host", o.host,
                 "IPv4 address of the tcp links (with stages on hosts: of the stages without a "
                 "host, which the others must reach)")
      ->capture_default_str();
  app.add_option("--remote", o.remote,
                 "How the stages with a host start: srun (a step of the Slurm allocation "
                 "pv-launch runs in, supervised like a local stage), print (print the command to "
                 "start on each host; the local stages run) (default: srun inside an allocation, "
                 "SLURM_JOB_ID set; else print)")
      ->check(CLI::IsMember({"srun", "print"}));
  app.add_option("--base-port", o.basePort,
                 "First port of the tcp links (link i uses BASE+i; 0: free ports)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--grace", o.grace,
                 "Seconds the stages get to end after a failure, and after SIGTERM before SIGKILL")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--stall-timeout", o.stallTimeout,
                 "Seconds without progress (no stage reports more records or ends) after which "
                 "the pipeline counts as hung: the stage holding it up is reported and every "
                 "stage stopped (0: never; default: the file's stall_timeout, else 0)")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--memory-limit", o.memoryLimit,
                 "Data memory each stage may use (setrlimit RLIMIT_DATA), e.g. 512M, 4G; a stage "
                 "that needs more fails and is reported as out of memory (default: the file's "
                 "memory_limit keys, else none)");
  app.add_option("--checkpoint", o.checkpoint.file,
                 "Make the pipeline's pv-aggregate save its running sum and position to FILE "
                 "(every --checkpoint-every instructions / --checkpoint-seconds seconds); removed "
                 "when the pipeline succeeds")
      ->type_name("FILE");
  app.add_option("--checkpoint-every", o.checkpoint.every, "Instructions between checkpoints");
  app.add_option("--checkpoint-seconds", o.checkpoint.seconds,
                 "Seconds between checkpoints (pv-aggregate's default: 60 when neither is given)")
      ->check(CLI::Range(0.0, 1e9));
  app.add_flag("--resume", o.checkpoint.resume,
               "Continue from the --checkpoint FILE when it exists: the stages before pv-window run "
               "again from the start of the (file) source, pv-window gets --start-at and "
               "pv-aggregate --resume; the R_p is the same bytes as an uninterrupted run's");
  app.add_flag("--dry-run", o.dryRun, "Print the equivalent shell pipeline and exit");
  app.add_flag("--describe", o.describe, "Print the pipeline's parameters and stages and exit");
  app.add_flag("--progress", o.progress,
               "Show one progress line (default: when stderr is a terminal)");
  app.add_flag("--no-progress", o.noProgress, "Never show progress");
  app.add_flag("-q,--quiet", o.quiet, "Print only errors (also passed to every stage)");
  app.add_flag("-v,--verbose", o.verbose, "Print each stage's command line as it starts");
  app.footer(
      "Stages are found beside pv-launch, then on PATH; a FILE named without a '/' that is not "
      "in the current folder, in ../share/perfvec/pipelines from pv-launch's folder (an "
      "installed tree, docs/install.md). Stages whose --help lists them get "
      "--no-progress (or --progress, whose lines pv-launch turns into its own progress line) "
      "and, with -q, -q.\n"
      "Exit status: 0 success; 1 a stage failed (the report names it, its exit status and its "
      "last stderr lines); 2 usage error or bad pipeline file; 3 a stage crashed (killed by a "
      "signal pv-launch did not send); 4 a stage hung (--stall-timeout, or it outlived the stages "
      "after it); 5 a stage ran out of memory. On SIGINT/SIGTERM/SIGHUP pv-launch stops every "
      "stage, cleans up and dies of the same signal.");
  tool.afterHelp([&] { std::cout << pv::launch::helpParameters(o.file) << std::flush; });
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] { pv::launch::launchPipeline(o); });
}
