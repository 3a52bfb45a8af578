#pragma once
// How long to wait before the next attempt of a gateway call: exponential
// backoff with jitter. The wait before attempt n+1 is drawn from
// [base/2, base], base = min(max_backoff, initial_backoff * 2^(n-1)), so
// calls that failed together do not all come back at the same instant,
// yet never sooner than half the schedule.

#include <chrono>

#include <orders/command/payment_config.hpp>

namespace orders::command::payment {

class RetryPolicy {
 public:
  explicit RetryPolicy(RetrySettings settings) : settings_(settings) {}

  // Whether attempt `failed_attempts` + 1 may still be made.
  bool MayRetry(int failed_attempts) const { return failed_attempts < settings_.max_attempts; }
  // The wait after `failed_attempts` (>= 1) failures; `unit` in [0, 1) is the jitter draw.
  std::chrono::milliseconds Backoff(int failed_attempts, double unit) const;

 private:
  RetrySettings settings_;
};

}  // namespace orders::command::payment
