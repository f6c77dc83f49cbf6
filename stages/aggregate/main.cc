// pv-aggregate: instruction representations -> the program's R_p (double
// precision), optionally with interval sums; or merges the R_p of
// consecutive slices of one program. Checkpoints and resumption of long
// reductions: checkpoint.h.

#include <iostream>
#include <optional>
#include <variant>

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
    // Streams: each slice's intervals are passed on as they come, shifted
    // to the slice's position; the total comes last.
    stage.runSource<pv::ProgramPart>(header, [&](const pv::Emit<pv::ProgramPart>& emit) {
      std::optional<bool> withIntervals;  // of the first slice that is not empty
      for (size_t i = 0; i < readers.size(); ++i) {
        const uint64_t offset = aggregator.total().instructions;
        size_t programs = 0;
        bool sliceIntervals = false;
        uint64_t sliceInstructions = 0;
        auto passOn = [&](pv::IntervalRepresentation&& interval) {
          interval.firstIndex += offset;
          sliceIntervals = true;
          emit(std::move(interval));
        };
        pv::ProgramPart part;
        while (readers[i]->next(part)) {
          if (auto* interval = std::get_if<pv::IntervalRepresentation>(&part)) {
            passOn(std::move(*interval));
            continue;
          }
          const auto& program = std::get<pv::ProgramRepresentation>(part);
          if (++programs == 1) aggregator.merge(program);
          sliceInstructions = program.instructions;
        }
        if (programs != 1)
          throw pv::StageError(slices[i], "", std::to_string(programs) + " program representations, expected 1");
        if (sliceInstructions > 0) {
          if (withIntervals && *withIntervals != sliceIntervals)
            throw pv::StageError(slices[i], "", "slices disagree: some have interval sums, some do not");
          withIntervals = sliceIntervals;
        }
      }
      emit(pv::ProgramRepresentation(aggregator.total()));
    });
  });
}
