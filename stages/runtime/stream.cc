// Stream endpoints: Cap'n Proto framing over file descriptors (optionally
// zstd-compressed) and one-message-per-frame over ZeroMQ PUSH/PULL sockets.

#include "stages/runtime/stream.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <kj/exception.h>
#include <kj/io.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
// libxxhash's runtime-dispatched XXH3 (AVX2/AVX-512 where the CPU has them;
// the same hash): the checksums were 7% of tap | feature | reuse-distance's
// CPU time with the SSE2 build (perf, 2026-12-06).
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>
#endif
#include <zstd.h>

#include <atomic>
#include <deque>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "schema/stream.capnp.h"
#include "stages/core/hex.h"
#include "stages/runtime/byte_source.h"
#include "stages/runtime/codec.h"
#include "stages/runtime/curve.h"
#include "stages/runtime/interrupt_cleanup.h"

namespace pv::runtime {
namespace {

// XXH3-64 over the segment words of a stream's messages (see EndOfStream).
class StreamChecksum {
 public:
  StreamChecksum() : state_(XXH3_createState()) {
    if (!state_) throw std::bad_alloc();
    XXH3_64bits_reset(state_);
  }
  ~StreamChecksum() { XXH3_freeState(state_); }
  StreamChecksum(const StreamChecksum&) = delete;
  StreamChecksum& operator=(const StreamChecksum&) = delete;
  void add(kj::ArrayPtr<const capnp::word> segment) {
#if defined(__x86_64__)
    XXH3_64bits_update_dispatch(state_, segment.begin(), segment.size() * sizeof(capnp::word));
#else
    XXH3_64bits_update(state_, segment.begin(), segment.size() * sizeof(capnp::word));
#endif
  }
  uint64_t value() const { return XXH3_64bits_digest(state_); }

 private:
  XXH3_state_t* state_;
};

std::string hex64(uint64_t v) { return "0x" + pv::hex64(v); }

// Reader limits. A batch of 4096 instructions is about 1.2 MB; the limits
// leave room for batches of up to ~64 K records and reject anything larger
// (a corrupt segment table must not make a reader allocate gigabytes).
constexpr uint64_t kTraversalLimitWords = 64ull << 20;  // 512 MiB
constexpr int kNestingLimit = 16;
constexpr size_t kMaxZmqMessageBytes = 512ull << 20;

capnp::ReaderOptions readerOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kTraversalLimitWords;
  options.nestingLimit = kNestingLimit;
  return options;
}

struct EndpointSpec {
  enum Kind { kStdio, kFile, kZmq } kind;
  std::string address;  // path or ZeroMQ address
  std::optional<bool> bind;
};

EndpointSpec parseEndpoint(const std::string& spec) {
  std::string s = spec;
  std::optional<bool> bind;
  if (!s.empty() && (s[0] == '@' || s[0] == '>')) {
    bind = s[0] == '@';
    s = s.substr(1);
  }
  bool zmq = s.rfind("ipc://", 0) == 0 || s.rfind("tcp://", 0) == 0 ||
             s.rfind("inproc://", 0) == 0;
  if (zmq) return {EndpointSpec::kZmq, s, bind};
  if (bind) throw StageError(spec, "", "'@' / '>' only apply to ZeroMQ endpoints (ipc://, tcp://)");
  if (s.empty()) throw StageError("<endpoint>", "", "empty endpoint name");
  if (s == "-") return {EndpointSpec::kStdio, s, bind};
  return {EndpointSpec::kFile, s, bind};
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string positionOf(uint64_t message) { return "message " + std::to_string(message); }

// ---------------------------------------------------------------- writing

// kj::OutputStream that zstd-compresses into another stream.
class ZstdOutputStream : public kj::OutputStream {
 public:
  explicit ZstdOutputStream(kj::OutputStream& out, int level)
      : out_(out), buffer_(ZSTD_CStreamOutSize()) {
    stream_ = ZSTD_createCStream();
    ZSTD_initCStream(stream_, level);
  }
  ~ZstdOutputStream() override { ZSTD_freeCStream(stream_); }

  void write(const void* data, size_t size) override {
    ZSTD_inBuffer in{data, size, 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
      size_t ret = ZSTD_compressStream(stream_, &out, &in);
      if (ZSTD_isError(ret)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(ret));
      out_.write(buffer_.data(), out.pos);
    }
  }
  void end() {
    size_t remaining;
    do {
      ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
      remaining = ZSTD_endStream(stream_, &out);
      if (ZSTD_isError(remaining))
        throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(remaining));
      out_.write(buffer_.data(), out.pos);
    } while (remaining != 0);
  }

 private:
  kj::OutputStream& out_;
  std::vector<char> buffer_;
  ZSTD_CStream* stream_;
};

// Common part: build a Message and hand it to send().
class MessageWriter : public StreamWriter {
 public:
  void writeHeader(const StreamHeader& header) override {
    capnp::MallocMessageBuilder message;
    encodeHeader(header, message.initRoot<wire::Message>().initHeader());
    sendCounted(message);
  }
  void write(const InstructionBatch& batch) override {
    capnp::MallocMessageBuilder message(firstSegmentWords(batch.rows.size() * 40));
    encodeBatch(batch, message.initRoot<wire::Message>().initInstructions());
    sendCounted(message);
  }
  void write(const FeatureBatch& batch) override {
    capnp::MallocMessageBuilder message(
        firstSegmentWords(batch.values.size() / 2 + batch.pc.size() * 2 + batch.labels.size() / 2));
    encodeBatch(batch, message.initRoot<wire::Message>().initFeatures());
    sendCounted(message);
  }
  void write(const RepresentationBatch& batch) override {
    capnp::MallocMessageBuilder message(firstSegmentWords(batch.values.size() / 2 + batch.rows()));
    encodeBatch(batch, message.initRoot<wire::Message>().initRepresentations());
    sendCounted(message);
  }
  void write(const ProgramRepresentation& program) override {
    for (const auto& interval : program.intervals) write(interval);
    capnp::MallocMessageBuilder message(firstSegmentWords(program.sum.size() + 8));
    encodeBatch(program, message.initRoot<wire::Message>().initProgram());
    sendCounted(message);
  }
  void write(const IntervalRepresentation& interval) override {
    capnp::MallocMessageBuilder message(firstSegmentWords(interval.sum.size() + 8));
    encodeBatch(interval, message.initRoot<wire::Message>().initInterval());
    sendCounted(message);
  }
  void writeEnd(uint64_t records) override {
    capnp::MallocMessageBuilder message;
    auto end = message.initRoot<wire::Message>().initEnd();
    end.setRecords(records);
    end.setChecksum(checksum_.value());
    send(message);
  }
  void writeError(const std::string& stage, const StageError& error) override {
    capnp::MallocMessageBuilder message;
    auto e = message.initRoot<wire::Message>().initError();
    e.setStage(stage);
    e.setInput(error.input());
    e.setPosition(error.position());
    e.setMessage(error.message());
    send(message);
  }
  const std::string& name() const override { return name_; }

 protected:
  explicit MessageWriter(std::string name) : name_(std::move(name)) {}
  virtual void send(capnp::MessageBuilder& message) = 0;
  // Header and batches count towards the end-of-stream checksum.
  void sendCounted(capnp::MessageBuilder& message) {
    for (auto segment : message.getSegmentsForOutput()) checksum_.add(segment);
    send(message);
  }
  // A first segment large enough for the whole batch avoids segment chains.
  static unsigned firstSegmentWords(size_t estimate) {
    return static_cast<unsigned>(std::max<size_t>(1024, std::min<size_t>(estimate + 64, 1u << 26)));
  }
  std::string name_;
  StreamChecksum checksum_;
};

// Buffered writes to a file descriptor. Errors throw StageError; the
// destructor never writes (close() flushes), so it cannot throw.
class BufferedFdStream : public kj::OutputStream {
 public:
  BufferedFdStream(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
    buffer_.reserve(kCapacity);
  }
  void write(const void* data, size_t size) override {
    if (buffer_.size() + size > kCapacity) flush();
    if (size >= kCapacity) {
      writeAll(static_cast<const char*>(data), size);
      return;
    }
    buffer_.insert(buffer_.end(), static_cast<const char*>(data),
                   static_cast<const char*>(data) + size);
  }
  // A whole message at once: small pieces (the segment table) go through
  // the buffer, large segments straight to the kernel without a copy.
  void write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override {
    for (auto piece : pieces) {
      if (piece.size() < kDirectBytes) {
        write(piece.begin(), piece.size());
      } else {
        flush();
        writeAll(reinterpret_cast<const char*>(piece.begin()), piece.size());
      }
    }
  }
  void flush() {
    writeAll(buffer_.data(), buffer_.size());
    buffer_.clear();
  }

 private:
  static constexpr size_t kCapacity = 1 << 20;
  static constexpr size_t kDirectBytes = 64 << 10;
  void writeAll(const char* p, size_t n) {
    while (n > 0) {
      ssize_t put = ::write(fd_, p, n);
      if (put < 0) {
        if (errno == EINTR) continue;
        throw StageError(name_, "", std::string("write failed: ") + std::strerror(errno));
      }
      p += put;
      n -= static_cast<size_t>(put);
    }
  }
  int fd_;
  std::string name_;
  std::vector<char> buffer_;
};

class FdWriter : public MessageWriter {
 public:
  FdWriter(int fd, std::string name, bool owned, bool zstd)
      : MessageWriter(std::move(name)), fd_(fd), owned_(owned),
        buffered_(std::make_unique<BufferedFdStream>(fd, name_)) {
    if (zstd) zstd_ = std::make_unique<ZstdOutputStream>(*buffered_, 3);
  }
  ~FdWriter() override {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    wrap([&] {
      if (zstd_) zstd_->end();
      buffered_->flush();
    });
    if (owned_) {
      int fd = fd_;
      fd_ = -1;
      if (::close(fd) != 0)
        throw StageError(name_, "", std::string("close failed: ") + std::strerror(errno));
    }
  }

 protected:
  void send(capnp::MessageBuilder& message) override {
    wrap([&] {
      if (zstd_)
        capnp::writeMessage(*zstd_, message);
      else
        capnp::writeMessage(*buffered_, message);
    });
  }

 private:
  template <class F>
  void wrap(F&& f) {
    try {
      f();
    } catch (const kj::Exception& e) {
      throw StageError(name_, "", std::string("write failed: ") + e.getDescription().cStr());
    } catch (const StageError&) {
      throw;
    } catch (const std::runtime_error& e) {
      throw StageError(name_, "", std::string("write failed: ") + e.what());
    }
  }
  int fd_;
  bool owned_;
  bool closed_ = false;
  std::unique_ptr<BufferedFdStream> buffered_;
  std::unique_ptr<ZstdOutputStream> zstd_;
};

// Watches one ZeroMQ socket: its connections (a writer's close waits until
// its reader has gone) and, for a CURVE client, a failed handshake. On a
// CURVE socket a connection counts once its handshake succeeded, so that a
// refused peer is never taken for the reader.
struct SocketMonitor : zmq::monitor_t {
  SocketMonitor(bool curve, bool client) : curve(curve), client(client) {}
  const bool curve, client;
  int connected = 0;
  int failed = 0;  // failed handshakes whose disconnection is still to come
  bool everConnected = false;
  std::string handshakeError;  // set on a CURVE client the server refused

  void on_event_connected(const zmq_event_t&, const char*) override {
    if (!curve) up();
  }
  void on_event_accepted(const zmq_event_t&, const char*) override {
    if (!curve) up();
  }
  void on_event_handshake_succeeded(const zmq_event_t&, const char*) override {
    if (curve) up();
  }
  void on_event_disconnected(const zmq_event_t&, const char*) override {
    if (curve && failed > 0)
      --failed;
    else if (connected > 0)
      --connected;
  }
  void on_event_handshake_failed_auth(const zmq_event_t& e, const char*) override {
    fail("the server refused this stage's CURVE key (ZAP status " + std::to_string(e.value) +
         "): it is not among the server's authorized keys");
  }
  void on_event_handshake_failed_protocol(const zmq_event_t&, const char*) override {
    fail("CURVE handshake failed (a wrong --curve-server-key, or a peer without CURVE)");
  }
  void on_event_handshake_failed_no_detail(const zmq_event_t&, const char*) override {
    fail("CURVE handshake failed (a wrong --curve-server-key, or a peer without CURVE)");
  }
  void up() {
    ++connected;
    everConnected = true;
  }
  void fail(const std::string& why) {
    if (!curve) return;
    ++failed;
    if (client && handshakeError.empty()) handshakeError = why;
  }
  static constexpr int kEvents = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED |
                                 ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
};

std::string monitorAddress() {
  static std::atomic<uint64_t> monitors{0};
  return "inproc://pv-socket-monitor-" + std::to_string(monitors++);
}

// The file of an ipc:// endpoint this process bound. libzmq 4.3 leaves it
// behind when the socket closes (it unlinks only wildcard endpoints' files),
// so every run left a socket file in its folder; this removes it, unless
// another process has bound the same path since (another inode).
class BoundIpcFile {
 public:
  explicit BoundIpcFile(const std::string& address) {
    constexpr std::string_view kScheme = "ipc://";
    if (address.rfind(kScheme, 0) != 0) return;
    path_ = address.substr(kScheme.size());
    struct stat st{};
    // '@': Linux's abstract namespace, no file.
    if (path_.empty() || path_[0] == '@' || ::stat(path_.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) {
      path_.clear();
      return;
    }
    device_ = st.st_dev;
    inode_ = st.st_ino;
    removeOnInterrupt(path_);  // a stage killed by SIGTERM leaves none either
  }
  ~BoundIpcFile() {
    if (path_.empty()) return;
    struct stat st{};
    if (::stat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_)
      ::unlink(path_.c_str());
    keepOnInterrupt(path_);
  }
  BoundIpcFile(const BoundIpcFile&) = delete;
  BoundIpcFile& operator=(const BoundIpcFile&) = delete;

 private:
  std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

class ZmqWriter : public MessageWriter {
 public:
  ZmqWriter(const EndpointSpec& spec)
      : MessageWriter(spec.address), socket_(context_, zmq::socket_type::push) {
    socket_.set(zmq::sockopt::sndhwm, kZmqHighWaterMark);
    // Deliver everything before close() returns.
    socket_.set(zmq::sockopt::linger, -1);
    const bool bind = spec.bind.value_or(false);
    security_ = std::make_unique<EndpointSecurity>(context_, socket_, spec.address, bind);
    // Before connect/bind, so that no connection event is missed.
    peers_ = std::make_unique<SocketMonitor>(security_->curve(), !bind);
    peers_->init(socket_, monitorAddress(), SocketMonitor::kEvents);
    try {
      if (bind) {
        socket_.bind(spec.address);
        boundFile_ = std::make_unique<BoundIpcFile>(spec.address);
      } else {
        socket_.connect(spec.address);
      }
    } catch (const zmq::error_t& e) {
      throw StageError(spec.address, "", std::string("cannot open ZeroMQ endpoint: ") + e.what());
    }
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    // libzmq drops the unread tail of a connection whose sender goes away
    // while the receiver sits at its high-water mark (seen as a reader that
    // waits forever for end-of-stream). So the writer keeps its side open
    // until the reader has closed the connection, i.e. has read the end.
    while (!(peers_->everConnected && peers_->connected == 0)) {
      peers_->check_event(100);
      checkHandshake();
    }
    socket_.set(zmq::sockopt::linger, 0);  // the reader is gone: nothing left to deliver to
    peers_.reset();  // its socket must close before the context can
    security_.reset();
    socket_.close();
    context_.close();
  }

 protected:
  void send(capnp::MessageBuilder& message) override {
    auto words = capnp::messageToFlatArray(message);
    auto bytes = words.asBytes();
    try {
      if (!security_->curveClient()) {
        socket_.send(zmq::const_buffer(bytes.begin(), bytes.size()), zmq::send_flags::none);
        return;
      }
      // A CURVE client checks for a refused handshake while it waits.
      while (!socket_.send(zmq::const_buffer(bytes.begin(), bytes.size()),
                           zmq::send_flags::dontwait)) {
        while (peers_->check_event(100)) {
        }
        checkHandshake();
      }
    } catch (const zmq::error_t& e) {
      throw StageError(name_, "", std::string("send failed: ") + e.what());
    }
  }

 private:
  void checkHandshake() {
    if (!peers_->handshakeError.empty()) {
      std::string why = peers_->handshakeError + " (public key " + security_->publicKey() + ")";
      socket_.set(zmq::sockopt::linger, 0);
      throw StageError(name_, "", why);
    }
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::unique_ptr<EndpointSecurity> security_;  // before the context closes
  std::unique_ptr<SocketMonitor> peers_;
  std::unique_ptr<BoundIpcFile> boundFile_;  // removed at destruction
  bool closed_ = false;
};

// ---------------------------------------------------------------- reading

// Reads exactly n bytes from a ByteSource through a buffer; returns fewer
// only at the end of the input.
class BufferedByteReader {
 public:
  explicit BufferedByteReader(ByteSource& source) : source_(source), buffer_(kFirstBytes) {}
  size_t read(void* out, size_t n) {
    auto* dst = static_cast<char*>(out);
    size_t done = 0;
    while (done < n) {
      if (pos_ == end_) {
        if (n - done >= kDirectBytes) {  // large reads bypass the buffer
          size_t got = source_.read(dst + done, n - done);
          if (got == 0) break;
          done += got;
          continue;
        }
        end_ = source_.read(buffer_.data(), buffer_.size());
        pos_ = 0;
        if (end_ == 0) break;
        if (end_ == buffer_.size() && buffer_.size() < kMaxBytes) buffer_.resize(buffer_.size() * 2);
      }
      size_t take = std::min(n - done, end_ - pos_);
      std::memcpy(dst + done, buffer_.data() + pos_, take);
      pos_ += take;
      done += take;
    }
    return done;
  }

 private:
  static constexpr size_t kDirectBytes = 64 << 10;
  // The buffer starts small and doubles, up to kMaxBytes, each time a read
  // fills it: a short stream (or a fuzz input) never pays for 1 MiB.
  static constexpr size_t kFirstBytes = 4 << 10;
  static constexpr size_t kMaxBytes = 1 << 20;
  ByteSource& source_;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
};

// A message read whole into memory it owns.
class OwnedSegmentsReader : public capnp::MessageReader {
 public:
  OwnedSegmentsReader(kj::Array<capnp::word> words, std::vector<kj::ArrayPtr<const capnp::word>> segments)
      : capnp::MessageReader(readerOptions()), words_(kj::mv(words)), segments_(std::move(segments)) {}
  kj::ArrayPtr<const capnp::word> getSegment(uint id) override {
    return id < segments_.size() ? segments_[id] : nullptr;
  }

 private:
  kj::Array<capnp::word> words_;
  std::vector<kj::ArrayPtr<const capnp::word>> segments_;
};

// Common part: decode Messages from next(); dispatch by kind.
class MessageReaderBase : public StreamReader {
 public:
  const StreamHeader& header() const override { return header_; }
  uint64_t records() const override { return records_; }
  const std::string& name() const override { return name_; }

  bool next(InstructionBatch& batch) override { return nextBatch(batch, wire::Message::INSTRUCTIONS); }
  bool next(FeatureBatch& batch) override { return nextBatch(batch, wire::Message::FEATURES); }
  bool next(RepresentationBatch& batch) override {
    return nextBatch(batch, wire::Message::REPRESENTATIONS);
  }
  bool next(ProgramRepresentation& program) override {
    std::vector<IntervalRepresentation> intervals;
    ProgramPart part;
    while (next(part)) {
      if (auto* interval = std::get_if<IntervalRepresentation>(&part)) {
        intervals.push_back(std::move(*interval));
        continue;
      }
      program = std::move(std::get<ProgramRepresentation>(part));
      if (!intervals.empty()) program.intervals = std::move(intervals);
      return true;
    }
    return false;
  }
  bool next(ProgramPart& part) override {
    if (!legacyParts_.empty()) {
      part = std::move(legacyParts_.front());
      legacyParts_.pop_front();
      return true;
    }
    return nextBatch(part, wire::Message::PROGRAM);
  }

 protected:
  explicit MessageReaderBase(std::string name) : name_(std::move(name)) {}

  // The next raw message, or nullptr when the transport ended cleanly at a
  // message boundary.
  virtual kj::Own<capnp::MessageReader> receive() = 0;

  void readHeader() {
    auto message = receiveChecked();
    if (!message) throw StageError(name_, "", "empty input (no stream header)");
    try {
      auto root = message->getRoot<wire::Message>();
      if (root.isError()) throwUpstream(root.getError());
      if (!root.isHeader())
        throw StageError(name_, positionOf(messages_), "stream does not start with a header");
      header_ = decodeHeader(root.getHeader(), {name_, positionOf(messages_)});
    } catch (const kj::Exception& e) {
      throw malformed(e);
    }
  }

 private:
  kj::Own<capnp::MessageReader> receiveChecked() {
    try {
      auto message = receive();
      if (message) {
        ++messages_;
        checksumBefore_ = checksum_.value();
        for (uint32_t i = 0;; ++i) {
          auto segment = message->getSegment(i);
          if (segment == nullptr) break;
          checksum_.add(segment);
        }
      }
      return message;
    } catch (const kj::Exception& e) {
      throw StageError(name_, positionOf(messages_ + 1),
                       std::string("corrupt or truncated message: ") + e.getDescription().cStr());
    }
  }

  StageError malformed(const kj::Exception& e) const {
    return StageError(name_, positionOf(messages_),
                      std::string("malformed message: ") + e.getDescription().cStr());
  }

  [[noreturn]] void throwUpstream(wire::StreamError::Reader e) const {
    throw UpstreamError(e.getStage(), e.getInput(), e.getPosition(), e.getMessage());
  }

  template <class Batch>
  bool nextBatch(Batch& batch, wire::Message::Which want) {
    if (ended_) return false;
    auto message = receiveChecked();
    if (!message)
      throw StageError(name_, positionOf(messages_),
                       "stream ends without end-of-stream after " + std::to_string(records_) +
                           " records (truncated: the producer stopped early)");
    try {
      auto root = message->getRoot<wire::Message>();
      auto which = root.which();
      Where where{name_, positionOf(messages_)};
      if constexpr (std::is_same_v<Batch, ProgramPart>) {
        if (which == wire::Message::INTERVAL || which == wire::Message::PROGRAM) {
          nextProgramPart(root, where, batch);
          return true;
        }
      } else if (which == want) {
        if constexpr (std::is_same_v<Batch, InstructionBatch>)
          decodeBatch(root.getInstructions(), header_, where, batch);
        else if constexpr (std::is_same_v<Batch, FeatureBatch>)
          decodeBatch(root.getFeatures(), header_, where, batch);
        else if constexpr (std::is_same_v<Batch, RepresentationBatch>)
          decodeBatch(root.getRepresentations(), header_, where, batch);
        else
          decodeBatch(root.getProgram(), header_, where, batch);
        uint64_t count = recordCount(batch);
        if (firstIndexOf(batch, records_) != records_)
          throw StageError(name_, where.position,
                           "batch starts at record " + std::to_string(firstIndexOf(batch, records_)) +
                               ", expected " + std::to_string(records_) + " (records lost or reordered)");
        records_ += count;
        return true;
      }
      switch (which) {
        case wire::Message::END: {
          uint64_t announced = root.getEnd().getRecords();
          if (announced != records_)
            throw StageError(name_, where.position,
                             "end-of-stream announces " + std::to_string(announced) +
                                 " records but " + std::to_string(records_) + " arrived");
          if (streamedIntervals_ > 0)
            throw StageError(name_, where.position,
                             std::to_string(streamedIntervals_) +
                                 " interval sums without the program message that ends them");
          if (root.getEnd().getChecksum() != checksumBefore_)
            throw StageError(name_, where.position,
                             "checksum mismatch: the stream's messages were damaged or altered on "
                             "the way (end-of-stream announces " +
                                 hex64(root.getEnd().getChecksum()) + ", received data gives " +
                                 hex64(checksumBefore_) + ")");
          ended_ = true;
          return false;
        }
        case wire::Message::ERROR:
          throwUpstream(root.getError());
        case wire::Message::HEADER:
          throw StageError(name_, where.position, "second stream header inside a stream");
        case wire::Message::INSTRUCTIONS:
        case wire::Message::FEATURES:
        case wire::Message::REPRESENTATIONS:
        case wire::Message::PROGRAM:
        case wire::Message::INTERVAL:
          throw StageError(name_, where.position,
                           std::string("expected ") + kindName(want) + ", the stream carries " +
                               kindName(which));
        default:
          throw StageError(name_, where.position,
                           "unknown message kind " + std::to_string(static_cast<int>(which)));
      }
    } catch (const kj::Exception& e) {
      throw malformed(e);
    }
  }

  static uint64_t recordCount(const InstructionBatch& b) { return b.rows.size(); }
  static uint64_t recordCount(const FeatureBatch& b) { return b.rows(); }
  static uint64_t recordCount(const RepresentationBatch& b) { return b.instructionCount(); }
  static uint64_t recordCount(const ProgramRepresentation& p) { return p.instructions; }
  // Where a batch says it starts; a program representation covers the whole
  // stream, so it starts wherever the reader is.
  template <class B>
  static uint64_t firstIndexOf(const B& b, uint64_t) { return b.firstIndex; }
  static uint64_t firstIndexOf(const ProgramRepresentation&, uint64_t at) { return at; }
  static const char* kindName(wire::Message::Which which) {
    switch (which) {
      case wire::Message::INSTRUCTIONS: return "instruction batches";
      case wire::Message::FEATURES: return "feature batches";
      case wire::Message::REPRESENTATIONS: return "representation batches";
      case wire::Message::PROGRAM: return "a program representation";
      case wire::Message::INTERVAL: return "interval sums";
      default: return "other messages";
    }
  }

  // An interval continues where the last one ended (from the program's
  // first instruction); the program message after streamed intervals must
  // be the whole they cover.
  void nextProgramPart(wire::Message::Reader root, const Where& where, ProgramPart& part) {
    if (root.isInterval()) {
      IntervalRepresentation interval;
      decodeBatch(root.getInterval(), header_, where, interval);
      const uint64_t expected = records_ + streamedCovered_;
      if (interval.firstIndex != expected)
        throw StageError(name_, where.position,
                         "interval starts at instruction " + std::to_string(interval.firstIndex) +
                             ", expected " + std::to_string(expected) + " (intervals lost or reordered)");
      streamedCovered_ += interval.instructions;
      ++streamedIntervals_;
      part = std::move(interval);
      return;
    }
    ProgramRepresentation program;
    decodeBatch(root.getProgram(), header_, where, program);
    if (streamedIntervals_ > 0) {
      if (!program.intervals.empty())
        throw StageError(name_, where.position,
                         "interval sums both as messages and inside the program message");
      if (streamedCovered_ != program.instructions)
        throw StageError(name_, where.position,
                         "intervals cover " + std::to_string(streamedCovered_) + " of " +
                             std::to_string(program.instructions) + " instructions");
    }
    streamedIntervals_ = 0;
    streamedCovered_ = 0;
    records_ += program.instructions;
    if (program.intervals.empty()) {
      part = std::move(program);
      return;
    }
    // The legacy form (intervals inside the program message, checked by the
    // codec) is handed out as the streamed one: the intervals, then the
    // bare program, so that no reader of parts sees it.
    for (auto& interval : program.intervals) legacyParts_.emplace_back(std::move(interval));
    program.intervals.clear();
    legacyParts_.emplace_back(std::move(program));
    part = std::move(legacyParts_.front());
    legacyParts_.pop_front();
  }

 protected:
  std::string name_;
  StreamHeader header_;
  uint64_t records_ = 0;
  uint64_t messages_ = 0;
  bool ended_ = false;
  StreamChecksum checksum_;
  uint64_t checksumBefore_ = 0;  // of the messages before the last one received
  // Interval messages since the last program message, and what they cover.
  uint64_t streamedIntervals_ = 0;
  uint64_t streamedCovered_ = 0;
  // The rest of a legacy program message, as parts still to hand out.
  std::deque<ProgramPart> legacyParts_;
};

// Cap'n Proto stream framing: (segment count - 1) as u32, the segment sizes
// in words as u32 each, padding to 8 bytes, then the segments. The table is
// checked before anything is allocated, and the whole message is read before
// it is decoded, so a damaged or cut stream is one clear error.
class ByteStreamReader : public MessageReaderBase {
 public:
  explicit ByteStreamReader(std::unique_ptr<ByteSource> source)
      : MessageReaderBase(source->name()), source_(std::move(source)), bytes_(*source_) {
    readHeader();
  }

 protected:
  kj::Own<capnp::MessageReader> receive() override {
    const std::string where = positionOf(messages_ + 1);
    uint32_t first = 0;
    size_t got = bytes_.read(&first, 4);
    if (got == 0) return {};
    if (got != 4) throw StageError(name_, where, "input ends inside a message's segment table");
    const uint64_t segmentCount = uint64_t{first} + 1;
    if (segmentCount > kMaxSegments)
      throw StageError(name_, where,
                       "corrupt segment table (" + std::to_string(segmentCount) + " segments)");
    std::vector<uint32_t> sizes(segmentCount + (segmentCount % 2 == 0 ? 1 : 0));
    if (bytes_.read(sizes.data(), sizes.size() * 4) != sizes.size() * 4)
      throw StageError(name_, where, "input ends inside a message's segment table");
    uint64_t total = 0;
    for (uint64_t i = 0; i < segmentCount; ++i) total += sizes[i];
    if (total > kTraversalLimitWords)
      throw StageError(name_, where,
                       "message of " + std::to_string(total * 8) +
                           " bytes exceeds the reader limit (corrupt segment table?)");
    // The words arrive into an array that grows as they do, so a damaged
    // segment table claiming a huge message costs about what the input
    // holds, not the claim. The first allocation is as large as the largest
    // message so far: a stream of equal batches grows only once.
    auto words = kj::heapArray<capnp::word>(std::min<uint64_t>(total, largestWords_));
    uint64_t have = 0;
    for (;;) {
      const uint64_t want = words.size() - have;
      const size_t got = bytes_.read(words.begin() + have, want * 8);
      if (got != want * 8)
        throw StageError(name_, where,
                         "input ends inside a message (" + std::to_string(have * 8 + got) + " of " +
                             std::to_string(total * 8) + " bytes; truncated stream)");
      have += want;
      if (have == total) break;
      auto bigger = kj::heapArray<capnp::word>(std::min<uint64_t>(total, words.size() * 2));
      std::memcpy(bigger.begin(), words.begin(), have * 8);
      words = kj::mv(bigger);
    }
    largestWords_ = std::max(largestWords_, total);
    std::vector<kj::ArrayPtr<const capnp::word>> segments;
    const capnp::word* at = words.begin();
    for (uint64_t i = 0; i < segmentCount; ++i) {
      segments.emplace_back(at, sizes[i]);
      at += sizes[i];
    }
    return kj::heap<OwnedSegmentsReader>(kj::mv(words), std::move(segments));
  }

 private:
  static constexpr uint64_t kMaxSegments = 512;
  std::unique_ptr<ByteSource> source_;
  BufferedByteReader bytes_;
  uint64_t largestWords_ = 8 << 10;  // 64 KiB before the first message
};

class ZmqReader : public MessageReaderBase {
 public:
  explicit ZmqReader(const EndpointSpec& spec)
      : MessageReaderBase(spec.address), socket_(context_, zmq::socket_type::pull) {
    socket_.set(zmq::sockopt::rcvhwm, kZmqHighWaterMark);
    socket_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxZmqMessageBytes));
    const bool bind = spec.bind.value_or(true);
    security_ = std::make_unique<EndpointSecurity>(context_, socket_, spec.address, bind);
    if (security_->curveClient()) {
      // A CURVE client checks for a refused handshake while it waits.
      monitor_ = std::make_unique<SocketMonitor>(true, true);
      monitor_->init(socket_, monitorAddress(), SocketMonitor::kEvents);
      socket_.set(zmq::sockopt::rcvtimeo, 100);
    }
    try {
      if (bind) {
        socket_.bind(spec.address);
        boundFile_ = std::make_unique<BoundIpcFile>(spec.address);
      } else {
        socket_.connect(spec.address);
      }
    } catch (const zmq::error_t& e) {
      throw StageError(spec.address, "", std::string("cannot open ZeroMQ endpoint: ") + e.what());
    }
    readHeader();
  }
  ~ZmqReader() override {
    monitor_.reset();
    security_.reset();
  }

 protected:
  kj::Own<capnp::MessageReader> receive() override {
    zmq::message_t frame;
    try {
      while (true) {
        auto got = socket_.recv(frame, zmq::recv_flags::none);
        if (got) break;
        if (!monitor_) throw StageError(name_, "", "receive interrupted");
        while (monitor_->check_event(0)) {
        }
        if (!monitor_->handshakeError.empty())
          throw StageError(name_, "", monitor_->handshakeError + " (public key " +
                                          security_->publicKey() + ")");
      }
    } catch (const zmq::error_t& e) {
      throw StageError(name_, "", std::string("receive failed: ") + e.what());
    }
    if (frame.size() % sizeof(capnp::word) != 0 || frame.size() == 0)
      throw StageError(name_, positionOf(messages_ + 1),
                       "ZeroMQ frame of " + std::to_string(frame.size()) +
                           " bytes is not a Cap'n Proto message");
    // Copy into word-aligned memory owned by the reader.
    auto words = kj::heapArray<capnp::word>(frame.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), frame.data(), frame.size());
    struct Owning : capnp::FlatArrayMessageReader {
      Owning(kj::Array<capnp::word> w)
          : capnp::FlatArrayMessageReader(w, readerOptions()), words(kj::mv(w)) {}
      kj::Array<capnp::word> words;
    };
    auto reader = kj::heap<Owning>(kj::mv(words));
    if (reader->getEnd() != reader->words.end())
      throw StageError(name_, positionOf(messages_ + 1), "trailing bytes after the message in a ZeroMQ frame");
    return reader;
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::unique_ptr<EndpointSecurity> security_;
  std::unique_ptr<SocketMonitor> monitor_;
  std::unique_ptr<BoundIpcFile> boundFile_;  // removed at destruction
};

}  // namespace

std::unique_ptr<StreamWriter> StreamWriter::open(const std::string& spec) {
  EndpointSpec endpoint = parseEndpoint(spec);
  switch (endpoint.kind) {
    case EndpointSpec::kStdio:
      widenPipe(1);
      return std::make_unique<FdWriter>(1, "<stdout>", false, false);
    case EndpointSpec::kFile: {
      int fd = ::open(endpoint.address.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0)
        throw StageError(endpoint.address, "", std::string("cannot create: ") + std::strerror(errno));
      return std::make_unique<FdWriter>(fd, endpoint.address, true, endsWith(endpoint.address, ".zst"));
    }
    case EndpointSpec::kZmq:
      return std::make_unique<ZmqWriter>(endpoint);
  }
  throw StageError(spec, "", "unknown endpoint");
}

std::unique_ptr<StreamReader> StreamReader::open(const std::string& spec) {
  EndpointSpec endpoint = parseEndpoint(spec);
  if (endpoint.kind == EndpointSpec::kZmq) return std::make_unique<ZmqReader>(endpoint);
  return fromBytes(openByteSource(endpoint.address));
}

std::unique_ptr<StreamReader> StreamReader::fromBytes(std::unique_ptr<ByteSource> bytes) {
  return std::make_unique<ByteStreamReader>(std::move(bytes));
}

std::string streamBaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  for (std::string_view ending : {".zst", ".pvs"})
    if (base.size() > ending.size() && base.ends_with(ending)) base.resize(base.size() - ending.size());
  return base;
}

}  // namespace pv::runtime
