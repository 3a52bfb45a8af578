#pragma once
// When a failed webhook delivery is tried again, and when an endpoint that
// keeps failing is switched off. Pure functions of the schedule and the time.
//
// Jitter is "equal jitter": the wait before retry k is half the scheduled
// step plus a uniform random part of the other half, so retries of many
// deliveries that failed together (an endpoint that was down) spread out
// instead of arriving as one burst, while no retry comes sooner than half
// its step.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

// A number in [0, 1); tests pass fixed ones.
using UniformRandom = std::function<double()>;

// The wait before the retry that follows `failed_attempts` failed attempts
// (1 = the first attempt failed), or nullopt when the schedule is used up
// and the delivery is to be listed as failed.
std::optional<std::chrono::milliseconds> RetryDelay(const std::vector<std::chrono::milliseconds>& schedule,
                                                    int failed_attempts, double uniform);

// Whether an endpoint failing since `failing_since` is to be disabled at `now`.
bool ShouldDisable(const std::optional<WallClock::time_point>& failing_since, WallClock::time_point now,
                   std::chrono::milliseconds disable_after);

// The reason shown by GET /webhooks/{id}, e.g. "every delivery failed since 2026-12-05T01:00:00.000Z".
std::string DisabledReason(WallClock::time_point failing_since);

}  // namespace orders::notifier::webhooks
