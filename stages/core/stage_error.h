// The one error type of the pure transforms and readers: what went wrong,
// in which input and where. Stage mains catch it, print
// "pv-stage: input:position: message", forward it downstream as a
// StreamError message and exit with status 1.
#pragma once

#include <stdexcept>
#include <string>

namespace pv {

class StageError : public std::runtime_error {
 public:
  StageError(std::string input, std::string position, std::string message)
      : std::runtime_error(format(input, position, message)),
        input_(std::move(input)),
        position_(std::move(position)),
        message_(std::move(message)) {}

  const std::string& input() const { return input_; }
  const std::string& position() const { return position_; }
  const std::string& message() const { return message_; }

 private:
  static std::string format(const std::string& input,
                            const std::string& position,
                            const std::string& message) {
    std::string out = input;
    if (!position.empty()) out += (out.empty() ? "" : ":") + position;
    return out.empty() ? message : out + ": " + message;
  }
  std::string input_, position_, message_;
};

}  // namespace pv
