#pragma once
// Loopback TCP helpers shared by the test clients, proxies and private servers.

#include <cstdint>

namespace orders::testing {

// A connected socket to 127.0.0.1:`port` (TCP_NODELAY, close-on-exec), or -1.
int ConnectLoopback(std::uint16_t port);
// True when something accepts connections on 127.0.0.1:`port`.
bool LoopbackPortOpen(std::uint16_t port);
// A free loopback TCP port (bound and released; good enough for tests).
std::uint16_t FreePort();

}  // namespace orders::testing
