// Webhook deliveries for bench.sh's `webhooks` phase.
//
// An embedded receiver on 127.0.0.1 (a thread per connection, 204 at once)
// checks each POST's Standard Webhooks signature, counts it by webhook-id and
// times it from the CloudEvent's `time` (when the event was decided, in ms)
// to its arrival, on the same host's clock.
//
//   --mode deliveries  registers an endpoint for order.placed at the notifier
//       (ORDERS_TOKEN: a staff or service token), with --with-hanging a second
//       one whose listener accepts and never answers; places orders through the
//       command API (--connections clients, closed loop; or --rate per second)
//       for --duration seconds; waits (at most --timeout s) until every order's
//       delivery arrived; removes the endpoints. Reports deliveries per second
//       (first placement -> last delivery), append -> receipt p50/p99/p99.9,
//       duplicates (the same webhook-id twice), bad signatures and missing ones.
//   --mode receive     registers the endpoint(s) like `deliveries`, prints
//       {"ready":true} and then only receives (the script feeds the topic, e.g.
//       with orders_kafka_load --mode raw, faster than webhooks drain it) until
//       --idle seconds pass without a delivery. Reports the drain rate (first ->
//       last delivery), latency, duplicates and bad signatures.
//   --mode baseline    posts signed CloudEvents of the same shape and size,
//       signing each request as the notifier does, from --connections
//       keep-alive clients to the same receiver for --duration seconds.
//       Reports deliveries per second.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <orders/platform/uuid.hpp>

#include "lib/bench_args.hpp"
#include "lib/bench_clock.hpp"
#include "lib/keepalive_http.hpp"
#include "lib/latency_histogram.hpp"

namespace orders::bench {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string Base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string SecretKey(const std::string& secret) {
  const std::string encoded = secret.rfind("whsec_", 0) == 0 ? secret.substr(6) : secret;
  std::string key(3 * encoded.size() / 4 + 3, '\0');
  const int written =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                      reinterpret_cast<const unsigned char*>(encoded.data()), static_cast<int>(encoded.size()));
  if (written < 0) return {};
  std::size_t size = static_cast<std::size_t>(written);
  for (auto it = encoded.rbegin(); it != encoded.rend() && *it == '='; ++it) --size;  // padding decodes to zeros
  key.resize(size);
  return key;
}

// v1,<base64 HMAC-SHA256(key, id.timestamp.body)>
std::string Signature(const std::string& key, const std::string& id, const std::string& timestamp,
                      const std::string& body) {
  const std::string signed_text = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &size);
  return "v1," + Base64(mac, size);
}

// "2026-12-05T01:02:03.456Z" -> Unix nanoseconds; 0 when unreadable.
std::int64_t RfcTimeNanos(const std::string& text) {
  std::tm parts{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &parts.tm_year, &parts.tm_mon, &parts.tm_mday, &parts.tm_hour,
                  &parts.tm_min, &parts.tm_sec, &millis) != 7) {
    return 0;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return (static_cast<std::int64_t>(timegm(&parts)) * 1000 + millis) * 1'000'000;
}

int Listen(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 512) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return fd;
}

// Accepts until stopped; each connection gets `serve(fd)` on its own thread.
class Listener {
 public:
  template <typename Serve>
  Listener(std::atomic<bool>& stop, Serve serve) : stop_(stop) {
    fd_ = Listen(port_);
    thread_ = std::thread([this, serve] {
      while (!stop_) {
        pollfd waiter{fd_, POLLIN, 0};
        if (::poll(&waiter, 1, 100) <= 0) continue;
        const int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) continue;
        int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard lock(mutex_);
        clients_.push_back(client);
        connections_.emplace_back([serve, client] { serve(client); });
      }
    });
  }
  ~Listener() {
    thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int client : clients_) ::shutdown(client, SHUT_RDWR);
    }
    for (auto& connection : connections_) connection.join();
    for (int client : clients_) ::close(client);
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  bool ok() const { return fd_ >= 0; }

 private:
  std::atomic<bool>& stop_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::vector<int> clients_;
  std::vector<std::thread> connections_;
  std::thread thread_;
};

struct Receipts {
  std::mutex mutex;
  std::unordered_set<std::string> ids;
  std::unordered_set<std::string> subjects;
  LatencyHistogram latency;  // micros, event time -> arrival
  std::uint64_t duplicates = 0;
  std::uint64_t bad_signatures = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
};

std::string HeaderValue(const std::string& head, const std::string& lower_name) {
  std::string lower(head.size(), '\0');
  for (std::size_t i = 0; i < head.size(); ++i) lower[i] = static_cast<char>(std::tolower(head[i]));
  const auto at = lower.find("\r\n" + lower_name + ":");
  if (at == std::string::npos) return {};
  auto start = at + 2 + lower_name.size() + 1;
  while (start < head.size() && head[start] == ' ') ++start;
  return head.substr(start, head.find("\r\n", start) - start);
}

// Reads requests framed by Content-Length and answers each with 204.
void ServeReceiver(int fd, Receipts& receipts, const std::string& key) {
  std::string buffer;
  char chunk[65536];
  while (true) {
    const auto head_end = buffer.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const std::string head = buffer.substr(0, head_end);
      const std::size_t length = std::strtoul(HeaderValue(head, "content-length").c_str(), nullptr, 10);
      if (buffer.size() >= head_end + 4 + length) {
        const std::string body = buffer.substr(head_end + 4, length);
        buffer.erase(0, head_end + 4 + length);
        const std::int64_t now = RealtimeNanos();
        static const std::string kAnswer = "HTTP/1.1 204 No Content\r\n\r\n";
        if (::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) < 0) return;
        const std::string id = HeaderValue(head, "webhook-id");
        const bool signed_right =
            HeaderValue(head, "webhook-signature") == Signature(key, id, HeaderValue(head, "webhook-timestamp"), body);
        const json event = json::parse(body, nullptr, false);
        const std::string time = event.is_object() ? event.value("time", "") : "";
        const std::string subject = event.is_object() ? event.value("subject", "") : "";
        std::lock_guard lock(receipts.mutex);
        if (!signed_right) ++receipts.bad_signatures;
        if (!receipts.ids.insert(id).second) {
          ++receipts.duplicates;
          continue;
        }
        receipts.subjects.insert(subject);
        if (const auto at = RfcTimeNanos(time); at > 0) receipts.latency.Record((now - at) / 1000);
        if (receipts.first_ns == 0) receipts.first_ns = now;
        receipts.last_ns = now;
        continue;
      }
    }
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

// Accepts and reads, never answers: a receiver that hangs.
void ServeNothing(int fd) {
  char chunk[65536];
  while (::recv(fd, chunk, sizeof chunk, 0) > 0) {
  }
}

class WebhookLoad {
 public:
  explicit WebhookLoad(const Args& args)
      : args_(args),
        command_port_(static_cast<std::uint16_t>(args.Number("command-port", 8080))),
        notifier_port_(static_cast<std::uint16_t>(args.Number("notifier-port", 8082))),
        duration_s_(args.Number("duration", 10)),
        rate_(args.Number("rate", 0)),
        connections_(static_cast<int>(args.Number("connections", 16))),
        timeout_s_(args.Number("timeout", 60)),
        token_(Env("ORDERS_TOKEN")) {}

  json Deliveries() {
    Listener receiver(stop_, [this](int fd) { ServeReceiver(fd, receipts_, key_); });
    Listener hanging(stop_, [](int fd) { ServeNothing(fd); });
    const auto endpoints = RegisterEndpoints(receiver, hanging);
    if (!endpoints) return Failure(error_);
    const auto& [healthy, hung] = *endpoints;
    const auto started_ns = RealtimeNanos();
    const std::size_t placed = Place();
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s_);
    while (Clock::now() < deadline) {
      {
        std::lock_guard lock(receipts_.mutex);
        if (receipts_.subjects.size() >= placed) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop_ = true;
    Remove(healthy);
    if (hung) Remove(*hung);
    std::lock_guard lock(receipts_.mutex);
    const double seconds = static_cast<double>(receipts_.last_ns - started_ns) / 1e9;
    return json{{"mode", "deliveries"},
                {"with_hanging", hung.has_value()},
                {"placed", placed},
                {"delivered", receipts_.subjects.size()},
                {"missing", placed - std::min(placed, receipts_.subjects.size())},
                {"duplicates", receipts_.duplicates},
                {"bad_signatures", receipts_.bad_signatures},
                {"deliveries_per_second", seconds > 0 ? static_cast<double>(receipts_.ids.size()) / seconds : 0.0},
                {"place_failures", place_failures_.load()},
                {"latency_ms", receipts_.latency.Summary()}};
  }

  json Receive() {
    Listener receiver(stop_, [this](int fd) { ServeReceiver(fd, receipts_, key_); });
    Listener hanging(stop_, [](int fd) { ServeNothing(fd); });
    const auto endpoints = RegisterEndpoints(receiver, hanging);
    if (!endpoints) return Failure(error_);
    const auto& [healthy, hung] = *endpoints;
    std::printf("{\"ready\":true}\n");
    std::fflush(stdout);
    const auto idle = std::chrono::duration<double>(args_.Number("idle", 5));
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s_);
    std::size_t seen = 0;
    auto last_change = Clock::now();
    while (Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::lock_guard lock(receipts_.mutex);
      if (receipts_.ids.size() != seen) {
        seen = receipts_.ids.size();
        last_change = Clock::now();
      } else if (seen > 0 && Clock::now() - last_change > idle) {
        break;
      }
    }
    stop_ = true;
    Remove(healthy);
    if (hung) Remove(*hung);
    std::lock_guard lock(receipts_.mutex);
    const double seconds = static_cast<double>(receipts_.last_ns - receipts_.first_ns) / 1e9;
    return json{{"mode", "receive"},
                {"with_hanging", hung.has_value()},
                {"delivered", receipts_.ids.size()},
                {"duplicates", receipts_.duplicates},
                {"bad_signatures", receipts_.bad_signatures},
                {"deliveries_per_second", seconds > 0 ? static_cast<double>(receipts_.ids.size()) / seconds : 0.0},
                {"latency_ms", receipts_.latency.Summary()}};
  }

  json Baseline() {
    const std::string secret =
        "whsec_" + Base64(reinterpret_cast<const unsigned char*>("bench-baseline-key-32-bytes-long"), 32);
    key_ = SecretKey(secret);
    Listener receiver(stop_, [this](int fd) { ServeReceiver(fd, receipts_, key_); });
    if (!receiver.ok()) return Failure("could not listen on 127.0.0.1");
    std::atomic<std::uint64_t> sent{0};
    const auto started_ns = RealtimeNanos();
    const auto until = Clock::now() + std::chrono::duration<double>(duration_s_);
    std::vector<std::thread> clients;
    for (int c = 0; c < connections_; ++c) {
      clients.emplace_back([&] {
        KeepAliveHttp http(receiver.port(), "");
        while (Clock::now() < until) {
          const std::string order_id = platform::NewUuid();
          const std::string body = SampleEvent(order_id);
          const std::string id = platform::NewUuid();
          const std::string timestamp = std::to_string(std::time(nullptr));
          const auto answer = http.SendWithHeaders("POST", "/hook", body,
                                                   {{"webhook-id", id},
                                                    {"webhook-timestamp", timestamp},
                                                    {"webhook-signature", Signature(key_, id, timestamp, body)}});
          if (answer.status / 100 == 2) ++sent;
        }
      });
    }
    for (auto& client : clients) client.join();
    stop_ = true;
    std::lock_guard lock(receipts_.mutex);
    const double seconds = static_cast<double>(receipts_.last_ns - started_ns) / 1e9;
    return json{{"mode", "baseline"},
                {"delivered", receipts_.ids.size()},
                {"bad_signatures", receipts_.bad_signatures},
                {"deliveries_per_second", seconds > 0 ? static_cast<double>(receipts_.ids.size()) / seconds : 0.0},
                {"latency_ms", receipts_.latency.Summary()}};
  }

 private:
  json Failure(const std::string& why) {
    std::fprintf(stderr, "orders_webhook_load: %s\n", why.c_str());
    stop_ = true;
    return json{{"error", why}};
  }

  // The same shape and size as the notifier's order.placed CloudEvent.
  static std::string SampleEvent(const std::string& order_id) {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    char time[64];
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, static_cast<int>(millis));
    return json{{"specversion", "1.0"},
                {"id", platform::NewUuid()},
                {"type", "order.placed.v1"},
                {"source", "/command-service"},
                {"time", time},
                {"subject", order_id},
                {"datacontenttype", "application/json"},
                {"data",
                 {{"orderId", order_id},
                  {"version", 1},
                  {"at", time},
                  {"customerId", "bench-customer"},
                  {"currency", "USD"},
                  {"items", {{{"productId", "bench-product"}, {"quantity", 1}, {"unitPriceCents", 500}}}},
                  {"totalCents", 500}}}}
        .dump();
  }

  struct Endpoints {
    std::string healthy;
    std::optional<std::string> hung;  // with --with-hanging
  };

  // The receiver's endpoint (its secret becomes key_) and, with --with-hanging,
  // one at the listener that never answers; once the notifier has them.
  std::optional<Endpoints> RegisterEndpoints(const Listener& receiver, const Listener& hanging) {
    if (!receiver.ok() || !hanging.ok()) {
      error_ = "could not listen on 127.0.0.1";
      return std::nullopt;
    }
    std::string secret;
    const auto healthy = Register(receiver.port(), secret);
    if (!healthy) return std::nullopt;
    key_ = SecretKey(secret);
    Endpoints endpoints{*healthy, std::nullopt};
    if (args_.Has("with-hanging")) {
      std::string unused;
      endpoints.hung = Register(hanging.port(), unused);
      if (!endpoints.hung) return std::nullopt;
    }
    AwaitPickup();
    return endpoints;
  }

  // Notifier instances pick a new registration up within their refresh period
  // (3 s); events appended before that are not delivered to it.
  void AwaitPickup() const { std::this_thread::sleep_for(std::chrono::duration<double>(args_.Number("pickup", 4))); }

  std::optional<std::string> Register(std::uint16_t port, std::string& secret) {
    KeepAliveHttp http(notifier_port_, token_);
    const json request{{"url", "http://127.0.0.1:" + std::to_string(port) + "/hook"},
                       {"events", {"order.placed"}},
                       {"description", "bench"}};
    const auto answer = http.Send("POST", "/webhooks", request.dump());
    const json body = json::parse(answer.body, nullptr, false);
    if (answer.status != 201 || !body.is_object() || !body.contains("id")) {
      error_ =
          "could not register an endpoint: HTTP " + std::to_string(answer.status) + " " + answer.body.substr(0, 300);
      return std::nullopt;
    }
    secret = body.value("secret", "");
    return body["id"].get<std::string>();
  }

  void Remove(const std::string& id) {
    KeepAliveHttp http(notifier_port_, token_);
    http.Send("DELETE", "/webhooks/" + id);
  }

  // Closed loop on each client, or paced at --rate; returns the orders placed.
  std::size_t Place() {
    std::atomic<std::size_t> placed{0};
    const auto start = Clock::now();
    const auto until = start + std::chrono::duration<double>(duration_s_);
    std::atomic<std::uint64_t> next{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < connections_; ++c) {
      clients.emplace_back([&] {
        KeepAliveHttp http(command_port_, token_);
        while (true) {
          const std::uint64_t n = next++;
          if (rate_ > 0) {
            const auto due = start + std::chrono::duration<double>(static_cast<double>(n) / rate_);
            if (due >= until) return;
            std::this_thread::sleep_until(due);
          } else if (Clock::now() >= until) {
            return;
          }
          const std::string id = platform::NewUuid();
          const json order{{"orderId", id},
                           {"customerId", "bench-customer"},
                           {"items", {{{"productId", "bench-product"}, {"quantity", 1}, {"unitPriceCents", 500}}}}};
          if (http.Send("POST", "/orders", order.dump()).status == 201) {
            ++placed;
          } else {
            ++place_failures_;
          }
        }
      });
    }
    for (auto& client : clients) client.join();
    return placed;
  }

  const Args& args_;
  std::uint16_t command_port_, notifier_port_;
  double duration_s_, rate_;
  int connections_;
  double timeout_s_;
  std::string token_, key_, error_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> place_failures_{0};
  Receipts receipts_;
};

}  // namespace
}  // namespace orders::bench

int main(int argc, char** argv) {
  const orders::bench::Args args(argc, argv);
  orders::bench::WebhookLoad load(args);
  const std::string mode = args.Get("mode", "deliveries");
  const auto report = mode == "baseline" ? load.Baseline() : mode == "receive" ? load.Receive() : load.Deliveries();
  orders::bench::Emit(report, args);
  return report.contains("error") ? 1 : 0;
}
