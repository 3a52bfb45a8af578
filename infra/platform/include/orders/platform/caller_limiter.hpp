#pragma once
// Rate limits of one API (command, query, WebSocket connection attempts) by
// caller: a caller with a valid token is its principal (role and subject);
// anyone else is its client address (an IPv6 address by its /64, which one
// subscriber usually holds whole). Each role has its own limit; `service` is
// unlimited unless configured. A refused request gets a 429 problem with
// `Retry-After` and the IETF draft RateLimit-Policy / RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers), e.g.
//   RateLimit-Policy: "customer";q=100;w=5
//   RateLimit: "customer";r=0;t=1
// where q is the burst, w the seconds an empty bucket takes to fill, r the
// requests left and t the seconds until the next one is allowed.
//
// Refusals are counted in orders_rate_limited_total{api,role}; the number of
// keys held in orders_rate_limiter_keys{api}. Thread-safe.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <orders/platform/jwt.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/problem.hpp>
#include <orders/platform/rate_limiter.hpp>

namespace orders::platform {

struct LimitRefusal {
  Problem problem;  // 429
  std::vector<std::pair<std::string, std::string>> headers;
};

class CallerLimiter {
 public:
  CallerLimiter(std::string api, bool enabled, CallerLimits limits, std::size_t max_keys, MetricsRegistry& registry,
                RateLimiter::Now now = RateLimiter::Clock::now);

  // nullopt: go on. `client_address` is the peer's IP address as text.
  std::optional<LimitRefusal> Admit(const std::optional<Principal>& principal, std::string_view client_address);

  std::size_t keys() const { return limiter_.size(); }

 private:
  std::string api_;
  bool enabled_;
  CallerLimits limits_;
  RateLimiter limiter_;
  MetricsRegistry& registry_;
  Gauge& keys_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, Counter*>> refused_by_role_;
};

// The bucket key of a caller without a valid token: "ip:<address>", an IPv6
// address cut to its /64.
std::string AddressKey(std::string_view client_address);

}  // namespace orders::platform
