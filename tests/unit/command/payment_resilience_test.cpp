// The HTTP gateway adapter's pure parts: backoff with jitter and the circuit breaker.

#include <gtest/gtest.h>

#include <orders/command/payment/circuit_breaker.hpp>
#include <orders/command/payment/retry_policy.hpp>

namespace orders::command::payment {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicy, BackoffDoublesUpToTheCeilingWithJitterInItsUpperHalf) {
  const RetryPolicy policy(RetrySettings{5, milliseconds(100), milliseconds(1000)});
  EXPECT_EQ(policy.Backoff(1, 0.0), milliseconds(50));
  EXPECT_EQ(policy.Backoff(1, 0.999), milliseconds(99));
  EXPECT_EQ(policy.Backoff(2, 0.0), milliseconds(100));
  EXPECT_EQ(policy.Backoff(3, 0.5), milliseconds(300));
  EXPECT_EQ(policy.Backoff(4, 0.0), milliseconds(400));
  EXPECT_EQ(policy.Backoff(5, 0.0), milliseconds(500));  // 1600 capped at 1000
  EXPECT_EQ(policy.Backoff(60, 1.0), milliseconds(1000));
}

TEST(RetryPolicy, AttemptsStopAtTheConfiguredNumber) {
  const RetryPolicy policy(RetrySettings{3, milliseconds(1), milliseconds(1)});
  EXPECT_TRUE(policy.MayRetry(1));
  EXPECT_TRUE(policy.MayRetry(2));
  EXPECT_FALSE(policy.MayRetry(3));
}

using State = CircuitBreaker::State;
const CircuitBreaker::Clock::time_point kT0{};

TEST(CircuitBreaker, OpensAfterTheThresholdOfConsecutiveFailures) {
  CircuitBreaker breaker(BreakerSettings{3, milliseconds(1000)});
  breaker.RecordFailure(kT0);
  breaker.RecordFailure(kT0);
  breaker.RecordSuccess();  // not consecutive: the count starts again
  breaker.RecordFailure(kT0);
  breaker.RecordFailure(kT0);
  EXPECT_TRUE(breaker.Allow(kT0));
  breaker.RecordFailure(kT0);
  EXPECT_EQ(breaker.StateAt(kT0), State::kOpen);
  EXPECT_FALSE(breaker.Allow(kT0 + milliseconds(999)));
}

TEST(CircuitBreaker, AfterTheOpenTimeOneProbeDecides) {
  CircuitBreaker breaker(BreakerSettings{1, milliseconds(1000)});
  breaker.RecordFailure(kT0);
  const auto later = kT0 + milliseconds(1000);
  EXPECT_EQ(breaker.StateAt(later), State::kHalfOpen);
  EXPECT_TRUE(breaker.Allow(later));   // the probe
  EXPECT_FALSE(breaker.Allow(later));  // everyone else waits for it
  breaker.RecordFailure(later);        // the probe failed: open again, for a full period
  EXPECT_FALSE(breaker.Allow(later + milliseconds(999)));
  EXPECT_TRUE(breaker.Allow(later + milliseconds(1000)));
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.StateAt(later + milliseconds(1000)), State::kClosed);
  EXPECT_TRUE(breaker.Allow(later + milliseconds(1000)));
  EXPECT_TRUE(breaker.Allow(later + milliseconds(1000)));
}

}  // namespace
}  // namespace orders::command::payment
