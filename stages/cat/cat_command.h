// pv-cat's work once its command line is parsed: read a stream and print
// it (stream_printer.h) to stdout as it arrives, or to a file that appears
// when complete (runtime/output_file.h): a stream that turns out malformed
// or truncated, or carries an upstream error, leaves no file.
#pragma once

#include <string>

#include "stages/cat/stream_printer.h"

namespace pv {

struct CatOptions {
  std::string input = "-";
  std::string output = "-";
  PrintFormat format = PrintFormat::kText;
  bool labels = false;      // the labels instead of the records
  bool headerOnly = false;  // only the stream header
};

// Throws StageError (UpstreamError for an error the stream carried).
void catStream(const CatOptions& options);

}  // namespace pv
