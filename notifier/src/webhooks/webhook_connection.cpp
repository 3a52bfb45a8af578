#include "webhook_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace orders::notifier::webhooks {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd; false when the deadline came first.
bool WaitFor(int fd, short events, Deadline deadline) {
  while (true) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 60'000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

std::string ConnectError(int error) {
  switch (error) {
    case ECONNREFUSED:
      return "connection refused";
    case ETIMEDOUT:
      return "timeout";
    case EHOSTUNREACH:
      return "host unreachable";
    case ENETUNREACH:
      return "network unreachable";
    default:
      return "cannot connect";
  }
}

platform::Error LostError(int error) {
  return platform::Error{error == ECONNRESET || error == EPIPE ? "connection reset" : "connection error"};
}

// Why a handshake failed, from OpenSSL's own words: the verification result or the first error.
std::string TlsFailure(SSL* ssl) {
  const long verified = SSL_get_verify_result(ssl);
  if (verified != X509_V_OK) {
    return std::string("TLS: certificate not accepted (") + X509_verify_cert_error_string(verified) + ")";
  }
  const unsigned long error = ERR_peek_error();
  const char* reason = error ? ERR_reason_error_string(error) : nullptr;
  return reason ? std::string("TLS handshake failed (") + reason + ")" : "TLS handshake failed";
}

}  // namespace

platform::Result<std::unique_ptr<TlsContext>> TlsContext::Create(const std::string& ca_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return platform::Fail("OpenSSL cannot create a TLS context");
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  // A receiver that closes without close_notify has still sent its answer head, or not: the
  // answer reader judges that, not OpenSSL.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
  // Sessions are kept by the connection pool, per origin, and offered on the next connection to
  // it (a resumed handshake skips the certificate exchange); OpenSSL's own client cache is unused.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  if (SSL_CTX_set_default_verify_paths(ctx) != 1) return platform::Fail("OpenSSL cannot find the system trust store");
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    ERR_clear_error();
    return platform::Fail("cannot load the CA file " + ca_file);
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

platform::Result<std::unique_ptr<WebhookConnection>> WebhookConnection::Open(
    const std::vector<CheckedAddress>& addresses, const std::string& host, bool host_is_ip, const TlsContext* tls,
    Deadline deadline, SSL_SESSION* resume) {
  std::string why = "cannot connect";
  int connected = -1;
  for (const auto& address : addresses) {
    if (Clock::now() >= deadline) return platform::Fail("timeout");
    const int fd = ::socket(address.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address.address), address.length) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        if (!WaitFor(fd, POLLOUT, deadline)) {
          ::close(fd);
          return platform::Fail("timeout");
        }
        socklen_t length = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      }
    }
    if (error == 0) {
      // A kept connection carries one small request after another: Nagle would hold one back
      // behind the previous answer's delayed ACK.
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      connected = fd;
      break;
    }
    ::close(fd);
    why = ConnectError(error);
  }
  if (connected < 0) return platform::Fail(why);

  SSL* ssl = nullptr;
  if (tls) {
    ssl = SSL_new(tls->get());
    if (!ssl) {
      ::close(connected);
      return platform::Fail("OpenSSL cannot start a TLS session");
    }
  }
  std::unique_ptr<WebhookConnection> connection(new WebhookConnection(connected, ssl));
  if (ssl) {
    SSL_set_fd(ssl, connected);
    bool named = false;
    if (host_is_ip) {
      named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
    } else {
      // SNI carries names only, never addresses (RFC 6066).
      // SSL_set_tlsext_host_name, without the macro's C cast.
      named = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) ==
                  1 &&
              SSL_set1_host(ssl, host.c_str()) == 1;
    }
    if (!named) return platform::Fail("TLS: cannot check the certificate for this host");
    // A session offered for the same origin: the server may take it (no full handshake) or not.
    if (resume) SSL_set_session(ssl, resume);
    auto handshake = connection->Handshake(deadline);
    if (!handshake) return handshake.error();
  }
  return connection;
}

bool WebhookConnection::Quiet() const {
  if (ssl_ && SSL_pending(ssl_) > 0) return false;
  pollfd entry{fd_, POLLIN, 0};
  return ::poll(&entry, 1, 0) == 0;
}

SSL_SESSION* WebhookConnection::ResumableSession() const {
  if (!ssl_) return nullptr;
  SSL_SESSION* current = SSL_get0_session(ssl_);
  if (!current || SSL_SESSION_is_resumable(current) != 1) return nullptr;
  // A copy: freeing a connection that was not shut down (we never wait for close_notify) marks
  // its own session as not resumable, which would spoil the one kept for the next connection.
  return SSL_SESSION_dup(current);
}

bool WebhookConnection::SessionReused() const { return ssl_ && SSL_session_reused(ssl_) == 1; }

WebhookConnection::~WebhookConnection() {
  if (ssl_) SSL_free(ssl_);
  ::close(fd_);
}

platform::Result<void> WebhookConnection::Handshake(Deadline deadline) {
  while (true) {
    ERR_clear_error();
    const int result = SSL_connect(ssl_);
    if (result == 1) return {};
    const int error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!WaitFor(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return platform::Fail("timeout");
      continue;
    }
    if (error == SSL_ERROR_SYSCALL && (errno == ECONNRESET || errno == EPIPE)) return LostError(errno);
    std::string why = TlsFailure(ssl_);
    ERR_clear_error();
    return platform::Fail(std::move(why));
  }
}

platform::Result<void> WebhookConnection::SendAll(std::string_view bytes, Deadline deadline) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    // Checked here too: a peer that is always ready would otherwise never meet a wait.
    if (Clock::now() >= deadline) return platform::Fail("timeout");
    const std::string_view rest = bytes.substr(sent);
    if (ssl_) {
      ERR_clear_error();
      const int written = SSL_write(ssl_, rest.data(), static_cast<int>(std::min<std::size_t>(rest.size(), 1 << 30)));
      if (written > 0) {
        sent += static_cast<std::size_t>(written);
        continue;
      }
      const int error = SSL_get_error(ssl_, written);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        if (!WaitFor(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return platform::Fail("timeout");
        continue;
      }
      ERR_clear_error();
      if (error == SSL_ERROR_SYSCALL) return LostError(errno);
      return platform::Fail("TLS error");
    }
    const auto written = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (written > 0) {
      sent += static_cast<std::size_t>(written);
      continue;
    }
    if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!WaitFor(fd_, POLLOUT, deadline)) return platform::Fail("timeout");
      continue;
    }
    return LostError(errno);
  }
  return {};
}

platform::Result<std::size_t> WebhookConnection::Receive(char* into, std::size_t capacity, Deadline deadline) {
  while (true) {
    if (Clock::now() >= deadline) return platform::Fail("timeout");
    if (ssl_) {
      ERR_clear_error();
      const int read = SSL_read(ssl_, into, static_cast<int>(std::min<std::size_t>(capacity, 1 << 30)));
      if (read > 0) return static_cast<std::size_t>(read);
      const int error = SSL_get_error(ssl_, read);
      if (error == SSL_ERROR_ZERO_RETURN) return std::size_t{0};
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        if (!WaitFor(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return platform::Fail("timeout");
        continue;
      }
      ERR_clear_error();
      if (error == SSL_ERROR_SYSCALL) return LostError(errno);
      return platform::Fail("TLS error");
    }
    const auto read = ::recv(fd_, into, capacity, 0);
    if (read >= 0) return static_cast<std::size_t>(read);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!WaitFor(fd_, POLLIN, deadline)) return platform::Fail("timeout");
      continue;
    }
    return LostError(errno);
  }
}

}  // namespace orders::notifier::webhooks
