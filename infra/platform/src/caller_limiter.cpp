#include <orders/platform/caller_limiter.hpp>

#include <arpa/inet.h>

#include <cstring>

namespace orders::platform {
namespace {

const RateLimit& LimitOf(const CallerLimits& limits, std::string_view role) {
  if (role == "customer") return limits.customer;
  if (role == "courier") return limits.courier;
  if (role == "staff") return limits.staff;
  if (role == "service") return limits.service;
  return limits.anonymous;
}

std::string Number(double value) {
  const auto whole = static_cast<std::int64_t>(value);
  return std::to_string(whole);
}

}  // namespace

std::string AddressKey(std::string_view client_address) {
  std::string address(client_address);
  // "::ffff:1.2.3.4" is an IPv4 caller on a dual-stack socket.
  if (address.rfind("::ffff:", 0) == 0 && address.find('.') != std::string::npos) return "ip:" + address.substr(7);
  in6_addr v6{};
  if (address.find(':') != std::string::npos && inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    std::memset(v6.s6_addr + 8, 0, 8);
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, &v6, text, sizeof(text));
    return std::string("ip:") + text + "/64";
  }
  return "ip:" + address;
}

CallerLimiter::CallerLimiter(std::string api, bool enabled, CallerLimits limits, std::size_t max_keys,
                             MetricsRegistry& registry, RateLimiter::Now now)
    : api_(std::move(api)),
      enabled_(enabled),
      limits_(limits),
      limiter_(max_keys, std::move(now)),
      registry_(registry),
      keys_(registry.AddGauge("orders_rate_limiter_keys", "Callers the rate limiter holds a bucket for (bounded)",
                              {{"api", api_}})) {}

std::optional<LimitRefusal> CallerLimiter::Admit(const std::optional<Principal>& principal,
                                                 std::string_view client_address) {
  if (!enabled_) return std::nullopt;
  const std::string_view role = principal ? RoleName(principal->role) : std::string_view("anonymous");
  const RateLimit& limit = LimitOf(limits_, role);
  if (limit.unlimited()) return std::nullopt;
  const std::string key = principal ? std::string(role) + ":" + principal->subject : AddressKey(client_address);
  const RateDecision decision = limiter_.Take(key, limit);
  keys_.Set(static_cast<double>(limiter_.size()));
  if (decision.allowed) return std::nullopt;

  Counter* refused = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, counter] : refused_by_role_) {
      if (name == role) refused = counter;
    }
    if (!refused) {
      // Bounded: one counter per role.
      refused = &registry_.AddCounter("orders_rate_limited_total", "Requests refused for exceeding a rate limit",
                                      {{"api", api_}, {"role", std::string(role)}});
      refused_by_role_.emplace_back(std::string(role), refused);
    }
  }
  refused->Inc();

  const std::string retry = std::to_string(decision.retry_after_seconds);
  const std::string policy = "\"" + std::string(role) + "\"";
  const double window = limit.burst / limit.per_second;
  LimitRefusal refusal;
  refusal.problem = {
      429, "Too Many Requests", "Too many requests from this caller; retry after " + retry + " s.", {}, {}};
  refusal.headers = {
      {"Retry-After", retry},
      {"RateLimit-Policy", policy + ";q=" + Number(limit.burst) + ";w=" + Number(std::ceil(window))},
      {"RateLimit",
       policy + ";r=" + std::to_string(decision.remaining) + ";t=" + std::to_string(decision.reset_seconds)},
  };
  return refusal;
}

}  // namespace orders::platform
