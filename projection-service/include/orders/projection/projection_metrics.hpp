#pragma once
// The projection's own metrics, created once at start.

#include <map>
#include <mutex>

#include <orders/platform/metrics.hpp>

namespace orders::projection {

struct ProjectionMetrics {
  explicit ProjectionMetrics(platform::MetricsRegistry& registry);

  // Consumer lag of one partition; the gauge is created on first use.
  platform::Gauge& Lag(std::int32_t partition);

  platform::MetricsRegistry& registry;
  platform::Counter& events_applied;
  platform::Counter& events_duplicate;
  platform::Counter& poison;
  platform::Counter& gaps;
  platform::Counter& invalid;
  platform::Counter& batches;
  platform::Counter& store_failures;
  platform::Counter& repositions;
  platform::Histogram& batch_seconds;
  platform::Gauge& waiters;

 private:
  std::mutex mutex_;
  std::map<std::int32_t, platform::Gauge*> lag_;
};

}  // namespace orders::projection
