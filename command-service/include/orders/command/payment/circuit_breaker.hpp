#pragma once
// A circuit breaker over gateway attempts. Closed: every attempt goes out.
// After `failure_threshold` consecutive failed attempts it opens: attempts
// fail at once, without touching the network, for `open_for`. Then it lets
// exactly one probe through (half-open): its success closes the circuit, its
// failure opens it for another `open_for`. So a dead gateway costs one
// request per `open_for`, not one per order per retry.
// Thread-safe; time is passed in so tests need no clock.

#include <chrono>
#include <mutex>

#include <orders/command/payment_config.hpp>

namespace orders::command::payment {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(BreakerSettings settings) : settings_(settings) {}

  // Whether an attempt may go out now. In half-open, true for one caller only
  // (the probe) until it reports back.
  bool Allow(Clock::time_point now);
  void RecordSuccess();
  void RecordFailure(Clock::time_point now);
  State StateAt(Clock::time_point now) const;

 private:
  BreakerSettings settings_;
  mutable std::mutex mutex_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  Clock::time_point open_until_{};
  bool probe_out_ = false;
};

}  // namespace orders::command::payment
