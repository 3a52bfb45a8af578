#pragma once
// HttpWebhookSender: the real WebhookSender. One POST of one signed CloudEvent per call, on the
// caller's thread (it blocks; run it on a delivery worker, never on an event loop):
//   - the URL is parsed again and its host resolved and checked against the target policy at
//     every attempt; the connection goes only to an address that passed (no DNS rebinding window);
//   - headers: content-type application/json, webhook-id, webhook-timestamp (Unix seconds of
//     this attempt), webhook-signature (Standard Webhooks v1), user-agent; Connection: close;
//   - one deadline (SenderSettings::timeout) covers resolving, connecting, TLS, sending and the
//     answer, so a receiver that hangs or trickles bytes holds a worker no longer than that;
//   - the answer is read only until its status line and headers are in, at most
//     max_response_bytes; the body is never read;
//   - 2xx is delivered. 3xx (never followed), 4xx, 5xx, a timeout, a refused, reset or closed
//     connection, an oversized or malformed answer are failures with a short error ("HTTP 500",
//     "timeout", "connection refused") that never contains the secret or the URL;
//   - https: OpenSSL with SNI, verification of the chain against the system store (plus ca_file
//     when set) and of the host name (or IP address) in the certificate; TLS 1.2 at least.
// The process must ignore SIGPIPE (every service does, through platform::RunService), as OpenSSL
// writes to the socket with write(2). Thread-safe: Post may run on many threads at once.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

class TlsContext;

struct SenderSettings {
  std::chrono::milliseconds timeout{10'000};   // the whole attempt, resolving included
  std::size_t max_response_bytes = 64 * 1024;  // of the answer's status line and headers
  bool allow_private = false;                  // TargetPolicy::allow_private
  std::string ca_file;                         // PEM file of extra trusted CAs; "" for the system store only
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

 private:
  SenderSettings settings_;
  std::function<WallClock::time_point()> now_;
  std::unique_ptr<TlsContext> tls_;
};

}  // namespace orders::notifier::webhooks
