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
  // completes a TLS handshake that verifies the certificate for `host` (a name gets SNI too),
  // offering `resume` (a session of an earlier connection to the same origin; may be null).
  static platform::Result<std::unique_ptr<WebhookConnection>> Open(const std::vector<CheckedAddress>& addresses,
                                                                   const std::string& host, bool host_is_ip,
                                                                   const TlsContext* tls, Deadline deadline,
                                                                   SSL_SESSION* resume = nullptr);
  ~WebhookConnection();
  WebhookConnection(const WebhookConnection&) = delete;
  WebhookConnection& operator=(const WebhookConnection&) = delete;

  platform::Result<void> SendAll(std::string_view bytes, Deadline deadline);
  // Up to `capacity` bytes; 0 when the peer closed the connection.
  platform::Result<std::size_t> Receive(char* into, std::size_t capacity, Deadline deadline);

  // For an idle connection about to carry another request: nothing is waiting to be read and the
  // peer has not closed or reset it (an idle peer has nothing to say; anything it did say, a
  // close included, makes the connection unfit).
  bool Quiet() const;
  // TLS: a resumable session of this connection (a new reference, for SSL_SESSION_free), else null.
  SSL_SESSION* ResumableSession() const;
  bool SessionReused() const;

 private:
  WebhookConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  platform::Result<void> Handshake(Deadline deadline);

  int fd_;
  SSL* ssl_;  // nullptr for plain http
};

}  // namespace orders::notifier::webhooks
