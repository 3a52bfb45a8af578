#pragma once
// The embedded payment gateway (PAYMENT_GATEWAY=simulator): answers after a
// fixed latency, declines amounts above a threshold, authorizes the rest with
// a payment id derived from the order id alone, so asking again for the same
// order (a retry, a restart) gets the same id, as a real gateway's
// idempotency key would. With no latency it answers inside the call (the
// port allows it: the workflow takes every answer the same way).

#include <atomic>
#include <chrono>
#include <cstdint>

#include <orders/command/payment/delayed_executor.hpp>
#include <orders/command/payment_gateway.hpp>

namespace orders::command::payment {

class SimulatedPaymentGateway final : public PaymentGateway {
 public:
  SimulatedPaymentGateway(std::chrono::milliseconds latency, std::int64_t decline_above_cents);
  ~SimulatedPaymentGateway() override;

  void Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) override;
  void Refund(RefundRequest request, std::function<void(RefundOutcome)> done) override;
  void Stop() override;

  static std::string PaymentIdFor(const std::string& order_id) { return "sim_" + order_id; }

 private:
  // Runs `answer` once the latency has passed (at once, inside the call, without one).
  void AfterLatency(std::function<void(bool stopped)> answer);

  std::chrono::milliseconds latency_;
  std::int64_t decline_above_cents_;
  std::atomic<bool> stopped_{false};
  DelayedExecutor executor_{1};
};

}  // namespace orders::command::payment
