#include <orders/testing/tcp_proxy.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include <orders/testing/loopback.hpp>

namespace orders::testing {
namespace {

// Moves what is readable on `from` to `to`; false when either side is done.
bool Pump(int from, int to) {
  char buffer[65536];
  const ssize_t n = ::recv(from, buffer, sizeof buffer, MSG_DONTWAIT);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  ssize_t sent = 0;
  while (sent < n) {
    const ssize_t m = ::send(to, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
    if (m <= 0) return false;  // blocking socket: m <= 0 only on error
    sent += m;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(std::uint16_t target_port) : TcpProxy(std::vector<std::uint16_t>{target_port}) {}

void TcpProxy::SetTargets(std::vector<std::uint16_t> target_ports) {
  std::lock_guard lock(targets_mutex_);
  targets_ = std::move(target_ports);
}

std::uint16_t TcpProxy::NextTarget() {
  std::lock_guard lock(targets_mutex_);
  if (targets_.empty()) return 0;
  return targets_[next_target_++ % targets_.size()];
}

TcpProxy::TcpProxy(std::vector<std::uint16_t> target_ports) : targets_(std::move(target_ports)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 128) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    throw std::runtime_error("TcpProxy: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  CloseAll();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::Cut() {
  cut_ = true;
  drop_now_ = true;
  (void)!::write(wake_[1], "x", 1);
}

void TcpProxy::Restore() { cut_ = false; }

void TcpProxy::Pause() { paused_ = true; }

void TcpProxy::Resume() {
  paused_ = false;
  (void)!::write(wake_[1], "x", 1);
}

void TcpProxy::CloseAll() {
  for (auto& pair : pairs_) {
    ::close(pair.client);
    ::close(pair.server);
  }
  pairs_.clear();
}

void TcpProxy::Run() {
  while (!stop_) {
    if (drop_now_.exchange(false)) CloseAll();
    std::vector<pollfd> fds = {{listener_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const short events = paused_ ? 0 : POLLIN;  // paused: leave the bytes in the sockets
    for (const auto& pair : pairs_) {
      fds.push_back({pair.client, events, 0});
      fds.push_back({pair.server, events, 0});
    }
    if (::poll(fds.data(), fds.size(), 200) <= 0) continue;
    if (fds[1].revents) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
    }
    std::vector<Pair> alive;
    for (std::size_t i = 0; i < pairs_.size(); ++i) {  // the pairs polled above
      const auto& client_events = fds[2 + 2 * i].revents;
      const auto& server_events = fds[3 + 2 * i].revents;
      bool ok = true;
      if (!paused_ && (client_events & (POLLIN | POLLHUP | POLLERR))) ok = Pump(pairs_[i].client, pairs_[i].server);
      if (!paused_ && ok && (server_events & (POLLIN | POLLHUP | POLLERR))) {
        ok = Pump(pairs_[i].server, pairs_[i].client);
      }
      if (ok) {
        alive.push_back(pairs_[i]);
      } else {
        ::close(pairs_[i].client);
        ::close(pairs_[i].server);
      }
    }
    pairs_ = std::move(alive);
    if (fds[0].revents & POLLIN) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        const int server = cut_ ? -1 : ConnectLoopback(NextTarget());
        if (server < 0) {
          ::close(client);
        } else {
          pairs_.push_back({client, server});
        }
      }
    }
  }
}

}  // namespace orders::testing
