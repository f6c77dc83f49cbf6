// freeTcpPort: ports outside the kernel's ephemeral range, free, distinct
// from those already handed out.

#include "stages/runtime/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "tests/composition/process.h"

namespace pv::runtime {
namespace {

using pv::testing::ScratchDir;
using pv::testing::spit;

// A socket listening on 127.0.0.1:`port` (bind and listen, as ZeroMQ
// does), or -1 when the port is taken.
int listenOn(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd, 1) == 0) return fd;
  ::close(fd);
  return -1;
}

// Whether a listener can take `port` on 127.0.0.1 now (then released).
bool listenable(int port) {
  const int fd = listenOn(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

TEST(FreePort, theEphemeralRangeIsReadOrDefaulted) {
  ScratchDir dir;
  spit(dir.path() + "/range", "40000\t50000\n");
  EXPECT_EQ(ephemeralPortRange(dir.path() + "/range"), (PortRange{40000, 50000}));
  for (const char* bad : {"", "40000", "50000 40000", "0 100", "1024 70000", "x y"}) {
    spit(dir.path() + "/range", bad);
    EXPECT_EQ(ephemeralPortRange(dir.path() + "/range"), (PortRange{32768, 60999})) << "'" << bad << "'";
  }
  EXPECT_EQ(ephemeralPortRange(dir.path() + "/none"), (PortRange{32768, 60999}));
}

TEST(FreePort, portsAreDrawnFromOutsideTheEphemeralRangeAbove20000) {
  using Ranges = std::vector<PortRange>;
  EXPECT_EQ(portsOutside({32768, 60999}), (Ranges{{20000, 32767}, {61000, 65535}}));
  EXPECT_EQ(portsOutside({1024, 40000}), (Ranges{{40001, 65535}}));
  EXPECT_EQ(portsOutside({25000, 65535}), (Ranges{{20000, 24999}}));
  EXPECT_EQ(portsOutside({10000, 15000}), (Ranges{{20000, 65535}}));
  EXPECT_TRUE(portsOutside({1024, 65535}).empty());
  EXPECT_TRUE(portsOutside({20000, 65535}).empty());
}

TEST(FreePort, aPortIsFreeOutsideTheEphemeralRangeAndNotOneAlreadyGiven) {
  const PortRange ephemeral = ephemeralPortRange();
  std::vector<int> given;
  for (int i = 0; i < 40; ++i) {
    const int port = freeTcpPort("127.0.0.1", given);
    EXPECT_GE(port, 20000);
    EXPECT_TRUE(port < ephemeral.first || port > ephemeral.last) << port;
    EXPECT_EQ(std::count(given.begin(), given.end(), port), 0) << port;
    EXPECT_TRUE(listenable(port)) << port;
    given.push_back(port);
  }
}

TEST(FreePort, aPortHeldByAListenerIsNotGiven) {
  // Every port but two of the draw's ranges given already: the first of
  // the two is held by a listener, so the second must come back.
  std::vector<int> avoid;
  for (const PortRange& r : portsOutside(ephemeralPortRange()))
    for (int p = r.first; p <= r.last; ++p) avoid.push_back(p);
  ASSERT_GE(avoid.size(), 2u);
  int held = -1, fd = -1;
  for (size_t i = 0; i + 1 < avoid.size() && fd < 0; ++i) {
    fd = listenOn(avoid[i]);
    if (fd >= 0 && listenable(avoid[i + 1])) {
      held = avoid[i];
      avoid.erase(avoid.begin() + static_cast<long>(i), avoid.begin() + static_cast<long>(i) + 2);
    } else if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ASSERT_GE(held, 0) << "no two neighbouring free ports";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(freeTcpPort("127.0.0.1", avoid), held + 1);
  ::close(fd);
}

TEST(FreePort, anAddressThatIsNotThisMachinesIsNamed) {
  try {
    freeTcpPort("192.0.2.1");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot find a free port on 192.0.2.1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("give --base-port"), std::string::npos) << e.what();
  }
  EXPECT_THROW(freeTcpPort("localhost"), std::runtime_error);
}

}  // namespace
}  // namespace pv::runtime
