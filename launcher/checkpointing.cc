#include "launcher/checkpointing.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace pv::launch {
namespace {

std::string baseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The stage that runs `program` (by executable name); usage error when more
// than one does.
std::optional<size_t> stageRunning(const std::vector<StageCommand>& commands, const std::string& program) {
  std::optional<size_t> found;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (baseName(commands[i].run) != program) continue;
    if (found)
      throw UsageError("--checkpoint: stages '" + commands[*found].name + "' and '" + commands[i].name +
                       "' both run " + program + "; pv-launch checkpoints pipelines with one");
    found = i;
  }
  return found;
}

}  // namespace

uint64_t checkpointSkip(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("skip ", 0) == 0) {
      char* end = nullptr;
      uint64_t v = std::strtoull(line.c_str() + 5, &end, 10);
      if (*end == '\0' && line.size() > 5) return v;
    }
  throw std::runtime_error("checkpoint " + path + " has no valid 'skip' line (not a pv-aggregate checkpoint?)");
}

void removeCheckpoint(const std::string& path) {
  ::unlink(path.c_str());
  ::unlink((path + ".intervals").c_str());
}

std::string addCheckpointing(const CheckpointOptions& o, std::vector<StageCommand>& commands) {
  auto aggregate = stageRunning(commands, "pv-aggregate");
  if (!aggregate) throw UsageError("--checkpoint: the pipeline has no pv-aggregate stage");
  std::vector<std::string> args = {"--checkpoint", o.file};
  if (o.every > 0) args.insert(args.end(), {"--checkpoint-every", std::to_string(o.every)});
  if (o.seconds > 0) {
    std::ostringstream t;
    t << o.seconds;
    args.insert(args.end(), {"--checkpoint-seconds", t.str()});
  }
  std::string note;
  struct stat st {};
  const bool exists = ::stat(o.file.c_str(), &st) == 0;
  if (exists && !o.resume)
    throw UsageError("checkpoint " + o.file + " exists: add --resume to continue from it, or remove it to start over");
  if (exists) {
    uint64_t skip = checkpointSkip(o.file);
    args.insert(args.end(), {"--resume", o.file});
    if (skip > 0) {
      auto window = stageRunning(commands, "pv-window");
      if (!window || *window > *aggregate)
        throw UsageError("--resume: the checkpoint restarts the feature stream at record " + std::to_string(skip) +
                         ", but the pipeline has no pv-window stage before '" + commands[*aggregate].name +
                         "' to cut it");
      auto& w = commands[*window].args;
      w.insert(w.begin(), {"--start-at", std::to_string(skip)});
    }
    note = "pv-launch: resuming from checkpoint " + o.file +
           (skip > 0 ? " (the feature stream restarts at record " + std::to_string(skip) + ")" : "");
  } else if (o.resume) {
    note = "pv-launch: no checkpoint " + o.file + " yet: starting from the beginning";
  }
  auto& a = commands[*aggregate].args;
  a.insert(a.begin(), args.begin(), args.end());
  return note;
}

}  // namespace pv::launch
