#include <orders/projection/projection_metrics.hpp>

namespace orders::projection {

ProjectionMetrics::ProjectionMetrics(platform::MetricsRegistry& r)
    : registry(r),
      events_applied(r.AddCounter("projection_events_applied_total", "Events applied to the read model")),
      events_duplicate(r.AddCounter("projection_events_duplicate_total", "Redelivered events ignored by the version guard")),
      poison(r.AddCounter("projection_events_parked_total", "Records parked in poison_events", {{"reason", "poison"}})),
      gaps(r.AddCounter("projection_events_parked_total", "Records parked in poison_events", {{"reason", "gap"}})),
      invalid(r.AddCounter("projection_events_parked_total", "Records parked in poison_events", {{"reason", "invalid"}})),
      batches(r.AddCounter("projection_batches_total", "Batches committed")),
      store_failures(r.AddCounter("projection_store_failures_total", "Failed read-model transactions")),
      repositions(r.AddCounter("projection_repositions_total",
                               "Times the stored offsets moved under the consumer and it re-read its positions")),
      batch_seconds(r.AddHistogram("projection_batch_duration_seconds", "Time to apply and commit one batch",
                                   platform::LatencyBuckets())),
      waiters(r.AddGauge("projection_version_waiters", "Requests waiting for a minVersion")) {}

platform::Gauge& ProjectionMetrics::Lag(std::int32_t partition) {
  std::lock_guard lock(mutex_);
  auto& gauge = lag_[partition];
  if (!gauge) {
    gauge = &registry.AddGauge("projection_consumer_lag", "Records behind the partition's end",
                               {{"partition", std::to_string(partition)}});
  }
  return *gauge;
}

}  // namespace orders::projection
