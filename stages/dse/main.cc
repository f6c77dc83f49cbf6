// pv-dse: design-space exploration with a model: the best points of a space
// of microarchitectures and the Pareto front of (time, cost), every point
// predicted as T = R_p . M(params). Flags only; the work is
// pv::dse::runDse (dse_command.h).

#include <CLI/CLI.hpp>
#include <map>

#include "stages/dse/dse_command.h"
#include "stages/runtime/tool.h"

int main(int argc, char** argv) {
  pv::runtime::Tool tool("pv-dse",
                         "Explores a space of microarchitectures with a model: every point's time is "
                         "T = R_p . M_u, M_u from the model's parametric model (pv-tune --parametric).");
  CLI::App& app = tool.cli();
  pv::dse::DseOptions o;
  o.refine.mlp.simulatedWeight = 8;
  const std::map<std::string, pv::dse::ReportFormat> formats{{"text", pv::dse::ReportFormat::kText},
                                                             {"csv", pv::dse::ReportFormat::kCsv},
                                                             {"json", pv::dse::ReportFormat::kJson}};
  app.add_option("inputs", o.inputs, "Program representations (R_p files from pv-aggregate), one or more")->required();
  app.add_option("-m,--model", o.modelPath, "Model file (.pvm) with a parametric model")->required();
  app.add_option("--space", o.spacePath, "Space file (TOML): a base configuration, parameters, constraints")
      ->required();
  app.add_option("--objective", o.objective,
                 "time (the programs' summed time), time-cost (time x cost), or an expression over the "
                 "configuration's keys, time and cost")
      ->capture_default_str();
  app.add_option("--cost", o.cost, "The hardware cost: an expression over the configuration's keys and time")
      ->capture_default_str();
  app.add_flag("--geomean", o.geomean, "time is the programs' geometric mean instead of their sum");
  app.add_option("--max-points", o.search.maxPoints, "Search every point of a space this large or smaller")
      ->capture_default_str();
  app.add_option("--samples", o.search.samples, "A larger space: draw this many points at random")
      ->capture_default_str();
  const std::map<std::string, pv::dse::LargeSpaceSearch> optimizers{{"random", pv::dse::LargeSpaceSearch::kRandom},
                                                                    {"nlopt", pv::dse::LargeSpaceSearch::kNlopt}};
  app.add_option("--optimizer", o.search.large,
                 "A larger space: random (points drawn uniformly) or nlopt (NLopt's CRS2-LM over the values, "
                 "--samples evaluations)")
      ->transform(CLI::CheckedTransformer(optimizers, CLI::ignore_case))
      ->default_str("random");
  app.add_option("--seed", o.search.seed, "Seed of the random search and of NLopt")->capture_default_str();
  app.add_option("--top", o.top, "Report the best N points")->capture_default_str();
  app.add_option("--format", o.format, "text (tables), csv, or json")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
  app.add_option("-o,--output", o.output, "Output file ('-': stdout; a file appears when complete)")
      ->capture_default_str();
  app.add_option("--configs", o.configsDir,
                 "Also write the reported points' configurations (pv-uarch TOML) to this folder: best-RANK.toml, "
                 "pareto-RANK.toml");
  auto* refine = app.add_option("--simulate", o.refine.perRound,
                                "Refine by simulation: simulate this many of the best points (not simulated yet) "
                                "with pv-uarch on every program's --trace, refit the parametric model with them and "
                                "search again; the chosen design is the best simulated point (0: no refinement)")
                     ->capture_default_str();
  app.add_option("--rounds", o.refine.rounds, "Rounds of --simulate (each simulates N points)")->capture_default_str();
  app.add_option("--trace", o.traces,
                 "With --simulate: a program's instruction stream (pv-trace-tap's output), the one pv-uarch "
                 "simulates; repeat it, one a program, in the order of the inputs")
      ->allow_extra_args(false)
      ->needs(refine);
  app.add_option("--simulate-weight", o.refine.mlp.simulatedWeight,
                 "Weight of a simulated point against a trained microarchitecture in the refit")
      ->capture_default_str();
  app.add_option("--refit-iterations", o.refine.mlp.iterations,
                 "Full-batch Adam iterations of each refit of the parametric model (pv-tune's --mlp-iterations)")
      ->capture_default_str();
  app.add_option("-j,--jobs", o.jobs,
                 "With --simulate: pv-uarch processes at once (one a program); with --slurm and N > 1, array tasks "
                 "at once")
      ->capture_default_str();
  app.add_option("--simulator", o.simulator, "The pv-uarch executable (default: the one beside pv-dse, else PATH)");
  pv::runtime::slurm::addOptions(
      app, o.slurm,
      "With --simulate: run each round's pv-uarch simulations on a Slurm cluster as an array job (one program "
      "per task) and wait for it",
      "With --simulate: write round 1's job script to DIR/round-1/job.sbatch, print it and exit: submit nothing");
  pv::runtime::slurm::addDirOption(app, o.slurm, "scripts, configurations, reports, Slurm logs", "pv-dse-slurm");
  app.add_flag("-q,--quiet", o.quiet, "No progress lines");
  app.footer(
      "Exit status: 0 success, 1 data error (e.g. a representation of another encoder, a negative predicted "
      "time), 2 usage error (a bad flag, space file or expression).");
  if (auto rc = tool.parse(argc, argv)) return *rc;
  return tool.guard([&] { pv::dse::runDse(o); });
}
