#pragma once
// HttpWebhookSender: the real WebhookSender. One POST of one signed CloudEvent per call, on the
// caller's thread (it blocks; run it on a delivery worker, never on an event loop):
//   - the URL is parsed again at every attempt, and its host resolved and checked against the
//     target policy for every new connection; a connection goes only to an address that passed
//     (no DNS rebinding window), and a reused one was opened that way within the idle timeout;
//   - headers: content-type application/json, webhook-id, webhook-timestamp (Unix seconds of
//     this attempt), webhook-signature (Standard Webhooks v1), user-agent, and traceparent when
//     the request has one;
//   - connections are kept alive and reused per origin (scheme, host, port; see
//     connection_pool.hpp): one goes back to the pool only after a 2xx answer whose body was read
//     to its end (Content-Length framed, at most max_response_bytes, read within a short grace)
//     and that did not say `Connection: close`. After an error, a timeout, a partial or
//     unframed answer the connection is closed. A new connection to an https origin offers the
//     origin's last TLS session. A reused connection that the receiver had closed meanwhile
//     (closed or reset before any byte of an answer) is replaced once by a new one: at least
//     once allows the repeat, and the webhook-id is the same;
//   - one deadline (SenderSettings::timeout) covers resolving, connecting, TLS, sending and the
//     answer, so a receiver that hangs or trickles bytes holds a worker no longer than that;
//   - the answer's status line and headers decide, read up to max_response_bytes; a body is
//     read only to reuse the connection (see above), never to judge the answer;
//   - 2xx is delivered. 3xx (never followed), 4xx, 5xx, a timeout, a refused, reset or closed
//     connection, an oversized or malformed answer are failures with a short error ("HTTP 500",
//     "timeout", "connection refused") that never contains the secret or the URL;
//   - https: OpenSSL with SNI, verification of the chain against the system store (plus ca_file
//     when set) and of the host name (or IP address) in the certificate; TLS 1.2 at least.
// The process must ignore SIGPIPE (every service does, through platform::RunService), as OpenSSL
// writes to the socket with write(2). Thread-safe: Post may run on many threads at once.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

class TlsContext;
class ConnectionPool;

struct SenderSettings {
  std::chrono::milliseconds timeout{10'000};     // the whole attempt, resolving included
  std::size_t max_response_bytes = 64 * 1024;    // of the answer's status line and headers
  bool allow_private = false;                    // TargetPolicy::allow_private
  std::string ca_file;                           // PEM file of extra trusted CAs; "" for the system store only
  std::size_t max_idle_per_origin = 8;           // idle keep-alive connections kept per origin; 0: none
  std::size_t max_idle_total = 64;               // and in all
  std::chrono::milliseconds idle_timeout{4000};  // an idle connection is closed after this
};

class HttpWebhookSender final : public WebhookSender {
 public:
  // Fails (throws std::runtime_error) only when OpenSSL cannot set up TLS or ca_file cannot be
  // loaded: a configuration error worth stopping the service for.
  explicit HttpWebhookSender(
      SenderSettings settings, std::function<WallClock::time_point()> now = [] { return WallClock::now(); });
  ~HttpWebhookSender() override;

  PostOutcome Post(const PostRequest& request) override;

  const SenderSettings& settings() const { return settings_; }
  // Idle keep-alive connections now (tests, metrics).
  std::size_t IdleConnections() const;

 private:
  struct Exchange;
  Exchange Attempt(const PostRequest& request, const std::string& bytes, const std::string& origin, bool fresh,
                   std::chrono::steady_clock::time_point deadline);
  void SweepIdle();

  SenderSettings settings_;
  std::function<WallClock::time_point()> now_;
  std::unique_ptr<TlsContext> tls_;
  std::unique_ptr<ConnectionPool> pool_;
  std::mutex sweep_mutex_;
  std::condition_variable sweep_wake_;
  bool stopping_ = false;
  std::thread sweeper_;  // closes idle connections past the idle timeout
};

}  // namespace orders::notifier::webhooks
