// Retry delays (equal jitter on the schedule), the end of the schedule, and
// when an endpoint is disabled.

#include <gtest/gtest.h>

#include <orders/notifier/webhooks/delivery_policy.hpp>

namespace orders::notifier::webhooks {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const std::vector<milliseconds> kSchedule{5s, 30s, 2min};

TEST(RetryDelay, EachRetryWaitsBetweenHalfAndAllOfItsStep) {
  for (int failed = 1; failed <= 3; ++failed) {
    const auto step = kSchedule[static_cast<std::size_t>(failed) - 1];
    EXPECT_EQ(RetryDelay(kSchedule, failed, 0.0), step / 2);
    EXPECT_EQ(RetryDelay(kSchedule, failed, 0.5), step * 3 / 4);
    const auto longest = RetryDelay(kSchedule, failed, 0.99999);
    EXPECT_LE(*longest, step);
    EXPECT_GT(*longest, step * 99 / 100);
  }
}

TEST(RetryDelay, OutOfRangeRandomNumbersStayWithinTheBounds) {
  EXPECT_EQ(RetryDelay(kSchedule, 1, -3.0), 2500ms);
  EXPECT_EQ(RetryDelay(kSchedule, 1, 7.0), 5s);
}

TEST(RetryDelay, TheScheduleUsedUpMeansNoMoreRetries) {
  EXPECT_TRUE(RetryDelay(kSchedule, 3, 0.5));
  EXPECT_EQ(RetryDelay(kSchedule, 4, 0.5), std::nullopt);
  EXPECT_EQ(RetryDelay(kSchedule, 0, 0.5), std::nullopt);
  EXPECT_EQ(RetryDelay({}, 1, 0.5), std::nullopt);
}

TEST(ShouldDisable, OnlyAnEndpointFailingForTheWholePeriod) {
  const WallClock::time_point since{std::chrono::hours(1000)};
  EXPECT_FALSE(ShouldDisable(std::nullopt, since + 100h, 1h));
  EXPECT_FALSE(ShouldDisable(since, since + 59min, 1h));
  EXPECT_TRUE(ShouldDisable(since, since + 1h, 1h));
}

TEST(DisabledReason, SaysSinceWhenInUtc) {
  const auto since =
      WallClock::time_point(std::chrono::sys_days(std::chrono::December / 5 / 2026).time_since_epoch() + 1h);
  EXPECT_EQ(DisabledReason(since), "every delivery failed since 2026-12-05T01:00:00.000Z");
}

}  // namespace
}  // namespace orders::notifier::webhooks
