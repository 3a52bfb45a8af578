#pragma once
// One outgoing connection to a webhook receiver, plain TCP or TLS, where every step waits no later
// than one deadline. Private to HttpWebhookSender. Errors are the short, secret-free texts a
// delivery records ("timeout", "connection refused", "connection reset", "TLS: ...").

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <orders/notifier/webhooks/target_policy.hpp>
#include <orders/platform/result.hpp>

namespace orders::notifier::webhooks {

using Deadline = std::chrono::steady_clock::time_point;

// The client side of TLS, set up once and shared by every connection: peer verification on,
// TLS 1.2 at least, the system trust store plus an optional CA file.
class TlsContext {
 public:
  static platform::Result<std::unique_ptr<TlsContext>> Create(const std::string& ca_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class WebhookConnection {
 public:
  // Connects to the first of `addresses` that accepts before the deadline. With `tls`, also
  // completes a TLS handshake that verifies the certificate for `host` (a name gets SNI too).
  static platform::Result<std::unique_ptr<WebhookConnection>> Open(const std::vector<CheckedAddress>& addresses,
                                                                   const std::string& host, bool host_is_ip,
                                                                   const TlsContext* tls, Deadline deadline);
  ~WebhookConnection();
  WebhookConnection(const WebhookConnection&) = delete;
  WebhookConnection& operator=(const WebhookConnection&) = delete;

  platform::Result<void> SendAll(std::string_view bytes, Deadline deadline);
  // Up to `capacity` bytes; 0 when the peer closed the connection.
  platform::Result<std::size_t> Receive(char* into, std::size_t capacity, Deadline deadline);

 private:
  WebhookConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  platform::Result<void> Handshake(Deadline deadline);

  int fd_;
  SSL* ssl_;  // nullptr for plain http
};

}  // namespace orders::notifier::webhooks
