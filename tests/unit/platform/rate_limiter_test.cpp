#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <orders/platform/rate_limiter.hpp>

namespace orders::platform {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

// A clock the test moves by hand.
struct ManualClock {
  Clock::time_point now = Clock::time_point() + 1h;
  RateLimiter::Now Function() {
    return [this] { return now; };
  }
};

const RateLimit kTenPerSecondBurstFive{10, 5};

TEST(RateLimiter, ABurstIsAllowedThenRefused) {
  ManualClock clock;
  RateLimiter limiter(100, clock.Function());
  for (int i = 0; i < 5; ++i) {
    const auto decision = limiter.Take("a", kTenPerSecondBurstFive);
    EXPECT_TRUE(decision.allowed) << i;
    EXPECT_EQ(decision.remaining, 4 - i);
  }
  const auto refused = limiter.Take("a", kTenPerSecondBurstFive);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
}

TEST(RateLimiter, TokensComeBackAtTheRate) {
  ManualClock clock;
  RateLimiter limiter(100, clock.Function());
  for (int i = 0; i < 5; ++i) limiter.Take("a", kTenPerSecondBurstFive);
  EXPECT_FALSE(limiter.Take("a", kTenPerSecondBurstFive).allowed);
  clock.now += 100ms;  // one token at 10/s
  EXPECT_TRUE(limiter.Take("a", kTenPerSecondBurstFive).allowed);
  EXPECT_FALSE(limiter.Take("a", kTenPerSecondBurstFive).allowed);
  clock.now += 1h;  // refills up to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Take("a", kTenPerSecondBurstFive).allowed) << i;
  EXPECT_FALSE(limiter.Take("a", kTenPerSecondBurstFive).allowed);
}

TEST(RateLimiter, KeysHaveTheirOwnBuckets) {
  ManualClock clock;
  RateLimiter limiter(100, clock.Function());
  for (int i = 0; i < 5; ++i) limiter.Take("flooder", kTenPerSecondBurstFive);
  EXPECT_FALSE(limiter.Take("flooder", kTenPerSecondBurstFive).allowed);
  EXPECT_TRUE(limiter.Take("neighbour", kTenPerSecondBurstFive).allowed);
}

TEST(RateLimiter, RetryAfterIsTheWaitForTheNextTokenInWholeSecondsAtLeastOne) {
  ManualClock clock;
  RateLimiter limiter(100, clock.Function());
  const RateLimit slow{0.25, 1};  // one token every 4 s
  EXPECT_TRUE(limiter.Take("a", slow).allowed);
  auto refused = limiter.Take("a", slow);
  EXPECT_EQ(refused.retry_after_seconds, 4);
  EXPECT_EQ(refused.reset_seconds, 4);
  clock.now += 2500ms;
  refused = limiter.Take("a", slow);
  EXPECT_EQ(refused.retry_after_seconds, 2);  // 1.5 s rounds up
  // A fast limit refuses for less than a second: still 1.
  const RateLimit fast{100, 1};
  EXPECT_TRUE(limiter.Take("b", fast).allowed);
  EXPECT_EQ(limiter.Take("b", fast).retry_after_seconds, 1);
}

TEST(RateLimiter, ResetOfAnAllowedRequestIsTheTimeToFillTheBucket) {
  ManualClock clock;
  RateLimiter limiter(100, clock.Function());
  const RateLimit limit{20, 100};
  const auto first = limiter.Take("a", limit);
  EXPECT_EQ(first.remaining, 99);
  EXPECT_EQ(first.reset_seconds, 1);  // one token at 20/s: 0.05 s, rounded up
  for (int i = 0; i < 59; ++i) limiter.Take("a", limit);
  EXPECT_EQ(limiter.Take("a", limit).reset_seconds, 4);  // 61 tokens missing at 20/s: 3.05 s
}

TEST(RateLimiter, UnlimitedNeverRefusesAndHoldsNothing) {
  RateLimiter limiter(100);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Take("svc", RateLimit{}).allowed);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(RateLimiter, MemoryStaysAtItsCapacityUnderAMillionRotatingKeys) {
  ManualClock clock;
  RateLimiter limiter(4096, clock.Function());
  for (int i = 0; i < 1'000'000; ++i) {
    ASSERT_TRUE(limiter.Take("ip:" + std::to_string(i), kTenPerSecondBurstFive).allowed);
    if (i % 100'000 == 0) clock.now += 1ms;
  }
  EXPECT_EQ(limiter.size(), 4096u);
  EXPECT_EQ(limiter.capacity(), 4096u);
}

TEST(RateLimiter, ARecentlyActiveFlooderKeepsItsEmptyBucketWhileOldKeysAreForgotten) {
  ManualClock clock;
  RateLimiter limiter(64, clock.Function(), 1);
  for (int i = 0; i < 5; ++i) limiter.Take("flooder", kTenPerSecondBurstFive);
  for (int i = 0; i < 62; ++i) limiter.Take("other-" + std::to_string(i), kTenPerSecondBurstFive);
  // Still held (most recently used ones are kept): still refused.
  EXPECT_FALSE(limiter.Take("flooder", kTenPerSecondBurstFive).allowed);
  EXPECT_EQ(limiter.size(), 63u);
}

TEST(RateLimiter, ConcurrentTakesNeverGrantMoreThanTheBurst) {
  RateLimiter limiter(1024);  // real clock: at 0.001/s nothing refills during the test
  const RateLimit limit{0.001, 500};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.Take("shared", limit).allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 500);
}

TEST(RateLimiter, LimitsParseFromRateAndBurst) {
  auto parsed = ParseRateLimit("20/100");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->per_second, 20);
  EXPECT_EQ(parsed->burst, 100);
  EXPECT_TRUE(ParseRateLimit("0.5/1"));
  ASSERT_TRUE(ParseRateLimit("unlimited"));
  EXPECT_TRUE(ParseRateLimit("unlimited")->unlimited());
  for (const char* bad : {"", "20", "20/", "/100", "0/100", "-1/5", "20/0", "20/0.5", "a/b", "20/100/3", "inf/1"}) {
    EXPECT_FALSE(ParseRateLimit(bad)) << bad;
  }
}

}  // namespace
}  // namespace orders::platform
