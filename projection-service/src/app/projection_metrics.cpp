#include <orders/projection/projection_metrics.hpp>

#include <algorithm>

namespace orders::projection {
namespace {

// Fine around the 50 ms objective, coarse beyond a second (a replay).
std::vector<double> ApplyLagBuckets() {
  return {0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075,
          0.1,   0.15,  0.2,   0.3,   0.5,    1,    2.5,   5,    10,    30,   60,   300,  3600};
}

}  // namespace

ProjectionMetrics::ProjectionMetrics(platform::MetricsRegistry& r)
    : registry(r),
      events_applied(r.AddCounter("projection_events_applied_total", "Events applied to the read model")),
      events_duplicate(
          r.AddCounter("projection_events_duplicate_total", "Redelivered events ignored by the version guard")),
      poison(r.AddCounter("projection_events_parked_total", "Records parked in poison_events", {{"reason", "poison"}})),
      gaps(r.AddCounter("projection_events_parked_total", "Records parked in poison_events", {{"reason", "gap"}})),
      invalid(
          r.AddCounter("projection_events_parked_total", "Records parked in poison_events", {{"reason", "invalid"}})),
      batches(r.AddCounter("projection_batches_total", "Batches committed")),
      store_failures(r.AddCounter("projection_store_failures_total", "Failed read-model transactions")),
      repositions(r.AddCounter("projection_repositions_total",
                               "Times the stored offsets moved under the consumer and it re-read its positions")),
      batch_seconds(r.AddHistogram("projection_batch_duration_seconds", "Time to apply and commit one batch",
                                   platform::LatencyBuckets())),
      apply_lag_seconds(r.AddHistogram("projection_apply_lag_seconds",
                                       "Time from a record's append to Kafka until its batch committed",
                                       ApplyLagBuckets())),
      waiters(r.AddGauge("projection_version_waiters", "Requests waiting for a minVersion")),
      csv_exports_open(r.AddGauge("projection_csv_exports_open", "Streamed CSV exports under way")),
      csv_exports_complete(r.AddCounter("projection_csv_exports_total", "Streamed CSV exports by how they ended",
                                        {{"outcome", "complete"}})),
      csv_exports_cut(
          r.AddCounter("projection_csv_exports_total", "Streamed CSV exports by how they ended", {{"outcome", "cut"}})),
      csv_exports_failed(r.AddCounter("projection_csv_exports_total", "Streamed CSV exports by how they ended",
                                      {{"outcome", "failed"}})),
      csv_rows(r.AddCounter("projection_csv_export_rows_total", "Rows written by streamed CSV exports")) {}

platform::Gauge& ProjectionMetrics::Lag(const std::string& topic, platform::Partition partition) {
  std::lock_guard lock(mutex_);
  auto& gauge = lag_[{topic, partition}];
  if (!gauge) {
    gauge = &registry.AddGauge("projection_consumer_lag", "Records behind the partition's end",
                               {{"partition", std::to_string(partition)}, {"topic", topic}});
  }
  return *gauge;
}

void ProjectionMetrics::ObserveApplyLag(const std::vector<std::int64_t>& appended_at_ms,
                                        std::chrono::system_clock::time_point committed_at) {
  const double now_ms = std::chrono::duration<double, std::milli>(committed_at.time_since_epoch()).count();
  for (const auto appended : appended_at_ms) {
    if (appended <= 0) continue;
    apply_lag_seconds.Observe(std::max(0.0, now_ms - static_cast<double>(appended)) / 1000.0);
  }
}

}  // namespace orders::projection
