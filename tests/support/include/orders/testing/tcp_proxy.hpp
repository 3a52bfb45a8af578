#pragma once
// A loopback TCP proxy a test controls, to cut the network between a service
// and its broker or database without touching either: Cut() drops every
// connection and refuses new ones (they are accepted and closed at once, like
// a reset), Restore() lets traffic through again. One thread, poll(2).

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace orders::testing {

class TcpProxy {
 public:
  // Listens on a free loopback port and forwards to 127.0.0.1:`target_port`.
  explicit TcpProxy(std::uint16_t target_port);
  // Round robin: each new connection goes to the next of `target_ports` (a load balancer).
  explicit TcpProxy(std::vector<std::uint16_t> target_ports);
  ~TcpProxy();

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }
  void Cut();
  void Restore();
  // Stops forwarding bytes without closing anything (they wait in the
  // sockets): a peer that answers late, not a network that fails.
  void Pause();
  void Resume();
  // New connections go to these from now on (open ones stay where they are).
  void SetTargets(std::vector<std::uint16_t> target_ports);

 private:
  struct Pair {
    int client = -1;
    int server = -1;
  };
  void Run();
  void CloseAll();

  std::uint16_t NextTarget();

  std::mutex targets_mutex_;
  std::vector<std::uint16_t> targets_;
  std::size_t next_target_ = 0;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<bool> cut_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> drop_now_{false};
  std::vector<Pair> pairs_;  // owned by the proxy thread
  std::thread thread_;
};

}  // namespace orders::testing
