#pragma once
// The projection's own metrics, created once at start.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <orders/platform/metrics.hpp>
#include <orders/platform/partition_offsets.hpp>

namespace orders::projection {

struct ProjectionMetrics {
  explicit ProjectionMetrics(platform::MetricsRegistry& registry);

  // Consumer lag of one partition of a topic (the orders and the inventory
  // consumers share these metrics); the gauge is created on first use.
  platform::Gauge& Lag(const std::string& topic, platform::Partition partition);
  // Observes the apply lag of every record of a batch committed at `committed_at`.
  void ObserveApplyLag(const std::vector<std::int64_t>& appended_at_ms,
                       std::chrono::system_clock::time_point committed_at);

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
  // Per record: from its append to Kafka (the record's timestamp) until the
  // transaction that applied it committed. Live, this is how stale the read
  // model is; during a replay it is the age of the records.
  platform::Histogram& apply_lag_seconds;
  platform::Gauge& waiters;
  // Streamed CSV exports (csv_stream.hpp): open now, and how each ended.
  platform::Gauge& csv_exports_open;
  platform::Counter& csv_exports_complete;
  platform::Counter& csv_exports_cut;
  platform::Counter& csv_exports_failed;
  platform::Counter& csv_rows;

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, platform::Partition>, platform::Gauge*> lag_;
};

}  // namespace orders::projection
