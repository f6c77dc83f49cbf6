// The stage driver: command line, output opening, progress and errors.

#include "stages/runtime/stage.h"

#include "stages/runtime/curve.h"
#include "stages/runtime/interrupt_cleanup.h"
#include "stages/runtime/progress_line.h"

#include <kj/exception.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <new>

namespace pv::runtime {
namespace {

// The output option names a file: not stdout, not a ZeroMQ endpoint.
bool namesAFile(const std::string& output) {
  return output != "-" && output.find("://") == std::string::npos;
}

// A regular file: never a device (/dev/null) or a FIFO.
bool isRegularFile(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Progress::Progress(std::string stage, bool enabled)
    : stage_(std::move(stage)), enabled_(enabled) {
  start_ = last_ = std::chrono::steady_clock::now();
}

void Progress::add(uint64_t records) {
  records_ += records;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ >= std::chrono::milliseconds(250)) {
    last_ = now;
    print(false);
  }
}

void Progress::finish() {
  if (enabled_) print(true);
}

void Progress::print(bool final) {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "\r%s", formatProgressLine(stage_, records_, seconds, final).c_str());
  std::fflush(stderr);
}

Stage::Stage(std::string name, std::string summary, bool hasInput)
    : name_(std::move(name)),
      recordedName_(name_),
      hasInput_(hasInput),
      tool_(name_, std::move(summary)),
      app_(tool_.cli()) {
  // Every batch allocates and frees buffers of about a megabyte. With glibc's
  // defaults those are mmap'ed and returned to the kernel each time, and the
  // page faults dominated a stage's time (pv-feature: 12.9 s vs 1.25 s on 10 M
  // instructions). Keep such blocks on the heap and the heap untrimmed.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  if (hasInput_)
    app_.add_option("input", options_.input,
                    "Input stream: '-' (stdin), a file (.zst: zstd), or a ZeroMQ "
                    "endpoint ipc://... / tcp://... ('@' bind, '>' connect; inputs bind by default)")
        ->capture_default_str();
  if (hasInput_)
    app_.add_option("--start-at", options_.startAt,
                    "Process the input from record N on, renumbered from 0, as if the stream "
                    "started there (its source is marked '[from record N]'); the records before "
                    "N are read and checked but skipped. For resuming reductions (pv-launch "
                    "--resume); not for window streams")
        ->capture_default_str();
  app_.add_option("-o,--output", options_.output,
                  "Output stream: '-' (stdout), a file (.zst: zstd), or a ZeroMQ "
                  "endpoint ('@' bind, '>' connect; outputs connect by default)")
      ->capture_default_str();
  addCurveOptions(app_);
  app_.add_flag("--progress", options_.progress,
                "Show progress on stderr (default: when stderr is a terminal)");
  app_.add_flag("--no-progress", options_.noProgress, "Never show progress");
  app_.add_flag("-q,--quiet", options_.quiet, "Print only errors");
  app_.add_flag("-f,--force", options_.force, "Write a binary stream even to a terminal");
  app_.footer(
      "Exit status: 0 success, 1 data or runtime error (also sent downstream as a stream "
      "error), 2 usage error.");
}

// Security of tcp endpoints (curve.h): read when an endpoint opens.
void addCurveOptions(CLI::App& app) {
  app.add_option("--curve-secret", curveOptions().secretFile,
                 "This stage's CURVE key pair (a secret key file from pv-launch --keygen): "
                 "tcp endpoints use CURVE; needed for tcp on a non-loopback address")
      ->option_text("FILE");
  app.add_option("--curve-server-key", curveOptions().serverKeyFile,
                 "Public key file of the server this stage connects to over tcp "
                 "(default: the stage's own public key)")
      ->option_text("FILE");
  app.add_option("--curve-authorized", curveOptions().authorizedPath,
                 "Public keys of the clients a binding tcp endpoint admits: a file (one key a "
                 "line) or a folder of *.pub files (the stage's own key is always admitted)")
      ->option_text("FILE|DIR");
}

void Stage::addBatchSizeOption(const std::string& help) {
  app_.add_option("--batch-size", options_.batchSize, help)
      ->capture_default_str()
      ->check(CLI::Range(1u, 1u << 16));
}

std::optional<int> Stage::parse(int argc, char** argv) {
  if (auto rc = tool_.parse(argc, argv)) return rc;
  bool enabled = options_.progress ||
                 (!options_.noProgress && !options_.quiet && ::isatty(2));
  progress_ = std::make_unique<Progress>(name_, enabled);
  return std::nullopt;
}

StreamWriter& Stage::openOutput(const StreamHeader& header) {
  if (writer_) return *writer_;
  if (options_.startAt > 0 && !readsStream_)
    throw StageError("--start-at", "", name_ + " does not read a stream here, so it cannot skip records");
  if (options_.output == "-" && ::isatty(1) && !options_.force)
    throw StageError("<stdout>", "",
                     "refusing to write a binary stream to a terminal; redirect it, "
                     "use -o FILE, or pipe it into pv-cat (--force overrides)");
  writer_ = StreamWriter::open(options_.output);
  // A regular file this stage writes is partial until closeOutput().
  if (namesAFile(options_.output) && isRegularFile(options_.output)) removeOnInterrupt(options_.output);
  writer_->writeHeader(header);
  return *writer_;
}

void Stage::closeOutput() {
  writer_->writeEnd(recordsOut_);
  writer_->close();
  keepOnInterrupt(options_.output);
  progress_->finish();
}

int Stage::guard(const std::function<void()>& body) {
  auto report = [&](const std::string& stage, const StageError& error) {
    // Tell the next stage, so the failure reaches the end of the chain.
    // A file that would hold a partial stream is removed instead (as zstd does).
    try {
      if (namesAFile(options_.output)) {
        // Only a regular file this stage opened holds a partial stream: never
        // a device (/dev/null), a FIFO, or a file it never wrote.
        const bool opened = writer_ != nullptr;
        writer_.reset();
        keepOnInterrupt(options_.output);
        if (opened && isRegularFile(options_.output)) ::unlink(options_.output.c_str());
      } else if (writer_ || options_.output != "-" || !::isatty(1)) {
        if (!writer_) writer_ = StreamWriter::open(options_.output);
        writer_->writeError(stage, error);
        writer_->close();
      }
    } catch (...) {
      // The output itself may be what failed; the message below still goes out.
    }
    return 1;
  };
  // One write per message: a stage started by srun --unbuffered (pv-launch's
  // stages on hosts) has its stderr forwarded write by write, and srun's own
  // lines would otherwise land inside it.
  auto say = [&](const std::string& message) { std::cerr << (name_ + ": " + message + "\n"); };
  try {
    body();
    return 0;
  } catch (const UpstreamError& e) {
    say("upstream stage " + e.stage() + " failed: " + e.what());
    return report(e.stage(), e);
  } catch (const StageError& e) {
    say(e.what());
    return report(name_, e);
  } catch (const std::bad_alloc& e) {
    // Named plainly, so that pv-launch (and a person) can tell it from a data error.
    StageError error("", "", std::string("out of memory (") + e.what() + ")");
    say(error.what());
    return report(name_, error);
  } catch (const kj::Exception& e) {
    StageError error("", "", e.getDescription().cStr());
    say(error.what());
    return report(name_, error);
  } catch (const std::exception& e) {
    StageError error("", "", e.what());
    say(error.what());
    return report(name_, error);
  }
}

}  // namespace pv::runtime
