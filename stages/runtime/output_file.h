// The files tools write (a model, a table, a report, a configuration): never
// left half-written where a half-written file could be taken for a complete
// one. A file is written under a temporary name beside it (PATH.tmp.PID)
// and renamed over PATH when complete, so PATH is either what it was before
// or the whole new file. The temporary file is removed when writing fails,
// when an error unwinds past the writer, and when SIGINT, SIGTERM or SIGHUP
// kills the process (interrupt_cleanup.h); only SIGKILL can leave one.
// Stream stages write through Stage (stage.h), which removes a partial
// stream file instead.
#pragma once

#include <string>
#include <string_view>

namespace pv::runtime {

class OutputFile {
 public:
  // `path`: "-" is stdout ("<stdout>" in errors); an existing path that is
  // not a regular file (/dev/null, a FIFO, a terminal) is written in place,
  // since there is nothing to rename over; a symbolic link is replaced by
  // the file. Throws StageError naming `path` when it cannot be created.
  explicit OutputFile(std::string path);
  ~OutputFile();  // without commit(): removes the temporary file
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Throws StageError naming the output when the write fails.
  void write(std::string_view bytes);
  // The output is complete: closes it and renames it into place.
  void commit();

  // As errors name it: the path, or "<stdout>".
  const std::string& name() const { return name_; }

 private:
  void discard();
  std::string path_, name_;
  std::string temp_;  // empty: written in place
  int fd_ = -1;
  bool committed_ = false;
};

// The whole of `bytes` to `path` ("-": stdout) through an OutputFile.
void writeOutputFile(const std::string& path, std::string_view bytes);

}  // namespace pv::runtime
