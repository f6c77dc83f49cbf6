// The inputs of the workload suite (examples/workloads/workloads.toml),
// generated rather than downloaded: a text corpus from a fixed word list, a
// sort file, a y4m video, a ppm image and an SQL script. Every byte follows
// from a fixed splitmix64 seed with integer arithmetic only (no libm, no
// locale, no time), so the files are identical on every machine and every
// run; `inputs_test` pins their sizes and hashes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pv::workloads {

struct InputFile {
  std::string name;         // file name inside the inputs folder
  std::string description;  // one line, for --list and the README
  std::string bytes;
};

// Every input, in a fixed order. Pure: no I/O.
std::vector<InputFile> generateInputs();

// Writes generateInputs() into `dir` (created when missing), each file
// through a temporary name and a rename, so that a reader never sees half a
// file. Throws std::runtime_error naming the file on failure.
void writeInputs(const std::string& dir, const std::vector<InputFile>& files);

// XXH3-64 of the bytes, as 16 hex digits.
std::string hashHex(const std::string& bytes);

}  // namespace pv::workloads
