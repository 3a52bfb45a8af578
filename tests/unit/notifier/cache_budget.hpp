#pragma once
// Byte budgets for order caches in tests: room for a number of orders like
// the builders' placements, measured with the cache's own estimate, so a test
// says "room for two orders" rather than a byte count that changes with the
// estimate.

#include <cstdio>
#include <string>

#include <orders/notifier/order_cache.hpp>
#include <orders/testing/builders.hpp>

namespace orders::notifier {

inline std::string CacheTestId(int i) {
  char id[37];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
  return id;
}

// A budget that holds `n` fresh placements and not one more: halfway between
// what n and n + 1 of them cost.
inline OrderCacheLimits RoomForPlacements(std::size_t n, std::size_t max_events_per_order = 32) {
  OrderCache probe;
  domain::ApplyOutcome outcome;
  std::size_t bytes_of_n = 0;
  for (std::size_t i = 0; i <= n; ++i) {
    if (i == n) bytes_of_n = probe.bytes();
    probe.Apply(testing::Placed(CacheTestId(900000 + static_cast<int>(i)), testing::At(static_cast<int>(i))), outcome);
  }
  return {(bytes_of_n + probe.bytes()) / 2, max_events_per_order};
}

}  // namespace orders::notifier
