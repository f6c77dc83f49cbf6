#include "stages/runtime/interrupt_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace pv::runtime {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

// The handler may only read what is fully written before `armed` is set.
char gPath[4096];
std::atomic<bool> gArmed{false};
bool gInstalled = false;

void onInterrupt(int sig) {
  if (gArmed.exchange(false)) ::unlink(gPath);
  // SA_RESETHAND restored the default action; SA_NODEFER lets it act now.
  ::raise(sig);
}

}  // namespace

void removeOnInterrupt(const std::string& path) {
  if (path.empty() || path.size() >= sizeof gPath) return;  // too long to keep: left as is
  gArmed = false;
  std::memcpy(gPath, path.c_str(), path.size() + 1);
  gArmed = true;
  if (gInstalled) return;
  gInstalled = true;
  for (int sig : kSignals) {
    struct sigaction old {};
    // Ignored stays ignored; a handler of someone else's is left alone.
    if (::sigaction(sig, nullptr, &old) != 0 || (old.sa_flags & SA_SIGINFO) != 0 ||
        old.sa_handler != SIG_DFL)
      continue;
    struct sigaction action {};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_NODEFER;
    ::sigaction(sig, &action, nullptr);
  }
}

void keepOnInterrupt() { gArmed = false; }

}  // namespace pv::runtime
