#include <orders/command/payment/circuit_breaker.hpp>

namespace orders::command::payment {

bool CircuitBreaker::Allow(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now < open_until_) return false;
      state_ = State::kHalfOpen;
      probe_out_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_out_) return false;
      probe_out_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mutex_);
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  probe_out_ = false;
}

void CircuitBreaker::RecordFailure(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::kClosed:
      if (++consecutive_failures_ < settings_.failure_threshold) return;
      break;
    case State::kHalfOpen:
      break;
    case State::kOpen:
      return;  // an attempt that left before the circuit opened: it is open already
  }
  state_ = State::kOpen;
  open_until_ = now + settings_.open_for;
  probe_out_ = false;
}

CircuitBreaker::State CircuitBreaker::StateAt(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (state_ == State::kOpen && now >= open_until_) return State::kHalfOpen;
  return state_;
}

}  // namespace orders::command::payment
