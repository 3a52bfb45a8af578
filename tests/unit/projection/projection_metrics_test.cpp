#include <gtest/gtest.h>

#include <algorithm>

#include <orders/projection/projection_metrics.hpp>

namespace orders::projection {
namespace {

std::size_t BucketOf(const platform::Histogram& histogram, double upper_bound) {
  const auto& bounds = histogram.bounds();
  return static_cast<std::size_t>(std::find(bounds.begin(), bounds.end(), upper_bound) - bounds.begin());
}

TEST(ProjectionApplyLag, EachRecordIsObservedFromItsAppendToTheCommit) {
  platform::MetricsRegistry registry;
  ProjectionMetrics metrics(registry);
  const auto committed = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000));
  const std::int64_t committed_ms = 1'700'000'000'000;
  metrics.ObserveApplyLag({committed_ms - 27, committed_ms - 27, committed_ms - 1800}, committed);

  const auto& lag = metrics.apply_lag_seconds;
  EXPECT_EQ(lag.Count(), 3u);
  EXPECT_NEAR(lag.Sum(), 0.027 * 2 + 1.8, 1e-9);
  EXPECT_EQ(lag.BucketCount(BucketOf(lag, 0.03)), 2u);
  EXPECT_EQ(lag.BucketCount(BucketOf(lag, 2.5)), 1u);
}

TEST(ProjectionApplyLag, RecordsWithoutATimestampAreNotObservedAndClockSkewCountsAsZero) {
  platform::MetricsRegistry registry;
  ProjectionMetrics metrics(registry);
  const auto committed = std::chrono::system_clock::time_point(std::chrono::milliseconds(5000));
  metrics.ObserveApplyLag({0, -1, 5200}, committed);  // no timestamp, none, 200 ms in the future

  EXPECT_EQ(metrics.apply_lag_seconds.Count(), 1u);
  EXPECT_EQ(metrics.apply_lag_seconds.Sum(), 0.0);
}

TEST(ProjectionApplyLag, IsExposedAsAPrometheusHistogram) {
  platform::MetricsRegistry registry;
  ProjectionMetrics metrics(registry);
  metrics.ObserveApplyLag({1000}, std::chrono::system_clock::time_point(std::chrono::milliseconds(1004)));
  const auto page = registry.Render();
  EXPECT_NE(page.find("# TYPE projection_apply_lag_seconds histogram"), std::string::npos) << page;
  EXPECT_NE(page.find("projection_apply_lag_seconds_bucket{le=\"0.005\"} 1"), std::string::npos) << page;
  EXPECT_NE(page.find("projection_apply_lag_seconds_count 1"), std::string::npos) << page;
}

}  // namespace
}  // namespace orders::projection
