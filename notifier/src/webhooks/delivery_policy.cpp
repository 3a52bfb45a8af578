#include <orders/notifier/webhooks/delivery_policy.hpp>

#include <algorithm>

#include <orders/codec/time_format.hpp>

namespace orders::notifier::webhooks {

std::optional<std::chrono::milliseconds> RetryDelay(const std::vector<std::chrono::milliseconds>& schedule,
                                                    int failed_attempts, double uniform) {
  if (failed_attempts < 1 || static_cast<std::size_t>(failed_attempts) > schedule.size()) return std::nullopt;
  const auto step = schedule[static_cast<std::size_t>(failed_attempts) - 1];
  const auto half = step / 2;
  const double share = std::clamp(uniform, 0.0, 1.0);
  const auto spread =
      std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>((step - half).count()) * share));
  return std::min(half + spread, step);
}

bool ShouldDisable(const std::optional<WallClock::time_point>& failing_since, WallClock::time_point now,
                   std::chrono::milliseconds disable_after) {
  return failing_since && now - *failing_since >= disable_after;
}

std::string DisabledReason(WallClock::time_point failing_since) {
  return "every delivery failed since " +
         codec::FormatTimestamp(std::chrono::time_point_cast<std::chrono::milliseconds>(failing_since));
}

}  // namespace orders::notifier::webhooks
