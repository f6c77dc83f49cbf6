// Dealing global batches to the workers.

#include "stages/train/dealer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <sstream>
#include <stdexcept>

namespace pv::train {

double Schedule::at(uint64_t step, uint64_t totalSteps) const {
  const double warm = std::min(1.0, double(step + 1) / double(std::max<int64_t>(1, warmupSteps)));
  if (totalSteps == 0) return learningRate * warm;
  const double progress = double(step) / double(std::max<uint64_t>(1, totalSteps - 1));
  const double cosine =
      finalLearningRate + (1 - finalLearningRate) * 0.5 * (1 + std::cos(std::numbers::pi * std::min(1.0, progress)));
  return learningRate * cosine * warm;
}

std::string RunRecord::text() const {
  std::string s = fmt::format("instructions {}\nepochs {:.17g}\n", instructions, epochs);
  for (const auto& p : programs) s += "program " + p + "\n";
  return s;
}

RunRecord RunRecord::parse(const std::string& text) {
  RunRecord r;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("instructions ", 0) == 0) r.instructions = std::stoull(line.substr(13));
    else if (line.rfind("epochs ", 0) == 0) r.epochs = std::stod(line.substr(7));
    else if (line.rfind("program ", 0) == 0) r.programs.push_back(line.substr(8));
    else throw std::runtime_error("damaged run record line: " + line);
  }
  return r;
}

DealResult deal(BatchStream& batches, const std::vector<std::string>& programNames, const DealOptions& o,
                const std::vector<int>& pipes) {
  using Clock = std::chrono::steady_clock;
  if (pipes.size() != o.localRanks.size()) throw std::invalid_argument("deal: one pipe per local rank");
  auto epochsOf = [&] {
    const auto perPass = batches.chunksPerPass();
    return perPass && *perPass > 0 ? double(batches.chunksDrawn()) / double(*perPass)
                                   : double(batches.pass());
  };
  auto sendAll = [&](WorkHeader h, const std::vector<Chunk>& chunks, const std::string& text) {
    for (size_t i = 0; i < pipes.size(); ++i) {
      const auto [a, b] = shareOf(static_cast<int64_t>(chunks.size()), o.localRanks[i], o.world);
      h.chunks = b - a;
      try {
        writeWork(pipes[i], h, chunks.data() + a, text, o.check);
      } catch (const PipeClosed& e) {
        throw WorkerGone(i, e.what());
      }
    }
  };

  std::vector<Chunk> batch;
  uint64_t step = 0;
  // A resumed run draws the batches it has trained on again, and drops them.
  while (step < o.startStep && batches.next(batch)) ++step;
  if (step < o.startStep)
    throw std::runtime_error(fmt::format("the checkpoint is at step {}, but the data gives only {} steps",
                                         o.startStep, step));
  auto lastCheckpoint = Clock::now();
  while ((o.totalSteps == 0 || step < o.totalSteps) && batches.next(batch)) {
    WorkHeader h;
    h.kind = WorkKind::kStep;
    h.step = step;
    h.learningRate = o.schedule.at(step, o.totalSteps);
    h.globalRows = 0;
    for (const auto& c : batch) h.globalRows += c.rows;
    sendAll(h, batch, "");
    ++step;
    if (o.onStep) o.onStep(step);
    const bool last = step == o.totalSteps;
    if (o.validateEvery > 0 && step % o.validateEvery == 0 && !last) {
      WorkHeader v;
      v.kind = WorkKind::kValidate;
      v.step = step;
      sendAll(v, batches.validation(), "");
    }
    if (o.checkpoints && (step % std::max<uint64_t>(1, o.checkpointEvery) == 0 ||
                          std::chrono::duration<double>(Clock::now() - lastCheckpoint).count() >=
                              o.checkpointSeconds)) {
      WorkHeader c;
      c.kind = WorkKind::kCheckpoint;
      c.step = step;
      sendAll(c, {}, "");
      lastCheckpoint = Clock::now();
    }
  }
  if (step == 0) throw std::runtime_error("no training chunks (is the validation fraction 1?)");
  WorkHeader v;
  v.kind = WorkKind::kValidate;
  v.step = step;
  sendAll(v, batches.validation(), "");
  DealResult result;
  result.steps = step;
  result.record.instructions = batches.rowsDrawn();
  result.record.epochs = epochsOf();
  result.record.programs = programNames;
  if (o.checkpoints) {
    WorkHeader c;
    c.kind = WorkKind::kCheckpoint;
    c.step = step;
    sendAll(c, {}, "");
  }
  WorkHeader end;
  end.kind = WorkKind::kEnd;
  end.step = step;
  sendAll(end, {}, result.record.text());
  return result;
}

}  // namespace pv::train
