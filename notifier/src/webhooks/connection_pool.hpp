#pragma once
// Idle keep-alive connections to webhook receivers, by origin (scheme, host, port), and the last
// resumable TLS session of each origin. Private to HttpWebhookSender.
//
// A connection is given back only after a clean exchange (a 2xx answer read to its end, no
// `Connection: close`); everything else is closed by the sender, never pooled. Bounds: at most
// `max_idle_per_origin` idle connections per origin and `max_idle_total` in all (the oldest go
// first), none idle longer than `idle_timeout` (closed by CloseIdle, which the sender runs every
// few hundred milliseconds, and never handed out past it). Connections in use are not counted
// here: the dispatcher bounds them per endpoint. Thread-safe.

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "webhook_connection.hpp"

namespace orders::notifier::webhooks {

struct PoolSettings {
  std::size_t max_idle_per_origin = 8;
  std::size_t max_idle_total = 64;
  std::chrono::milliseconds idle_timeout{4000};  // under common server keep-alive timeouts (Node: 5 s)
  std::size_t max_sessions = 1024;               // origins whose TLS session is remembered
};

class ConnectionPool {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ConnectionPool(PoolSettings settings);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The most recently used idle connection to `origin` that is still quiet, or null. Stale ones
  // met on the way are closed.
  std::unique_ptr<WebhookConnection> Take(const std::string& origin, Clock::time_point now);
  // Back after a clean exchange.
  void Give(const std::string& origin, std::unique_ptr<WebhookConnection> connection, Clock::time_point now);
  // Closes every connection idle for longer than the idle timeout.
  void CloseIdle(Clock::time_point now);
  std::size_t IdleCount() const;

  // The origin's last resumable TLS session (a new reference, for SSL_SESSION_free), or null.
  SSL_SESSION* Session(const std::string& origin);
  // Takes over `session` (may be null: nothing is remembered).
  void RememberSession(const std::string& origin, SSL_SESSION* session);

 private:
  struct Idle {
    std::unique_ptr<WebhookConnection> connection;
    Clock::time_point since;
  };
  void CloseOldest();

  PoolSettings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, std::deque<Idle>> idle_;  // per origin, oldest first
  std::size_t idle_count_ = 0;
  std::map<std::string, SSL_SESSION*> sessions_;
};

}  // namespace orders::notifier::webhooks
