#pragma once
// Token buckets keyed by caller, in a table of fixed capacity.
//
// Each key has a bucket of `burst` tokens refilled at `per_second`; a request
// takes one token or is refused. Memory is bounded whatever the callers do:
// the table holds at most `capacity` keys, split into shards (each with its
// own lock, so threads rarely wait on each other), and a shard that is full
// forgets its least recently used key. That is nearly always lossless: a key
// unused for burst/per_second seconds has a full bucket again, which is
// exactly what a forgotten key gets when it comes back. So an attacker who
// rotates addresses fills the table with fresh keys but cannot grow it, and
// only evicts keys older than everything it sent since.
//
// Pure logic with an injected clock; thread-safe.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace orders::platform {

struct RateLimit {
  double per_second = 0;  // 0: unlimited
  double burst = 0;
  bool unlimited() const { return per_second <= 0; }
};

// Limits per kind of caller; "anonymous" is a caller without a valid token.
struct CallerLimits {
  RateLimit anonymous;
  RateLimit customer;
  RateLimit courier;
  RateLimit staff;
  RateLimit service;
};

struct RateLimitSettings {
  bool enabled = true;
  CallerLimits requests{{20, 100}, {20, 100}, {20, 100}, {200, 1000}, {}};
  // WebSocket (and SSE) connection attempts; staff and service as for requests.
  CallerLimits connections{{5, 20}, {5, 20}, {5, 20}, {200, 1000}, {}};
  // Client messages on one WebSocket connection (subscribes, pings, commands).
  RateLimit socket_messages{20, 40};
  std::size_t max_keys = 65536;  // per API
};

// "20/100" (per second / burst) or "unlimited"; nullopt when malformed.
std::optional<RateLimit> ParseRateLimit(std::string_view text);

struct RateDecision {
  bool allowed = true;
  std::int64_t remaining = 0;  // whole tokens left after this request
  // Allowed: seconds until the bucket is full again. Refused: seconds until a
  // token is there (= retry_after_seconds).
  std::int64_t reset_seconds = 0;
  std::int64_t retry_after_seconds = 0;  // refused only; at least 1
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  explicit RateLimiter(std::size_t capacity, Now now = Clock::now, std::size_t shards = 16);
  ~RateLimiter();

  // Takes one token from `key`'s bucket under `limit` (an unlimited limit always allows).
  RateDecision Take(std::string_view key, const RateLimit& limit);

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }  // keys held now
  std::size_t capacity() const { return capacity_; }

 private:
  struct Shard;
  Shard& ShardOf(std::string_view key);

  std::size_t capacity_;
  Now now_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace orders::platform
