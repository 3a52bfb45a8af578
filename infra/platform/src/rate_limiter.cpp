#include <orders/platform/rate_limiter.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace orders::platform {
namespace {

std::optional<double> ParsePositive(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value > 0) || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::int64_t CeilSeconds(double seconds) { return static_cast<std::int64_t>(std::ceil(seconds - 1e-9)); }

}  // namespace

std::optional<RateLimit> ParseRateLimit(std::string_view text) {
  if (text == "unlimited") return RateLimit{};
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto rate = ParsePositive(text.substr(0, slash));
  const auto burst = ParsePositive(text.substr(slash + 1));
  if (!rate || !burst || *burst < 1) return std::nullopt;
  return RateLimit{*rate, *burst};
}

struct RateLimiter::Shard {
  struct Bucket {
    std::string key;
    double tokens = 0;
    Clock::time_point updated;
  };
  using Lru = std::list<Bucket>;  // most recently used first

  explicit Shard(std::size_t limit) : capacity(std::max<std::size_t>(1, limit)) { index.reserve(capacity); }

  std::mutex mutex;
  std::size_t capacity;
  Lru lru;
  std::unordered_map<std::string_view, Lru::iterator> index;  // views into lru's keys
};

RateLimiter::RateLimiter(std::size_t capacity, Now now, std::size_t shards)
    : capacity_(std::max<std::size_t>(1, capacity)), now_(std::move(now)) {
  const std::size_t count = std::clamp<std::size_t>(shards, 1, capacity_);
  for (std::size_t i = 0; i < count; ++i) {
    // Shard capacities add up to exactly `capacity`.
    shards_.push_back(std::make_unique<Shard>(capacity_ / count + (i < capacity_ % count ? 1 : 0)));
  }
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Shard& RateLimiter::ShardOf(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

RateDecision RateLimiter::Take(std::string_view key, const RateLimit& limit) {
  if (limit.unlimited()) return {true, 0, 0, 0};
  const auto now = now_();
  Shard& shard = ShardOf(key);
  std::lock_guard lock(shard.mutex);

  Shard::Bucket* bucket = nullptr;
  if (auto found = shard.index.find(key); found != shard.index.end()) {
    shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
    bucket = &*found->second;
    const double elapsed = std::chrono::duration<double>(now - bucket->updated).count();
    bucket->tokens = std::min(limit.burst, bucket->tokens + std::max(0.0, elapsed) * limit.per_second);
  } else {
    if (shard.lru.size() >= shard.capacity) {
      shard.index.erase(shard.lru.back().key);
      shard.lru.pop_back();
    } else {
      size_.fetch_add(1, std::memory_order_relaxed);
    }
    shard.lru.push_front({std::string(key), limit.burst, now});
    bucket = &shard.lru.front();
    shard.index.emplace(bucket->key, shard.lru.begin());
  }
  bucket->updated = now;

  RateDecision decision;
  if (bucket->tokens >= 1.0) {
    bucket->tokens -= 1.0;
    decision.allowed = true;
    decision.remaining = static_cast<std::int64_t>(std::floor(bucket->tokens));
    decision.reset_seconds = CeilSeconds((limit.burst - bucket->tokens) / limit.per_second);
    return decision;
  }
  decision.allowed = false;
  decision.remaining = 0;
  decision.retry_after_seconds = std::max<std::int64_t>(1, CeilSeconds((1.0 - bucket->tokens) / limit.per_second));
  decision.reset_seconds = decision.retry_after_seconds;
  return decision;
}

}  // namespace orders::platform
