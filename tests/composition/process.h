// Helpers for tests that run the real stage executables as processes.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "stages/runtime/process.h"

namespace pv::testing {

// The folder holding the executables: the test binary's own folder.
inline std::string binDir() { return runtime::executableDir(); }

inline std::string bin(const std::string& name) { return binDir() + "/" + name; }

struct ShellResult {
  int status = -1;  // exit status of the shell (>= 128: killed by a signal)
  std::string err;  // captured stderr
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command` under bash with pipefail; the stderr of its last command
// (the script ends with " 2>SCRATCH/stderr.txt") captured.
inline ShellResult shell(const std::string& command, const std::string& scratch) {
  const std::string errFile = scratch + "/stderr.txt";
  ShellResult r;
  r.status = runtime::spawn(runtime::Command("bash", {"-c", "set -o pipefail; " + command + " 2>" + errFile}))
                 .wait()
                 .shellStatus();
  r.err = slurp(errFile);
  return r;
}

inline void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A fresh scratch folder under /tmp, removed by the destructor.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/pv_test_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace pv::testing
