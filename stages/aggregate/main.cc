// pv-aggregate: instruction representations -> the program's R_p (double
// precision), optionally with interval sums; or merges the R_p of
// consecutive slices of one program. Checkpoints and resumption of long
// reductions: checkpoint.h.

#include <iostream>

#include "stages/aggregate/checkpoint.h"
#include "stages/aggregate/representation_aggregator.h"
#include "stages/runtime/stage.h"

int main(int argc, char** argv) {
  pv::runtime::Stage stage("pv-aggregate",
                           "Sums instruction representations into the program representation "
                           "R_p = sum R_i (double precision).\nWith --merge, adds up the R_p of "
                           "consecutive slices of one program, in the order given.");
  uint64_t interval = 0;
  std::vector<std::string> slices;
  stage.cli()
      .add_option("--interval", interval,
                  "Also emit one sum per interval of N instructions (closed at the first "
                  "row boundary at or after each multiple of N; 0: none)")
      ->capture_default_str();
  stage.cli()
      .add_option("--merge", slices, "Program representations of consecutive slices to add up "
                                     "(instead of INPUT)")
      ->type_name("FILE...");
  pv::CheckpointOptions checkpoint;
  stage.cli()
      .add_option("--checkpoint", checkpoint.path,
                  "Save the running sum and its position to FILE (atomically: FILE.tmp-PID, then "
                  "renamed) every --checkpoint-every instructions or --checkpoint-seconds seconds, "
                  "and at the end")
      ->type_name("FILE");
  stage.cli()
      .add_option("--checkpoint-every", checkpoint.everyInstructions,
                  "Instructions between checkpoints (at the first input batch boundary after; 0: "
                  "not by count)")
      ->capture_default_str();
  stage.cli()
      .add_option("--checkpoint-seconds", checkpoint.everySeconds,
                  "Seconds between checkpoints (0: not by time; 60 when --checkpoint is given "
                  "without either)")
      ->check(CLI::Range(0.0, 1e9));
  stage.cli()
      .add_option("--resume", checkpoint.resume,
                  "Continue the reduction a checkpoint FILE saved: the input must be the same "
                  "stream cut where the checkpoint says ('skip S': pv-window --start-at S); may "
                  "be the --checkpoint FILE itself")
      ->type_name("FILE");
  if (auto rc = stage.parse(argc, argv)) return *rc;
  checkpoint.interval = interval;
  if (!slices.empty() && (!checkpoint.path.empty() || !checkpoint.resume.empty())) {
    std::cerr << "pv-aggregate: --checkpoint and --resume do not apply to --merge\n"
              << "Run 'pv-aggregate --help' for usage.\n";
    return 2;
  }
  if (!checkpoint.path.empty() && checkpoint.everyInstructions == 0 && checkpoint.everySeconds == 0)
    checkpoint.everySeconds = 60;
  if (slices.empty()) {
    pv::CheckpointedAggregator aggregator(checkpoint);
    return stage.run(aggregator);
  }
  pv::RepresentationAggregator aggregator(interval);

  return stage.guard([&] {
    std::vector<std::unique_ptr<pv::runtime::StreamReader>> readers;
    for (const auto& s : slices) readers.push_back(pv::runtime::StreamReader::open(s));
    pv::StreamHeader header = readers.front()->header();
    if (header.payload != pv::PayloadKind::kProgram)
      throw pv::StageError(slices.front(), "", "--merge takes program representations (from pv-aggregate)");
    header.source = "merge of " + std::to_string(slices.size()) + " slices";
    for (size_t i = 0; i < readers.size(); ++i) {
      const auto& h = readers[i]->header();
      if (h.payload != pv::PayloadKind::kProgram || h.representationDim != header.representationDim ||
          h.modelId != header.modelId)
        throw pv::StageError(slices[i], "",
                             "not a program representation of the same width and encoder as " +
                                 slices.front() + " (encoder " + h.modelId + " vs " + header.modelId + ")");
      header.source += (i ? ", " : ": ") + h.source;
    }
    stage.runSource<pv::ProgramRepresentation>(header, [&](const pv::Emit<pv::ProgramRepresentation>& emit) {
      for (size_t i = 0; i < readers.size(); ++i) {
        pv::ProgramRepresentation slice;
        size_t count = 0;
        while (readers[i]->next(slice)) {
          aggregator.merge(slice);
          ++count;
        }
        if (count != 1)
          throw pv::StageError(slices[i], "", std::to_string(count) + " program representations, expected 1");
      }
      emit(aggregator.result());
    });
  });
}
