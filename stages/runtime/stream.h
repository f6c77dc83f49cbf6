// Reading and writing perfvec streams (schema/stream.capnp) over any
// endpoint. One way to open an endpoint, for every stage:
//
//   "-"                    stdin / stdout, Cap'n Proto stream framing
//   path, path.zst         a file (".zst": zstd-compressed framing)
//   ipc://name, tcp://h:p  a ZeroMQ PUSH (output) / PULL (input) socket;
//                          prefix "@" to bind, ">" to connect. Default:
//                          inputs bind, outputs connect.
//
// Stages never know which transport they run on: they see headers and
// batches. Back-pressure: pipes and files block; ZeroMQ sockets use a
// high-water mark of kZmqHighWaterMark messages in each direction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "stages/core/feature_batch.h"
#include "stages/core/instruction.h"
#include "stages/core/representation.h"
#include "stages/core/stage_error.h"
#include "stages/core/stream_header.h"

namespace pv::runtime {

inline constexpr int kZmqHighWaterMark = 16;

// An error that an upstream stage reported through the stream. Readers throw
// it when they meet a StreamError message; stages forward it and exit 1.
class UpstreamError : public StageError {
 public:
  UpstreamError(std::string stage, std::string input, std::string position,
                std::string message)
      : StageError(std::move(input), std::move(position), std::move(message)),
        stage_(std::move(stage)) {}
  const std::string& stage() const { return stage_; }

 private:
  std::string stage_;
};

class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Opens an output endpoint (see the top of this file).
  static std::unique_ptr<StreamWriter> open(const std::string& spec);

  virtual void writeHeader(const StreamHeader& header) = 0;
  virtual void write(const InstructionBatch& batch) = 0;
  virtual void write(const FeatureBatch& batch) = 0;
  virtual void write(const RepresentationBatch& batch) = 0;
  // A program's interval sums (if any) as messages of their own, then the
  // program message.
  virtual void write(const ProgramRepresentation& program) = 0;
  virtual void write(const IntervalRepresentation& interval) = 0;
  void write(const ProgramPart& part) {
    std::visit([this](const auto& p) { write(p); }, part);
  }
  // Closes a complete stream.
  virtual void writeEnd(uint64_t records) = 0;
  // Closes a failed stream (instead of writeEnd).
  virtual void writeError(const std::string& stage, const StageError& error) = 0;
  // Flushes and releases the transport (waits for ZeroMQ delivery).
  virtual void close() = 0;
  virtual const std::string& name() const = 0;
};

class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // Opens an input endpoint and reads the header (throws StageError on a
  // bad or missing header).
  static std::unique_ptr<StreamReader> open(const std::string& spec);
  // As open(), for a byte source whose first bytes were already sniffed.
  static std::unique_ptr<StreamReader> fromBytes(
      std::unique_ptr<class ByteSource> bytes);

  virtual const StreamHeader& header() const = 0;
  // Next batch; false at a clean end of stream. Throws StageError when the
  // stream is malformed or truncated, UpstreamError when it carries an error,
  // and StageError when the batch is not of the requested kind.
  virtual bool next(InstructionBatch& batch) = 0;
  virtual bool next(FeatureBatch& batch) = 0;
  virtual bool next(RepresentationBatch& batch) = 0;
  // A whole program: its interval messages are collected into
  // program.intervals (memory grows with their number).
  virtual bool next(ProgramRepresentation& program) = 0;
  // Message by message (memory flat): each interval as it comes, then the
  // program (whose `intervals` is empty: a stream of the legacy form, with
  // the intervals inside the program message, is handed out the same way).
  // Intervals must cover the program in order from instruction 0.
  virtual bool next(ProgramPart& part) = 0;
  // Records read so far.
  virtual uint64_t records() const = 0;
  virtual const std::string& name() const = 0;
};

// A stream file's name without its folder and its .pvs / .zst endings
// ("data/xz.pvs.zst" -> "xz"): the program name given to a stream that
// comes without one.
std::string streamBaseName(const std::string& path);

}  // namespace pv::runtime
