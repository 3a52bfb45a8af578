#include <gtest/gtest.h>

#include <orders/platform/metrics.hpp>

namespace orders::platform {
namespace {

TEST(Metrics, RendersPrometheusTextWithLabelsAndCumulativeBuckets) {
  MetricsRegistry registry;
  registry.AddCounter("requests_total", "Requests", {{"route", "GET /x"}}).Inc(3);
  registry.AddGauge("queue_depth", "Depth").Set(2.5);
  auto& latency = registry.AddHistogram("latency_seconds", "Latency", {0.1, 1}, {{"route", "a\"b"}});
  latency.Observe(0.05);
  latency.Observe(0.5);
  latency.Observe(5);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE requests_total counter\nrequests_total{route=\"GET /x\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("queue_depth 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"a\\\"b\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"a\\\"b\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"a\\\"b\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"a\\\"b\"} 3\n"), std::string::npos);
}

TEST(Metrics, CollectorsRunBeforeRendering) {
  MetricsRegistry registry;
  auto& gauge = registry.AddGauge("live", "Live value");
  registry.AddCollector([&gauge] { gauge.Set(7); });
  EXPECT_NE(registry.Render().find("live 7\n"), std::string::npos);
}

}  // namespace
}  // namespace orders::platform
