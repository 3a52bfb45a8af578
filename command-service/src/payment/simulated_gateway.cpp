#include <orders/command/payment/simulated_gateway.hpp>

namespace orders::command::payment {

SimulatedPaymentGateway::SimulatedPaymentGateway(std::chrono::milliseconds latency, std::int64_t decline_above_cents)
    : latency_(latency), decline_above_cents_(decline_above_cents) {}

SimulatedPaymentGateway::~SimulatedPaymentGateway() { Stop(); }

void SimulatedPaymentGateway::AfterLatency(std::function<void(bool stopped)> answer) {
  // Without a latency there is nothing to wait for: answered inside the call,
  // which spares every order a hand-off to the executor's thread.
  if (latency_.count() == 0) return answer(stopped_.load());
  executor_.Post(DelayedExecutor::Clock::now() + latency_, std::move(answer));
}

void SimulatedPaymentGateway::Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) {
  AfterLatency([this, request = std::move(request), done = std::move(done)](bool stopped) {
    if (stopped) return done(PaymentFailure{"the payment gateway stopped"});
    if (request.amount_cents > decline_above_cents_) return done(PaymentDecline{"amount above the simulator's limit"});
    done(PaymentAuthorization{PaymentIdFor(request.order_id)});
  });
}

void SimulatedPaymentGateway::Refund(RefundRequest request, std::function<void(RefundOutcome)> done) {
  (void)request;
  AfterLatency([done = std::move(done)](bool stopped) {
    if (stopped) return done(PaymentFailure{"the payment gateway stopped"});
    done(PaymentRefund{});
  });
}

void SimulatedPaymentGateway::Stop() {
  stopped_.store(true);
  executor_.Stop();
}

}  // namespace orders::command::payment
