// orders_http_load: a keep-alive HTTP/1.1 load generator for the benchmarks.
//
//   --port P --connections C --duration S [--rate R] [--request KIND] [--orders N]
//   [--partitions N] [--record FILE] [--json FILE] [--label NAME]
// The bearer token, if any, comes from the environment (ORDERS_TOKEN).
//
// Closed loop (no --rate): every connection sends its next request as soon as
// the previous answer arrived; the figure is the maximum throughput.
// Open loop (--rate R): requests are due at fixed times start + k/R whatever
// the server does; a request that finds no idle connection waits in a backlog,
// and its latency counts from when it was due, not from when it was sent, so
// a stalled server shows up in the percentiles (no coordinated omission).
//
// KIND: get:/path (e.g. get:/healthz), post-order (POST /orders), or
// status-walk: first creates --orders orders (not measured), then moves each
// through confirmed → processing → shipped → out_for_delivery → delivered with
// PUT /orders/{id}/status, never two commands on one order at once. Each PUT
// carries "reason":"t=<CLOCK_REALTIME ns>" so a WebSocket subscriber can time
// command → update (orders_ws_swarm); in the open loop t is when the command
// was due, so time spent waiting for a free connection counts too.
//
// --partitions N (status-walk through a round-robin balancer in front of
// several command-service instances): splits the commands' latency into
// those the receiving instance answered itself and those it forwarded to the
// order's writer (lib/connection_routes.hpp explains how they are told
// apart); N is the topic's partition count.
//
// --record FILE: one JSON line per answer (not for the orders status-walk
// creates beforehand), in the order they came: {"dueNs", "doneNs" (wall clock,
// ns), "status", and for a 2xx "orderId", "version", "orderStatus"}. The
// failover benchmark reads it to time a broker's failover and to hand the
// acknowledged commands to the invariant checker.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cstdlib>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/bench_args.hpp"
#include "lib/bench_clock.hpp"
#include "lib/connection_routes.hpp"
#include "lib/epoll_until.hpp"
#include "lib/latency_histogram.hpp"

namespace orders::bench {
namespace {

using Clock = std::chrono::steady_clock;

const char* const kWalk[] = {"confirmed", "processing", "shipped", "out_for_delivery", "delivered"};
constexpr int kWalkSteps = 5;

struct Pending {
  Clock::time_point due;  // when the request should have been sent
  std::string bytes;
  int order = -1;  // status-walk: which order it moves
};

struct Connection {
  int fd = -1;
  bool busy = false;
  bool closed = false;  // by the server: never used again
  std::string in;
  std::string out;
  std::size_t out_sent = 0;
  Pending current;
};

class LoadGenerator {
 public:
  explicit LoadGenerator(const Args& args)
      : port_(static_cast<std::uint16_t>(args.Number("port", 8080))),
        connections_(static_cast<int>(args.Number("connections", 32))),
        duration_(args.Number("duration", 10)),
        rate_(args.Number("rate", 0)),
        request_(args.Get("request", "post-order")),
        token_(TokenFromEnvironment()),
        routes_(static_cast<std::size_t>(connections_), static_cast<std::int32_t>(args.Number("partitions", 0))),
        split_routes_(args.Number("partitions", 0) > 0) {
    if (args.Has("record")) record_.open(args.Get("record"));
  }

  static std::string TokenFromEnvironment() {
    const char* token = std::getenv("ORDERS_TOKEN");
    return token ? token : "";
  }

  bool Connect() {
    epoll_ = epoll_create1(0);
    for (int i = 0; i < connections_; ++i) {
      Connection connection;
      connection.fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port_);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(connection.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::perror("connect");
        return false;
      }
      int one = 1;
      setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fcntl(connection.fd, F_SETFL, fcntl(connection.fd, F_GETFL) | O_NONBLOCK);
      conns_.push_back(std::move(connection));
    }
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, conns_[i].fd, &event);
    }
    return true;
  }

  // status-walk: creates the orders it will move (closed loop, not measured).
  bool CreateOrders(int count) {
    creating_ = true;
    to_create_ = count;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    for (auto& connection : conns_) IssueNext(connection);
    while (static_cast<int>(orders_.size()) + create_failures_ < count && Clock::now() < deadline) Poll(10);
    creating_ = false;
    for (int i = 0; i < static_cast<int>(orders_.size()); ++i) ready_.push_back(i);
    std::fprintf(stderr, "created %zu orders (%d failed)\n", orders_.size(), create_failures_);
    return !orders_.empty();
  }

  void Run() {
    measuring_ = true;
    start_ = Clock::now();
    const auto end = start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration_));
    if (rate_ <= 0) {
      for (auto& connection : conns_) IssueNext(connection);
      while (Clock::now() < end) Poll(5);
    } else {
      const auto interval = std::chrono::duration<double>(1.0 / rate_);
      std::int64_t issued = 0;
      while (Clock::now() < end) {
        const auto now = Clock::now();
        while (true) {
          const auto due = start_ + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(issued));
          if (due > now || due >= end) break;
          backlog_.push_back(Make(due));
          ++issued;
        }
        max_backlog_ = std::max(max_backlog_, backlog_.size());
        for (auto& connection : conns_) {
          if (backlog_.empty()) break;
          if (!connection.busy && !connection.closed) {
            Send(connection, std::move(backlog_.front()));
            backlog_.pop_front();
          }
        }
        // Until an answer frees a connection or the next request is due; the
        // backlog waits for an answer alone (every connection is busy).
        const auto next_due =
            start_ + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(issued));
        PollUntil(std::min(backlog_.empty() ? next_due : Clock::now() + std::chrono::milliseconds(5), end));
      }
      unsent_ = backlog_.size();
    }
    measured_seconds_ = std::chrono::duration<double>(Clock::now() - start_).count();
    measuring_ = false;
    // Let what is in flight finish (not counted in the throughput window).
    const auto drain = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < drain && InFlight() > 0) Poll(5);
  }

  nlohmann::json Report(const std::string& label) const {
    nlohmann::json statuses = nlohmann::json::object();
    for (const auto& [status, count] : statuses_) statuses[std::to_string(status)] = count;
    nlohmann::json report = {{"label", label},
                             {"mode", rate_ > 0 ? "open" : "closed"},
                             {"target_rate", rate_},
                             {"connections", connections_},
                             {"request", request_},
                             {"seconds", measured_seconds_},
                             {"completed", ok_in_window_},
                             {"throughput_per_s", static_cast<double>(ok_in_window_) / measured_seconds_},
                             {"statuses", statuses},
                             {"errors", errors_},
                             {"closed_by_server", closed_by_server_},
                             {"unsent_at_end", unsent_},
                             {"max_backlog", max_backlog_},
                             {"skipped_no_ready_order", skipped_},
                             {"latency", latency_.Summary()}};
    if (split_routes_) {
      // Counts are of every answer to a command (in the window or after it); latencies of the window's 2xx.
      report["routes"] = {{"local", {{"answers", local_answers_}, {"latency", local_latency_.Summary()}}},
                          {"forwarded", {{"answers", forwarded_answers_}, {"latency", forwarded_latency_.Summary()}}},
                          {"unknown", {{"answers", unknown_answers_}}}};
    }
    return report;
  }

 private:
  std::size_t InFlight() const {
    std::size_t busy = 0;
    for (const auto& connection : conns_) busy += connection.busy && !connection.closed ? 1 : 0;
    return busy;
  }

  std::string Frame(const std::string& method, const std::string& path, const std::string& body) const {
    std::string bytes = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token_.empty()) bytes += "Authorization: Bearer " + token_ + "\r\n";
    if (!body.empty() || method != "GET") {
      bytes += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return bytes + "\r\n" + body;
  }

  static std::string OrderBody(std::uint64_t n) {
    return R"({"customerId":"bench-)" + std::to_string(n % 1000) +
           R"(","items":[{"productId":"sku-1","quantity":2,"unitPriceCents":1250},)"
           R"({"productId":"sku-2","quantity":1,"unitPriceCents":500}],"currency":"EUR"})";
  }

  Pending Make(Clock::time_point due) {
    Pending pending;
    pending.due = due;
    ++sequence_;
    if (creating_ || request_ == "post-order") {
      pending.bytes = Frame("POST", "/orders", OrderBody(sequence_));
    } else if (request_.rfind("get:", 0) == 0) {
      pending.bytes = Frame("GET", request_.substr(4), "");
    } else if (request_ == "status-walk") {
      if (ready_.empty()) {
        ++skipped_;
        pending.bytes.clear();
        return pending;
      }
      pending.order = ready_.front();
      ready_.pop_front();
      auto& order = orders_[static_cast<std::size_t>(pending.order)];
      const std::string body = std::string(R"({"status":")") + kWalk[order.step] + R"(","reason":"t=)" +
                               std::to_string(RealtimeNanos()) + "\"}";
      pending.bytes = Frame("PUT", "/orders/" + order.id + "/status", body);
    }
    return pending;
  }

  // The server ended the connection: a request still on it failed; the
  // connection is not used again (the report says how many were lost).
  void Closed(Connection& connection) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, connection.fd, nullptr);
    ::close(connection.fd);
    connection.closed = true;
    ++closed_by_server_;
    if (connection.busy) {
      if (creating_) ++create_failures_;
      if (measuring_) ++errors_;
    }
    connection.busy = true;
  }

  void IssueNext(Connection& connection) {
    if (connection.closed) return;
    if (creating_ && issued_creates_ >= to_create_) return;
    if (creating_) ++issued_creates_;
    auto pending = Make(Clock::now());
    if (pending.bytes.empty()) return;
    Send(connection, std::move(pending));
  }

  void Send(Connection& connection, Pending pending) {
    if (pending.bytes.empty()) return;
    connection.busy = true;
    connection.out = pending.bytes;
    connection.out_sent = 0;
    connection.current = std::move(pending);
    Flush(connection);
  }

  void Flush(Connection& connection) {
    while (connection.out_sent < connection.out.size()) {
      const ssize_t n = ::send(connection.fd, connection.out.data() + connection.out_sent,
                               connection.out.size() - connection.out_sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the kernel buffer is full; a loopback request this small never stays there long
      connection.out_sent += static_cast<std::size_t>(n);
    }
  }

  void Poll(int timeout_ms) { PollUntil(Clock::now() + std::chrono::milliseconds(timeout_ms)); }

  void PollUntil(Clock::time_point deadline) {
    epoll_event events[256];
    const int n = EpollWaitUntil(epoll_, events, 256, deadline);
    for (int i = 0; i < n; ++i) {
      auto& connection = conns_[events[i].data.u64];
      if (connection.closed) continue;
      char buffer[65536];
      bool ended = false;
      while (true) {
        const ssize_t got = ::recv(connection.fd, buffer, sizeof buffer, 0);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
        if (got <= 0) {
          ended = true;
          break;
        }
        connection.in.append(buffer, static_cast<std::size_t>(got));
      }
      while (auto answer = TakeResponse(connection)) Complete(connection, answer->first, answer->second);
      if (ended) Closed(connection);
    }
    for (auto& connection : conns_) {
      if (connection.busy && !connection.closed && connection.out_sent < connection.out.size()) Flush(connection);
    }
  }

  // One complete response off the connection's buffer: status and body.
  static std::optional<std::pair<int, std::string>> TakeResponse(Connection& connection) {
    const auto header_end = connection.in.find("\r\n\r\n");
    if (header_end == std::string::npos) return std::nullopt;
    const int status = std::atoi(connection.in.c_str() + 9);
    std::size_t length = 0;
    for (std::size_t line = connection.in.find("\r\n") + 2; line < header_end;) {
      const auto next = connection.in.find("\r\n", line);
      if (strncasecmp(connection.in.c_str() + line, "content-length:", 15) == 0) {
        length = std::strtoull(connection.in.c_str() + line + 15, nullptr, 10);
      }
      line = next + 2;
    }
    if (connection.in.size() < header_end + 4 + length) return std::nullopt;
    std::string body = connection.in.substr(header_end + 4, length);
    connection.in.erase(0, header_end + 4 + length);
    return std::make_pair(status, std::move(body));
  }

  void Complete(Connection& connection, int status, const std::string& body) {
    connection.busy = false;
    const auto now = Clock::now();
    const auto index = static_cast<std::size_t>(&connection - conns_.data());
    if (creating_) {
      const auto at = body.find("\"orderId\":\"");
      if (status == 201 && at != std::string::npos) {
        orders_.push_back({body.substr(at + 11, 36), 0});
        routes_.Created(index, orders_.back().id);
      } else {
        ++create_failures_;
      }
      IssueNext(connection);
      return;
    }
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - connection.current.due).count();
    if (record_.is_open()) Record(status, body, micros);
    Route route = Route::kUnknown;
    if (connection.current.order >= 0) {
      auto& order = orders_[static_cast<std::size_t>(connection.current.order)];
      if (split_routes_) {
        route = routes_.RouteOf(index, order.id);
        ++(route == Route::kLocal       ? local_answers_
           : route == Route::kForwarded ? forwarded_answers_
                                        : unknown_answers_);
      }
      if (status == 200 && ++order.step < kWalkSteps) ready_.push_back(connection.current.order);
    }
    if (measuring_) {
      ++statuses_[status];
      if (status >= 200 && status < 300) {
        ++ok_in_window_;
        latency_.Record(micros);
        if (route == Route::kLocal) local_latency_.Record(micros);
        if (route == Route::kForwarded) forwarded_latency_.Record(micros);
      } else {
        ++errors_;
      }
      if (rate_ <= 0) IssueNext(connection);
    }
  }

  // One line of --record: when the request was due and answered on the wall clock, and what it acknowledged.
  void Record(int status, const std::string& body, std::int64_t micros) {
    const std::int64_t done = RealtimeNanos();
    nlohmann::json line = {{"dueNs", done - micros * 1000}, {"doneNs", done}, {"status", status}};
    if (status >= 200 && status < 300) {
      const auto order = nlohmann::json::parse(body, nullptr, false);
      if (order.is_object()) {
        line["orderId"] = order.value("orderId", "");
        line["version"] = order.value("version", 0);
        line["orderStatus"] = order.value("status", "");
      }
    }
    record_ << line.dump() << '\n';
  }

  struct WalkOrder {
    std::string id;
    int step = 0;
  };

  std::uint16_t port_;
  int connections_;
  double duration_;
  double rate_;
  std::string request_;
  std::string token_;
  int epoll_ = -1;
  std::vector<Connection> conns_;
  std::deque<Pending> backlog_;
  std::vector<WalkOrder> orders_;
  std::deque<int> ready_;
  bool creating_ = false;
  bool measuring_ = false;
  int to_create_ = 0;
  int issued_creates_ = 0;
  int create_failures_ = 0;
  std::uint64_t sequence_ = 0;
  Clock::time_point start_;
  double measured_seconds_ = 0;
  std::map<int, std::uint64_t> statuses_;
  std::uint64_t ok_in_window_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t closed_by_server_ = 0;
  std::uint64_t skipped_ = 0;
  std::size_t unsent_ = 0;
  std::size_t max_backlog_ = 0;
  LatencyHistogram latency_;
  ConnectionRoutes routes_;
  bool split_routes_;
  std::uint64_t local_answers_ = 0;
  std::uint64_t forwarded_answers_ = 0;
  std::uint64_t unknown_answers_ = 0;
  LatencyHistogram local_latency_;
  LatencyHistogram forwarded_latency_;
  std::ofstream record_;
};

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  orders::bench::LoadGenerator generator(args);
  if (!generator.Connect()) return 1;
  if (args.Get("request") == "status-walk" && !generator.CreateOrders(static_cast<int>(args.Number("orders", 2000)))) {
    std::fprintf(stderr, "could not create any order\n");
    return 1;
  }
  generator.Run();
  const auto report = generator.Report(args.Get("label", "http"));
  orders::bench::Emit(report, args);
  return 0;
}
