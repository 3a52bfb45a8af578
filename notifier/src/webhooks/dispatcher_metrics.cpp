#include <orders/notifier/webhooks/dispatcher_metrics.hpp>

namespace orders::notifier::webhooks {
namespace {

// Deliveries that waited for retries take minutes to a day: the usual
// request buckets (up to 10 s) extended to 24 h.
std::vector<double> DeliveryLatencyBuckets() {
  auto bounds = platform::LatencyBuckets();
  for (double seconds : {30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0}) bounds.push_back(seconds);
  return bounds;
}

}  // namespace

DispatcherMetrics::DispatcherMetrics(platform::MetricsRegistry& registry)
    : registry_(registry),
      disabled_(registry.AddCounter("orders_notifier_webhook_endpoints_disabled_total",
                                    "Webhook endpoints disabled for failing longer than WEBHOOK_DISABLE_AFTER")),
      retries_pending_(registry.AddGauge("orders_notifier_webhook_retries_pending",
                                         "Webhook deliveries this instance holds in the ledger for a retry")),
      queued_(registry.AddGauge("orders_notifier_webhook_queued",
                                "Webhook deliveries queued in memory for their first attempt")),
      parked_(
          registry.AddGauge("orders_notifier_webhook_parked",
                            "Webhook endpoints parked on a partition (their events wait in Kafka) on this instance")),
      stale_park_drops_(registry.AddCounter(
          "orders_notifier_webhook_stale_park_drops_total",
          "Ended parks whose row no longer carried this instance's ownership (a later owner of the partition "
          "claimed it), left in place")) {}

DispatcherMetrics::EndpointSeries& DispatcherMetrics::For(const std::string& endpoint_id) {
  auto it = endpoints_.find(endpoint_id);
  if (it != endpoints_.end()) return it->second;
  const platform::Labels labels{{"endpoint", endpoint_id}};
  EndpointSeries series{
      registry_.AddCounter("orders_notifier_webhook_attempts_total", "Webhook delivery attempts", labels),
      registry_.AddCounter("orders_notifier_webhook_successes_total", "Webhook attempts answered 2xx", labels),
      registry_.AddCounter("orders_notifier_webhook_failures_total",
                           "Webhook attempts that failed (non-2xx, timeout, connection error)", labels),
      registry_.AddHistogram("orders_notifier_webhook_delivery_latency_seconds",
                             "From the event's time (ce_time) to its 2xx answer, retries included",
                             DeliveryLatencyBuckets(), labels)};
  return endpoints_.emplace(endpoint_id, series).first->second;
}

void DispatcherMetrics::Attempted(const std::string& endpoint_id, bool delivered,
                                  std::optional<double> latency_seconds) {
  auto& series = For(endpoint_id);
  series.attempts.Inc();
  (delivered ? series.successes : series.failures).Inc();
  if (delivered && latency_seconds) series.latency.Observe(*latency_seconds);
}

}  // namespace orders::notifier::webhooks
