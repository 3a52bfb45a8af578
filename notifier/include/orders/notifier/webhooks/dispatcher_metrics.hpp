#pragma once
// The dispatcher's Prometheus series. Per-endpoint series are labelled with
// the endpoint id; the registration cap (WEBHOOK_MAX_ENDPOINTS) bounds how
// many exist. Created when an endpoint is first attempted, then updated lock-free.

#include <map>
#include <optional>
#include <string>

#include <orders/platform/metrics.hpp>

namespace orders::notifier::webhooks {

class DispatcherMetrics {
 public:
  explicit DispatcherMetrics(platform::MetricsRegistry& registry);

  // One attempt's result; `latency_seconds` (event time to 2xx) when delivered.
  void Attempted(const std::string& endpoint_id, bool delivered, std::optional<double> latency_seconds);
  void Disabled() { disabled_.Inc(); }
  void SetRetriesPending(std::size_t count) { retries_pending_.Set(static_cast<double>(count)); }
  void SetQueued(std::size_t count) { queued_.Set(static_cast<double>(count)); }
  void SetParked(std::size_t count) { parked_.Set(static_cast<double>(count)); }
  void StaleParkDropped() { stale_park_drops_.Inc(); }

 private:
  struct EndpointSeries {
    platform::Counter& attempts;
    platform::Counter& successes;
    platform::Counter& failures;
    platform::Histogram& latency;
  };
  EndpointSeries& For(const std::string& endpoint_id);

  platform::MetricsRegistry& registry_;
  platform::Counter& disabled_;
  platform::Gauge& retries_pending_;
  platform::Gauge& queued_;
  platform::Gauge& parked_;
  platform::Counter& stale_park_drops_;
  std::map<std::string, EndpointSeries> endpoints_;
};

}  // namespace orders::notifier::webhooks
