// Helpers for tests that run the real stage executables as processes.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace pv::testing {

// The folder holding the executables: the test binary's own folder.
inline std::string binDir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string exe(buf, n > 0 ? static_cast<size_t>(n) : 0);
  return exe.substr(0, exe.rfind('/'));
}

inline std::string bin(const std::string& name) { return binDir() + "/" + name; }

struct ShellResult {
  int status = -1;  // exit status of the shell (>= 128: killed by a signal)
  std::string err;  // captured stderr
};

// Runs `command` under bash with pipefail; stderr captured.
inline ShellResult shell(const std::string& command, const std::string& scratch) {
  std::string errFile = scratch + "/stderr.txt";
  std::string full = "set -o pipefail; " + command + " 2>" + errFile;
  std::string wrapped = "bash -c '";
  for (char c : full) {
    if (c == '\'')
      wrapped += "'\\''";
    else
      wrapped += c;
  }
  wrapped += "'";
  int raw = std::system(wrapped.c_str());
  ShellResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  std::ifstream in(errFile);
  std::stringstream s;
  s << in.rdbuf();
  r.err = s.str();
  return r;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
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
  ~ScratchDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace pv::testing
