// Pipeline files: a TOML description of a chain of perfvec stages, its
// parameters, and the substitution of parameter values into the stages'
// command lines. No processes here; see wiring.h and supervisor.h.
//
//   [pipeline]
//   name = "gem5-features"                    # required, [A-Za-z0-9_.-]+
//   description = "..."                       # optional
//
//   [params]                                  # optional
//   trace = "examples/gem5-arm-21/trace.txt"  # a default value (string, integer, boolean)
//   out = { default = "-", help = "where the features go" }
//   uarch = { help = "required: no default" }
//
//   stall_timeout = 120                       # optional: seconds without progress = hung
//   memory_limit = "8G"                       # optional: data memory per stage
//
//   [[stage]]                                 # one or more, in chain order
//   name = "tap"                              # required, unique, [A-Za-z0-9_-]+
//   run = "pv-trace-tap"                      # required: executable
//   args = ["{trace}"]                        # optional, strings
//   description = "..."                       # optional
//   memory_limit = "2G"                       # optional: this stage's (over [pipeline]'s)
//   host = "{node}"                           # optional: the Slurm node it runs on (hosts.h)
//   address = "10.0.0.5"                      # optional, with host: its tcp address there
//
// In `run`, `args`, `host` and `address`, "{name}" is replaced by the parameter's value, "{{" and
// "}}" are literal braces, and an argument that is exactly "{*name}" becomes
// the blank-separated words of the value (none when it is empty).
//
// Every problem is a PipelineError naming the file, the line and column of
// the offending key or value, and what is wrong; unknown keys, wrong types,
// duplicate stage names, undefined parameters, an empty pipeline, and an
// output option on a stage that is not the last one (pv-launch wires it).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pv::launch {

// A place in a pipeline file (1-based; 0 when unknown).
struct SourcePos {
  uint32_t line = 0;
  uint32_t column = 0;
};

// A bad pipeline file: "FILE:LINE:COLUMN: message" (pv-launch exits 2).
class PipelineError : public std::runtime_error {
 public:
  PipelineError(std::string file, SourcePos pos, std::string message);
  const std::string& file() const { return file_; }
  SourcePos pos() const { return pos_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  SourcePos pos_;
  std::string message_;
};

// A bad command line (KEY=VALUE assignments; pv-launch exits 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ParamSpec {
  std::string name;
  std::optional<std::string> defaultValue;  // none: the parameter is required
  std::string help;
  SourcePos pos;
};

// A string of the file with the place it came from.
struct SourceString {
  std::string text;
  SourcePos pos;
};

struct StageSpec {
  std::string name;
  SourceString run;
  std::vector<SourceString> args;
  std::string description;
  SourcePos pos;  // the stage's name
  std::optional<uint64_t> memoryLimit;  // bytes
  // Templates: the Slurm node the stage runs on (none, or empty once
  // substituted: this machine), and the IPv4 address its tcp links use
  // there (only with host). See hosts.h.
  std::optional<SourceString> host;
  std::optional<SourceString> address;
};

// [security]: the CURVE key files every stage gets for its tcp endpoints
// (stages/runtime/curve.h); templates like args.
//   [security]
//   curve_secret = "keys/pipeline.key"    # this pipeline's key pair
//   curve_server_key = "keys/remote.pub"  # a remote server this pipeline connects to
//   curve_authorized = "keys/clients"     # remote clients its binding stages admit
struct SecuritySpec {
  std::optional<SourceString> curveSecret;
  std::optional<SourceString> curveServerKey;
  std::optional<SourceString> curveAuthorized;
  bool any() const { return curveSecret.has_value(); }
};

struct PipelineSpec {
  std::string file;  // as given, for messages
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;  // in file order
  std::vector<StageSpec> stages;  // in chain order, at least one
  std::optional<double> stallTimeout;   // seconds; 0: never
  std::optional<uint64_t> memoryLimit;  // bytes, per stage
  SecuritySpec security;

  const ParamSpec* param(std::string_view name) const;
};

// Parses and validates a pipeline file's text; `file` names it in errors.
PipelineSpec parsePipeline(std::string_view text, const std::string& file);
// Reads and parses a file (a PipelineError when it cannot be read).
PipelineSpec loadPipeline(const std::string& path);

using ParamValues = std::map<std::string, std::string, std::less<>>;

// The value of every parameter: the defaults, overridden by KEY=VALUE
// assignments. A UsageError for a malformed assignment, an unknown or
// repeated key, or a required parameter left without a value.
ParamValues bindParams(const PipelineSpec& spec, const std::vector<std::string>& assignments);

// A stage's command line with every parameter substituted.
struct StageCommand {
  std::string name;
  std::string run;
  std::vector<std::string> args;
};

// Substitutes `values` (which must hold every parameter) into each stage.
// A PipelineError when a stage before the last gets an output option
// ("-o", "--output") through a "{*name}" expansion.
std::vector<StageCommand> resolve(const PipelineSpec& spec, const ParamValues& values);

// The stage options of the [security] table with parameters substituted
// ("--curve-secret", FILE, ...; empty without the table).
std::vector<std::string> securityArgs(const PipelineSpec& spec, const ParamValues& values);

// One template string with parameters substituted (no "{*name}" splitting).
// Throws std::invalid_argument for an undefined parameter or an unbalanced
// brace; used by parsePipeline to check templates early.
std::string substitute(std::string_view text, const ParamValues& values);

// A memory size: a number of bytes with an optional suffix K, M, G or T
// (powers of 1024; "512M", "4G", "1.5G"); nullopt when malformed or zero.
std::optional<uint64_t> parseMemorySize(std::string_view text);

// True for an argument that sets a perfvec stage's output ("-o", "-oX",
// "--output", "--output=X").
bool isOutputOption(std::string_view arg);

}  // namespace pv::launch
