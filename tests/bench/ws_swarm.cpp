// orders_ws_swarm: many WebSocket subscribers that time every update.
//
//   --port P --clients N --duration S [--path /ws] [--subscribe JSON]
//   [--publish-rate R --publish-path /publish] [--stalled K] [--ready-file F] [--json FILE] [--label NAME]
//
// Each client completes the handshake, sends the subscribe message (default:
// every order) and then counts every text message whose "reason" is
// "t=<CLOCK_REALTIME ns>" (stamped by whoever caused the update: the command
// load generator, the event feeder, or this tool's own publisher), recording
// now − t as the delivery latency. Pings are answered.
//
// With --stalled K, K more clients subscribe the same way and then never read:
// slow consumers, to show whether they cost the others latency.
//
// With --publish-rate, one extra connection to --publish-path sends update
// messages at that rate; a plain broadcast server (the Node.js baseline)
// relays them to the subscribers.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdlib>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <orders/notifier/frame_codec.hpp>

#include "lib/bench_args.hpp"
#include "lib/bench_clock.hpp"
#include "lib/epoll_until.hpp"
#include "lib/latency_histogram.hpp"

namespace orders::bench {
namespace {

using Clock = std::chrono::steady_clock;
using notifier::Opcode;

constexpr std::array<std::uint8_t, 4> kMask = {0x12, 0x34, 0x56, 0x78};

// Opens a WebSocket (blocking handshake); returns the fd or -1.
int OpenWebSocket(std::uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // The bearer token, if any, comes from the environment (ORDERS_TOKEN).
  const char* token = std::getenv("ORDERS_TOKEN");
  const std::string authorization = token && *token ? "Authorization: Bearer " + std::string(token) + "\r\n" : "";
  const std::string request = "GET " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                              authorization + "\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return -1;
  }
  // Read the answer byte by byte up to the blank line, so no frame byte is consumed.
  std::string answer;
  char c;
  while (answer.size() < 4096 && answer.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) break;
    answer.push_back(c);
  }
  if (answer.rfind("HTTP/1.1 101", 0) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct Client {
  int fd = -1;
  notifier::FrameParser parser{notifier::FrameLimits{1 << 24, 1 << 24}, /*expect_masked=*/false};
  std::uint64_t updates = 0;
};

class Swarm {
 public:
  explicit Swarm(const Args& args)
      : port_(static_cast<std::uint16_t>(args.Number("port", 8082))),
        path_(args.Get("path", "/ws")),
        subscribe_(args.Get("subscribe", R"({"type":"subscribe","all":true})")),
        duration_(args.Number("duration", 10)),
        publish_rate_(args.Number("publish-rate", 0)),
        publish_path_(args.Get("publish-path", "/publish")),
        ready_file_(args.Get("ready-file")) {
    clients_.resize(static_cast<std::size_t>(args.Number("clients", 100)));
    stalled_.resize(static_cast<std::size_t>(args.Number("stalled", 0)), -1);
  }

  bool Connect() {
    const auto started = Clock::now();
    epoll_ = epoll_create1(0);
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      auto& client = clients_[i];
      client.fd = OpenWebSocket(port_, path_);
      if (client.fd < 0) {
        std::fprintf(stderr, "client %zu could not connect\n", i);
        return false;
      }
      SendFrame(client.fd, Opcode::kText, subscribe_);
      fcntl(client.fd, F_SETFL, fcntl(client.fd, F_GETFL) | O_NONBLOCK);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, client.fd, &event);
    }
    if (publish_rate_ > 0) {
      publisher_ = OpenWebSocket(port_, publish_path_);
      if (publisher_ < 0) return false;
    }
    for (auto& fd : stalled_) {
      fd = OpenWebSocket(port_, path_);
      if (fd < 0) return false;
      int small = 4096;  // a small receive buffer: the server's queue fills sooner
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      SendFrame(fd, Opcode::kText, subscribe_);
    }
    if (!ready_file_.empty()) std::ofstream(ready_file_) << "connected\n";
    std::fprintf(stderr, "%zu clients connected in %.2f s\n", clients_.size(),
                 std::chrono::duration<double>(Clock::now() - started).count());
    return true;
  }

  void Run() {
    // Let the subscriptions settle (snapshots are not counted).
    const auto settle = Clock::now() + std::chrono::milliseconds(500);
    while (Clock::now() < settle) Poll(10);
    measuring_ = true;
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_));
    std::int64_t published = 0;
    while (Clock::now() < end) {
      if (publisher_ < 0) {
        Poll(5);
        continue;
      }
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      while (published < static_cast<std::int64_t>(elapsed * publish_rate_)) Publish(++published);
      const auto next =
          start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(published / publish_rate_));
      PollUntil(std::min(next, end));
    }
    seconds_ = std::chrono::duration<double>(Clock::now() - start).count();
    published_ = published;
    // Deliveries still on their way are counted (with their latency) for a short grace period.
    const auto grace = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < grace) Poll(10);
  }

  nlohmann::json Report(const std::string& label) const {
    std::uint64_t min_updates = UINT64_MAX, max_updates = 0;
    for (const auto& client : clients_) {
      min_updates = std::min(min_updates, client.updates);
      max_updates = std::max(max_updates, client.updates);
    }
    return {{"label", label},
            {"clients", clients_.size()},
            {"stalled_clients", stalled_.size()},
            {"seconds", seconds_},
            {"deliveries", deliveries_},
            // Over the span in which updates arrived, so the feeder's timing does not matter.
            {"deliveries_per_s", deliveries_ < 2
                                     ? 0.0
                                     : static_cast<double>(deliveries_) /
                                           std::chrono::duration<double>(last_delivery_ - first_delivery_).count()},
            {"published", published_},
            {"per_client_min", min_updates},
            {"per_client_max", max_updates},
            {"closed_by_server", closed_},
            {"latency", latency_.Summary()}};
  }

 private:
  static void SendFrame(int fd, Opcode opcode, const std::string& payload) {
    const std::string frame = notifier::EncodeFrame(opcode, payload, true, kMask);
    std::size_t sent = 0;
    while (sent < frame.size()) {
      const ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        if (errno == EAGAIN) continue;
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  void Publish(std::int64_t n) {
    const std::string text =
        R"({"type":"update","orderId":"00000000-0000-4000-8000-)" + Twelve(n % 1000) + R"(","version":)" +
        std::to_string(n) +
        R"(,"status":"shipped","previousStatus":"processing","at":"2026-11-28T10:00:00.000Z","reason":"t=)" +
        std::to_string(RealtimeNanos()) + "\"}";
    SendFrame(publisher_, Opcode::kText, text);
  }

  static std::string Twelve(std::int64_t n) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%012lld", static_cast<long long>(n));
    return buffer;
  }

  void Poll(int timeout_ms) { PollUntil(Clock::now() + std::chrono::milliseconds(timeout_ms)); }

  void PollUntil(Clock::time_point deadline) {
    epoll_event events[512];
    const int n = EpollWaitUntil(epoll_, events, 512, deadline);
    char buffer[65536];
    std::vector<notifier::WsMessage> messages;
    for (int i = 0; i < n; ++i) {
      auto& client = clients_[events[i].data.u64];
      while (true) {
        const ssize_t got = ::recv(client.fd, buffer, sizeof buffer, 0);
        if (got == 0 || (got < 0 && errno != EAGAIN)) {
          ++closed_;
          epoll_ctl(epoll_, EPOLL_CTL_DEL, client.fd, nullptr);
          break;
        }
        if (got < 0) break;
        messages.clear();
        if (client.parser.Feed(std::string_view(buffer, static_cast<std::size_t>(got)), messages)) break;
        const auto now = RealtimeNanos();
        for (const auto& message : messages) {
          if (message.opcode == Opcode::kPing) {
            SendFrame(client.fd, Opcode::kPong, message.payload);
            continue;
          }
          if (message.opcode != Opcode::kText || !measuring_) continue;
          const auto at = message.payload.find("\"reason\":\"t=");
          if (at == std::string::npos) continue;
          const long long stamp = std::strtoll(message.payload.c_str() + at + 12, nullptr, 10);
          ++client.updates;
          if (deliveries_++ == 0) first_delivery_ = Clock::now();
          last_delivery_ = Clock::now();
          latency_.Record((now - stamp) / 1000);
        }
      }
    }
  }

  std::uint16_t port_;
  std::string path_;
  std::string subscribe_;
  double duration_;
  double publish_rate_;
  std::string publish_path_;
  std::string ready_file_;  // written once every client is subscribed
  int epoll_ = -1;
  int publisher_ = -1;
  std::vector<Client> clients_;
  std::vector<int> stalled_;  // connected, subscribed, never read
  bool measuring_ = false;
  double seconds_ = 0;
  std::int64_t published_ = 0;
  std::uint64_t deliveries_ = 0;
  Clock::time_point first_delivery_, last_delivery_;
  std::uint64_t closed_ = 0;
  LatencyHistogram latency_;
};

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  orders::bench::Swarm swarm(args);
  if (!swarm.Connect()) return 1;
  swarm.Run();
  const auto report = swarm.Report(args.Get("label", "ws"));
  orders::bench::Emit(report, args);
  return 0;
}
