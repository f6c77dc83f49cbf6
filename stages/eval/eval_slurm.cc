// pv-eval on a Slurm cluster: the tasks' parts, the job script, the merge
// (eval_slurm.h).
#include "stages/eval/eval_slurm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <charconv>
#include <sstream>

#include "stages/core/file_bytes.h"
#include "stages/core/stage_error.h"
#include "stages/model-lib/model_encoder.h"
#include "stages/runtime/output_file.h"
#include "stages/runtime/process.h"
#include "stages/runtime/slurm_job.h"
#include "stages/runtime/tool.h"

namespace pv::eval {

namespace fs = std::filesystem;
namespace slurm = runtime::slurm;

namespace {

const char* kPartFormat = "pv-eval part 1";

std::string partHeader(const PartKey& key) {
  return fmt::format("{}\nmodel {}\ninput {}\nname {}\nmax_rows {}\nstream {}\n", kPartFormat, key.model, key.input,
                     key.name, key.maxRows, key.stream);
}

// The shortest text that reads back as `x`: the merged CSV is a local run's.
std::string exact(double x) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

bool parseDouble(const std::string& s, double& x) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  return ec == std::errc() && end == s.data() + s.size();
}

fs::path partOf(const fs::path& dir, size_t input) { return dir / "parts" / (std::to_string(input) + ".part"); }

PartKey keyOf(const Model& model, const EvaluationInput& input, int64_t maxRows) {
  return {model.contentHash, input.spec, input.name, maxRows, streamIdentity(input.spec)};
}

}  // namespace

std::string streamIdentity(const std::string& spec) {
  struct stat st {};
  if (::stat(spec.c_str(), &st) != 0) return "";
  return fmt::format("{} {}{:09}", static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                     static_cast<long>(st.st_mtim.tv_nsec));
}

std::string formatPart(const PartKey& key, const std::vector<EvaluatedPair>& pairs) {
  for (const std::string* field : {&key.model, &key.input, &key.name, &key.stream})
    if (field->find_first_of("\r\n") != std::string::npos)
      throw StageError(key.input, "", "a name or path with a line break cannot be written to a Slurm task's part");
  std::string out = partHeader(key) + fmt::format("pairs {}\n", pairs.size());
  for (const auto& p : pairs) {
    if (p.uarch.find_first_of("\t\r\n") != std::string::npos)
      throw StageError(key.input, p.uarch,
                       "a microarchitecture name with a tab or a line break cannot be written to a part");
    out += fmt::format("{}\t{}\t{}\t{}\t{}\n", p.uarch, p.programSeen ? 1 : 0, p.uarchSeen ? 1 : 0, exact(p.truth),
                       exact(p.predicted));
  }
  return out;
}

std::optional<std::vector<EvaluatedPair>> readPart(const fs::path& file, const PartKey& key) {
  std::error_code ec;
  if (key.stream.empty() || !fs::is_regular_file(file, ec)) return std::nullopt;
  std::string text;
  try {
    text = readFileBytes(file.string());
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string header = partHeader(key);
  if (text.compare(0, header.size(), header) != 0) return std::nullopt;  // another model, input or stream
  std::istringstream in(text.substr(header.size()));
  std::string line;
  size_t count = 0;
  if (!std::getline(in, line) || line.rfind("pairs ", 0) != 0) return std::nullopt;
  try {
    count = std::stoul(line.substr(6));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::vector<EvaluatedPair> pairs;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    for (size_t at = 0;;) {
      const size_t tab = line.find('\t', at);
      f.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
      if (tab == std::string::npos) break;
      at = tab + 1;
    }
    EvaluatedPair p;
    if (f.size() != 5 || (f[1] != "0" && f[1] != "1") || (f[2] != "0" && f[2] != "1") || !parseDouble(f[3], p.truth) ||
        !parseDouble(f[4], p.predicted))
      return std::nullopt;
    p.program = key.name;
    p.uarch = f[0];
    p.programSeen = f[1] == "1";
    p.uarchSeen = f[2] == "1";
    pairs.push_back(std::move(p));
  }
  if (pairs.size() != count) return std::nullopt;  // cut short
  return pairs;
}

void runSlurmTask(const EvaluationOptions& o, const Model& model) {
  if (o.streams.size() != 1 || !o.datasets.empty() || o.slurmName.empty())
    throw runtime::UsageError("--slurm-task evaluates one stream: --slurm-task PART --slurm-name NAME STREAM");
  const EvaluationInput input{o.streams[0], o.slurmName};
  // The key first: a stream replaced while it is read does not pass for
  // the one the pairs came from.
  const PartKey key = keyOf(model, input, o.maxRows);
  const encode::InstructionEncoder encoder = encode::loadEncoder(model, o.modelPath);
  encode::setCpuThreads(o.threads);
  runtime::writeOutputFile(o.slurmTask, formatPart(key, evaluateInput(model, encoder, input, o.maxRows)));
}

std::optional<Evaluation> evaluateOnSlurm(const EvaluationOptions& o, const Model& model,
                                          const std::vector<EvaluationInput>& inputs, std::ostream& log) {
  const std::vector<std::string> sbatchOptions = slurm::sbatchOptions(o.slurm);
  const fs::path dir = fs::absolute(o.slurm.dir.empty() ? "pv-eval-slurm" : o.slurm.dir);
  // Each task opens its stream on a node: a pipe or socket would not do.
  for (const auto& in : inputs) {
    std::error_code ec;
    if (!fs::is_regular_file(in.spec, ec))
      throw runtime::ExitStatus(2, in.spec + ": not a file: with --slurm each task reads its program's stream from "
                                             "a file the nodes share");
  }
  std::error_code ec;
  fs::create_directories(dir / "parts", ec);
  fs::create_directories(dir / "logs", ec);
  if (ec) throw runtime::ExitStatus(2, dir.string() + ": cannot create the folder: " + ec.message());
  // The folder's last job must have ended: its tasks write the parts.
  slurm::checkPreviousJob("pv-eval", dir, dir.string(), o.slurm.submit && !o.slurm.print);

  // The programs an earlier task has done are taken as they are.
  std::vector<std::optional<std::vector<EvaluatedPair>>> done(inputs.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < inputs.size(); ++i) {
    done[i] = readPart(partOf(dir, i), keyOf(model, inputs[i], o.maxRows));
    if (done[i]) continue;
    fs::remove(partOf(dir, i), ec);
    todo.push_back(i);
  }
  if (!o.quiet && todo.size() < inputs.size())
    log << fmt::format("pv-eval: {} of {} programs already evaluated in {}", inputs.size() - todo.size(),
                       inputs.size(), (dir / "parts").string())
        << std::endl;

  if (o.slurm.print && todo.empty()) {
    if (!o.quiet) log << "pv-eval: nothing to submit: every program is evaluated already" << std::endl;
    return std::nullopt;
  }
  if (!todo.empty()) {
    std::vector<std::string> specs, names, parts;
    for (size_t i : todo) {
      specs.push_back(inputs[i].spec);
      names.push_back(inputs[i].name);
      parts.push_back(partOf(dir, i).string());
    }
    std::vector<slurm::CommandWord> words{(fs::path(runtime::executableDir()) / "pv-eval").string(), "-m",
                                          o.modelPath, "-q"};
    if (o.maxRows > 0) words.insert(words.end(), {"--max-rows", std::to_string(o.maxRows)});
    if (o.threadsGiven) words.insert(words.end(), {"-t", std::to_string(o.threads)});
    words.insert(words.end(), {"--slurm-task", slurm::CommandWord::element("parts"), "--slurm-name",
                               slurm::CommandWord::element("names"), slurm::CommandWord::element("inputs")});
    slurm::ArrayJob job;
    job.name = "pv-eval";
    job.about = fmt::format(
        "pv-eval: {} program(s) evaluated with {} as a Slurm array job,\n"
        "one program per task (stages/eval/README.md, \"On a Slurm cluster\"). Task i\n"
        "encodes stream i with the model and writes its pairs to part i; the pv-eval\n"
        "that submitted the job merges the parts into its table and CSV, and so does\n"
        "any later pv-eval run with this folder. Written by pv-eval; it can be\n"
        "edited and submitted by hand (sbatch FILE).",
        todo.size(), o.modelPath);
    job.tasks = todo.size();
    job.workDir = fs::current_path().string();
    job.logDir = (dir / "logs").string();
    job.options = sbatchOptions;
    job.body = slurm::bashArray("inputs", specs) + slurm::bashArray("names", names) +
               slurm::bashArray("parts", parts) + slurm::execLine(words);
    const std::string script = slurm::formatScript(job);
    const fs::path scriptFile = dir / "job.sbatch";
    runtime::writeOutputFile(scriptFile.string(), script);
    if (o.slurm.print) {
      std::fputs(script.c_str(), stdout);
      std::fflush(stdout);
      if (!o.quiet)
        log << fmt::format("pv-eval: wrote {} ({} array task{}); submit it with sbatch, then run the same pv-eval "
                           "command with --slurm --slurm-dir {} to merge what the tasks finished",
                           scriptFile.string(), todo.size(), todo.size() == 1 ? "" : "s", dir.string())
            << std::endl;
      return std::nullopt;
    }
    const std::string id = slurm::submit(scriptFile, dir);
    runtime::writeOutputFile((dir / "job").string(), id + "\n");
    if (!o.quiet)
      log << fmt::format("pv-eval: submitted Slurm job {}: {} array task{} ({}); their logs: {}", id, todo.size(),
                         todo.size() == 1 ? "" : "s", fmt::join(names, " "),
                         (dir / "logs" / ("slurm-" + id + "_*.out")).string())
          << std::endl;
    int sig = 0;
    {
      slurm::SignalWatch watch;
      sig = slurm::wait("pv-eval", id, dir, [&] { return watch.signal(); }, nullptr,
                        "rerun pv-eval with --slurm-dir " + dir.string() + " to merge what it finished");
    }
    fs::remove(dir / "job", ec);
    if (sig)
      throw runtime::ExitStatus(128 + sig, fmt::format("interrupted: Slurm job {} cancelled; the programs it "
                                                       "finished are kept in {}: rerun to go on",
                                                       id, (dir / "parts").string()));
    // A task that left no part failed: pv-eval's own words, or Slurm's (a
    // time or memory limit, a cancel), are at the end of its log.
    std::vector<std::string> failures;
    for (size_t k = 0; k < todo.size(); ++k) {
      const size_t i = todo[k];
      done[i] = readPart(partOf(dir, i), keyOf(model, inputs[i], o.maxRows));
      if (done[i]) continue;
      const fs::path taskLog = slurm::taskLog(dir / "logs", id, k);
      std::string why;
      for (const auto& line : slurm::logTail(taskLog, 3, {"pv-eval:"})) why += "\n  " + line;
      failures.push_back(fmt::format("program '{}' ({}): Slurm task {}_{} left no result (log {}){}", inputs[i].name,
                                     inputs[i].spec, id, k, taskLog.string(), why));
    }
    if (!failures.empty())
      throw runtime::ExitStatus(1, fmt::format("{}\n(the programs that finished are kept in {}: a rerun submits only "
                                               "the others)",
                                               fmt::join(failures, "\n"), (dir / "parts").string()));
  }
  Evaluation evaluation;
  for (size_t i = 0; i < inputs.size(); ++i) {
    evaluation.programs.push_back(inputs[i].name);
    for (auto& p : *done[i]) evaluation.pairs.push_back(std::move(p));
  }
  // Merged: the next run evaluates again, as a local one would.
  for (size_t i = 0; i < inputs.size(); ++i) fs::remove(partOf(dir, i), ec);
  return evaluation;
}

}  // namespace pv::eval
