#pragma once
// The HTTP payment gateway adapter (PAYMENT_GATEWAY=http): the wire format of
// gateway_protocol.hpp over PAYMENT_URL. Each call is tried up to
// PAYMENT_RETRY_ATTEMPTS times with backoff and jitter (retry_policy.hpp)
// while no attempt gets a usable answer, every attempt with the same
// idempotency key; all calls share one circuit breaker (circuit_breaker.hpp):
// while it is open, calls fail at once without a request. Requests run on
// PAYMENT_CONCURRENCY I/O threads of its own; backoff waits hold no thread.
// Failures are logged with the order id, attempt and cause, never with
// request or answer bodies.

#include <orders/command/payment/circuit_breaker.hpp>
#include <orders/command/payment/delayed_executor.hpp>
#include <orders/command/payment/retry_policy.hpp>
#include <orders/command/payment_config.hpp>
#include <orders/command/payment_gateway.hpp>

namespace orders::command {
struct HttpUrl;
}  // namespace orders::command

namespace orders::command::payment {

class HttpPaymentGateway final : public PaymentGateway {
 public:
  // `config.url` must be a valid PAYMENT_URL (LoadPaymentConfig checks it).
  explicit HttpPaymentGateway(const PaymentConfig& config);
  ~HttpPaymentGateway() override;

  void Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) override;
  void Refund(RefundRequest request, std::function<void(RefundOutcome)> done) override;
  void Stop() override;

  CircuitBreaker::State BreakerState() const { return breaker_.StateAt(CircuitBreaker::Clock::now()); }

 private:
  template <typename Outcome>
  struct Call;
  template <typename Outcome>
  void Attempt(std::shared_ptr<Call<Outcome>> call, bool stopped);

  std::unique_ptr<HttpUrl> url_;
  std::chrono::milliseconds request_timeout_;
  RetryPolicy retry_;
  mutable CircuitBreaker breaker_;
  DelayedExecutor executor_;
};

}  // namespace orders::command::payment
