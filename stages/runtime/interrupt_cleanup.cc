#include "stages/runtime/interrupt_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace pv::runtime {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

// The handler reads a slot's path only while the slot is armed, and a path
// is written only while its slot is not.
struct Slot {
  char path[4096];
  std::atomic<bool> armed{false};
};
Slot gSlots[4];
bool gInstalled = false;

void onInterrupt(int sig) {
  for (Slot& slot : gSlots)
    if (slot.armed.exchange(false)) ::unlink(slot.path);
  // SA_RESETHAND restored the default action; SA_NODEFER lets it act now.
  ::raise(sig);
}

void install() {
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

}  // namespace

void removeOnInterrupt(const std::string& path) {
  if (path.empty() || path.size() >= sizeof gSlots[0].path) return;  // too long to keep: left as is
  for (Slot& slot : gSlots)
    if (slot.armed && path == slot.path) return;
  for (Slot& slot : gSlots) {
    if (slot.armed) continue;
    std::memcpy(slot.path, path.c_str(), path.size() + 1);
    slot.armed = true;
    install();
    return;
  }
}

void keepOnInterrupt(const std::string& path) {
  for (Slot& slot : gSlots)
    if (slot.armed && path == slot.path) slot.armed = false;
}

void keepOnInterrupt() {
  for (Slot& slot : gSlots) slot.armed = false;
}

}  // namespace pv::runtime
