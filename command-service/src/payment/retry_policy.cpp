#include <orders/command/payment/retry_policy.hpp>

#include <algorithm>

namespace orders::command::payment {

std::chrono::milliseconds RetryPolicy::Backoff(int failed_attempts, double unit) const {
  const auto max = settings_.max_backoff.count();
  std::int64_t base = settings_.initial_backoff.count();
  // Doubling stops at the ceiling, long before it could overflow.
  for (int i = 1; i < failed_attempts && base < max; ++i) base *= 2;
  base = std::min(base, max);
  const double jitter = std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(base / 2 + static_cast<std::int64_t>(jitter * static_cast<double>(base - base / 2)));
}

}  // namespace orders::command::payment
