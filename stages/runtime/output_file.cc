#include "stages/runtime/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "stages/core/stage_error.h"
#include "stages/runtime/interrupt_cleanup.h"

namespace pv::runtime {
namespace {

std::string reason(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

// Something other than a regular file is already there.
bool existsAsSpecialFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_ == "-") {
    name_ = "<stdout>";
    fd_ = STDOUT_FILENO;
    return;
  }
  name_ = path_;
  if (!existsAsSpecialFile(path_)) temp_ = path_ + ".tmp." + std::to_string(::getpid());
  const std::string& open = temp_.empty() ? path_ : temp_;
  fd_ = ::open(open.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) throw StageError(name_, "", reason("cannot create", errno));
  if (!temp_.empty()) removeOnInterrupt(temp_);
}

OutputFile::~OutputFile() {
  if (!committed_) discard();
}

void OutputFile::discard() {
  if (fd_ > STDERR_FILENO) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) {
    ::unlink(temp_.c_str());
    keepOnInterrupt(temp_);
  }
}

void OutputFile::write(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t put = ::write(fd_, bytes.data(), bytes.size());
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) throw StageError(name_, "", reason("write failed", errno));
    bytes.remove_prefix(static_cast<size_t>(put));
  }
}

void OutputFile::commit() {
  if (fd_ > STDERR_FILENO && ::close(fd_) != 0) {
    fd_ = -1;
    throw StageError(name_, "", reason("cannot write", errno));
  }
  fd_ = -1;
  if (!temp_.empty()) {
    if (::rename(temp_.c_str(), path_.c_str()) != 0) throw StageError(name_, "", reason("cannot write", errno));
    keepOnInterrupt(temp_);
  }
  committed_ = true;
}

void writeOutputFile(const std::string& path, std::string_view bytes) {
  OutputFile out(path);
  out.write(bytes);
  out.commit();
}

}  // namespace pv::runtime
