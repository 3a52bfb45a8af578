#include "connection_pool.hpp"

#include <vector>

namespace orders::notifier::webhooks {

ConnectionPool::ConnectionPool(PoolSettings settings) : settings_(settings) {}

ConnectionPool::~ConnectionPool() {
  for (auto& [origin, session] : sessions_) SSL_SESSION_free(session);
}

std::unique_ptr<WebhookConnection> ConnectionPool::Take(const std::string& origin, Clock::time_point now) {
  std::vector<std::unique_ptr<WebhookConnection>> stale;  // closed outside the lock
  std::unique_ptr<WebhookConnection> found;
  {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    auto& queue = it->second;
    while (!queue.empty() && !found) {
      Idle idle = std::move(queue.back());
      queue.pop_back();
      --idle_count_;
      // Past the idle timeout the receiver may be closing it right now: not worth the race.
      if (now - idle.since <= settings_.idle_timeout && idle.connection->Quiet()) {
        found = std::move(idle.connection);
      } else {
        stale.push_back(std::move(idle.connection));
      }
    }
    if (queue.empty()) idle_.erase(it);
  }
  return found;
}

void ConnectionPool::Give(const std::string& origin, std::unique_ptr<WebhookConnection> connection,
                          Clock::time_point now) {
  std::unique_ptr<WebhookConnection> evicted;
  {
    std::lock_guard lock(mutex_);
    auto& queue = idle_[origin];
    if (queue.size() >= settings_.max_idle_per_origin) {
      evicted = std::move(queue.front().connection);
      queue.pop_front();
      --idle_count_;
    }
    queue.push_back({std::move(connection), now});
    ++idle_count_;
    while (idle_count_ > settings_.max_idle_total) CloseOldest();
  }
}

void ConnectionPool::CloseOldest() {
  auto oldest = idle_.end();
  for (auto it = idle_.begin(); it != idle_.end(); ++it) {
    if (oldest == idle_.end() || it->second.front().since < oldest->second.front().since) oldest = it;
  }
  if (oldest == idle_.end()) return;
  oldest->second.pop_front();
  --idle_count_;
  if (oldest->second.empty()) idle_.erase(oldest);
}

void ConnectionPool::CloseIdle(Clock::time_point now) {
  std::vector<std::unique_ptr<WebhookConnection>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& queue = it->second;
      while (!queue.empty() && now - queue.front().since > settings_.idle_timeout) {
        expired.push_back(std::move(queue.front().connection));
        queue.pop_front();
        --idle_count_;
      }
      it = queue.empty() ? idle_.erase(it) : std::next(it);
    }
  }
}

std::size_t ConnectionPool::IdleCount() const {
  std::lock_guard lock(mutex_);
  return idle_count_;
}

SSL_SESSION* ConnectionPool::Session(const std::string& origin) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(origin);
  if (it == sessions_.end()) return nullptr;
  SSL_SESSION_up_ref(it->second);
  return it->second;
}

void ConnectionPool::RememberSession(const std::string& origin, SSL_SESSION* session) {
  if (!session) return;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(origin);
  if (it != sessions_.end()) {
    SSL_SESSION_free(it->second);
    it->second = session;
    return;
  }
  if (sessions_.size() >= settings_.max_sessions) {
    // Bounded memory: forgetting one only costs that origin a full handshake.
    SSL_SESSION_free(sessions_.begin()->second);
    sessions_.erase(sessions_.begin());
  }
  sessions_.emplace(origin, session);
}

}  // namespace orders::notifier::webhooks
