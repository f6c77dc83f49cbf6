// The pipe from pv-train's reading process to each of its training workers:
// the reader deals every global batch's chunks to the workers (each gets
// its share), and says when to validate, checkpoint and end. One writer and
// one reader per pipe, both the same binary on the same machine, so the
// records are plain structs and floats in the host's layout. No LibTorch.
//
//   record = WorkHeader, then `chunks` x (ChunkHeader, features, labels),
//            then `textBytes` bytes of text
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "stages/train/training_data.h"

namespace pv::train {

enum class WorkKind : uint32_t {
  kStep = 1,        // train on the chunks (this worker's share of a global batch)
  kValidate = 2,    // the loss on the chunks (a share of the validation set)
  kCheckpoint = 3,  // rank 0 writes the checkpoint of step `step`
  kEnd = 4,         // training is over; text: the run's record (see RunRecord)
};

struct WorkHeader {
  uint32_t magic = 0x6b726f77;  // "work"
  WorkKind kind = WorkKind::kStep;
  uint64_t step = 0;            // global steps done before this record
  double learningRate = 0;      // kStep
  int64_t globalRows = 0;       // kStep: real rows of the whole global batch
  int64_t chunks = 0;
  uint64_t textBytes = 0;
};

// Called while a write or read waits more than a moment (a worker that died
// must not leave the other side blocked): it may throw to give up.
using WaitCheck = std::function<void()>;

// The reader of a pipe is gone (EPIPE).
class PipeClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes one record. Throws PipeClosed when the reader is gone.
void writeWork(int fd, const WorkHeader& header, const Chunk* chunks, const std::string& text,
               const WaitCheck& check = {});
// Reads one record; false at the end of the pipe before a record. Throws
// std::runtime_error on a damaged or cut record.
bool readWork(int fd, WorkHeader& header, std::vector<Chunk>& chunks, std::string& text);

// The one record a worker sends back, once it has joined the others and
// they agree on where the run starts and ends (a resumed run's step comes
// from rank 0's checkpoint; ranks that read their own streams add up their
// sizes): the reading process deals from `startStep` to `totalSteps`.
struct WorkerReady {
  uint32_t magic = 0x79646572;  // "redy"
  uint64_t startStep = 0;
  uint64_t totalSteps = 0;      // 0: until the data ends
};
void writeReady(int fd, const WorkerReady& ready);
// False when the worker closed the pipe first (it ended); calls `check`
// while it waits. Throws std::runtime_error on a damaged record.
bool readReady(int fd, WorkerReady& ready, const WaitCheck& check);

// A pipe for records: [read end, write end], close-on-exec, as large as the
// system allows (fewer wake-ups for batches of megabytes).
std::pair<int, int> workPipe();

}  // namespace pv::train
