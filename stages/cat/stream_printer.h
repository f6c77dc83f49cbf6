// Renders any perfvec stream as text for people and scripts: plain text
// (values "%g"-formatted, space separated, one record per line: the format
// of PerfVec's reference dumps), CSV with a header row, or JSON Lines.
// Pure: it appends to a string; pv-cat's main does the I/O.
#pragma once

#include <string>

#include "stages/core/feature_batch.h"
#include "stages/core/instruction.h"
#include "stages/core/representation.h"
#include "stages/core/stream_header.h"

namespace pv {

enum class PrintFormat { kText, kCsv, kJson };
enum class PrintWhat { kRecords, kLabels };

class StreamPrinter {
 public:
  StreamPrinter(PrintFormat format, PrintWhat what) : format_(format), what_(what) {}

  // Validates the request against the header (e.g. --labels on an unlabelled
  // stream throws StageError) and emits the CSV header row.
  void begin(const StreamHeader& header, std::string& out);
  void print(const FeatureBatch& batch, std::string& out);
  void print(const InstructionBatch& batch, std::string& out);
  // One row per chunk sum (or instruction): first instruction, count, R.
  void print(const RepresentationBatch& batch, std::string& out);
  // Program streams in stream order, full double precision: one line per
  // interval as it comes, then R_p's line (index 0, all instructions).
  void print(const ProgramRepresentation& program, std::string& out);
  void print(const IntervalRepresentation& interval, std::string& out);
  void print(const ProgramPart& part, std::string& out);

  // The header itself, as text or JSON.
  static void describe(const StreamHeader& header, PrintFormat format, std::string& out);

 private:
  void printRow(const float* values, size_t count, uint64_t index, std::string& out);
  PrintFormat format_;
  PrintWhat what_;
  std::vector<std::string> names_;
  size_t labelWidth_ = 0;
};

}  // namespace pv
