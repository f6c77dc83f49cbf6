// The driver every executable's main uses for its command line and its
// ending: CLI11 parsing with --help and --version, errors printed as
// "program: input:position: reason", and the exit codes 0 (success), 1
// (data or runtime error) and 2 (usage error). Stream stages use Stage
// (stage.h), which is built on it and adds endpoints, progress and stream
// errors sent downstream; sinks and tools (pv-cat, pv-train, pv-launch, ...)
// use it directly:
//
//   int main(int argc, char** argv) {
//     pv::runtime::Tool tool("pv-eval", "Error of R_p . M_u against ground truth");
//     std::string model;
//     tool.cli().add_option("-m,--model", model, "Model file")->required();
//     if (auto rc = tool.parse(argc, argv)) return *rc;
//     return tool.guard([&] { evaluate(model); });
//   }
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace pv::runtime {

// A usage error found after the command line parsed (a flag combination,
// a missing operand): exit status 2, with the hint to run --help.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure that asks for a particular exit status (pv-launch's 3, 4, 5).
// The message is printed as "program: message"; an empty one prints
// nothing (the program has said it already).
class ExitStatus : public std::runtime_error {
 public:
  ExitStatus(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Tool {
 public:
  Tool(std::string name, std::string summary);

  CLI::App& cli() { return app_; }
  const std::string& name() const { return name_; }

  // Parses the command line; returns an exit code when the program should
  // stop now: 0 after --help or --version (printed on stdout), 2 after a
  // usage error (printed on stderr with the hint to run --help).
  std::optional<int> parse(int argc, char** argv);

  // Runs `more` after --help has printed the usage (pv-launch adds the
  // parameters of the pipeline file given with it), under guard(): parse()
  // then returns guard's status.
  void afterHelp(std::function<void()> more) { afterHelp_ = std::move(more); }

  // Runs `body` and returns its exit status: 0 when it returns; for what it
  // throws, the message on stderr ("program: input:position: reason";
  // "program: upstream stage S failed: ..." for an error a stream carried)
  // and 2 (UsageError), ExitStatus::code(), or 1 (anything else;
  // std::bad_alloc is reported as "out of memory"). Files being written
  // through OutputFile (output_file.h) are removed as the error unwinds.
  int guard(const std::function<void()>& body) const;

  // Prints "program: message" on stderr.
  void warn(const std::string& message) const;

 private:
  std::string name_;
  CLI::App app_;
  std::function<void()> afterHelp_;
};

// Adds --version (versionText) to a command line.
void addVersionFlag(CLI::App& app, const std::string& program);

}  // namespace pv::runtime
