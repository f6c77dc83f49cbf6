#include "stages/runtime/tool.h"

#include <kj/exception.h>

#include <iostream>
#include <new>

#include "stages/core/stage_error.h"
#include "stages/runtime/stream.h"
#include "stages/runtime/version.h"

namespace pv::runtime {

void addVersionFlag(CLI::App& app, const std::string& program) {
  std::string text = versionText(program);
  if (!text.empty() && text.back() == '\n') text.pop_back();  // CLI11 adds one
  app.set_version_flag("--version", text, "Print the version (and those of the file formats) and exit");
}

Tool::Tool(std::string name, std::string summary) : name_(std::move(name)), app_(std::move(summary), name_) {
  app_.set_help_flag("-h,--help", "Print this help and exit");
  addVersionFlag(app_, name_);
}

std::optional<int> Tool::parse(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    const int status = app_.exit(e);
    return afterHelp_ ? guard(afterHelp_) : status;
  } catch (const CLI::CallForAllHelp& e) {
    const int status = app_.exit(e);
    return afterHelp_ ? guard(afterHelp_) : status;
  } catch (const CLI::CallForVersion& e) {
    return app_.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << name_ << ": " << e.what() << "\n"
              << "Run '" << name_ << " --help' for usage.\n";
    return 2;
  }
  return std::nullopt;
}

// One write per message (see Stage::guard).
void Tool::warn(const std::string& message) const { std::cerr << (name_ + ": " + message + "\n"); }

int Tool::guard(const std::function<void()>& body) const {
  try {
    body();
    return 0;
  } catch (const UsageError& e) {
    std::cerr << name_ << ": " << e.what() << "\n"
              << "Run '" << name_ << " --help' for usage.\n";
    return 2;
  } catch (const ExitStatus& e) {
    if (e.what()[0] != '\0') warn(e.what());
    return e.code();
  } catch (const UpstreamError& e) {
    warn("upstream stage " + e.stage() + " failed: " + e.what());
  } catch (const StageError& e) {
    warn(e.what());
  } catch (const std::bad_alloc& e) {
    warn(std::string("out of memory (") + e.what() + ")");
  } catch (const kj::Exception& e) {
    warn(e.getDescription().cStr());
  } catch (const std::exception& e) {
    warn(e.what());
  }
  return 1;
}

}  // namespace pv::runtime
