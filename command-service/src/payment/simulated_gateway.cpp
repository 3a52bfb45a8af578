#include <orders/command/payment/simulated_gateway.hpp>

namespace orders::command::payment {

SimulatedPaymentGateway::SimulatedPaymentGateway(std::chrono::milliseconds latency, std::int64_t decline_above_cents)
    : latency_(latency), decline_above_cents_(decline_above_cents) {}

SimulatedPaymentGateway::~SimulatedPaymentGateway() { Stop(); }

AuthorizationOutcome SimulatedPaymentGateway::Decide(const AuthorizationRequest& request) const {
  if (request.amount_cents > decline_above_cents_) return PaymentDecline{"amount above the simulator's limit"};
  return PaymentAuthorization{PaymentIdFor(request.order_id)};
}

void SimulatedPaymentGateway::Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) {
  if (latency_.count() == 0) {
    // Without a latency there is nothing to wait for: answered inside the
    // call, which spares every order a hand-off to the executor's thread.
    if (stopped_.load()) return done(PaymentFailure{"the payment gateway stopped"});
    return done(Decide(request));
  }
  executor_.Post(DelayedExecutor::Clock::now() + latency_,
                 [this, request = std::move(request), done = std::move(done)](bool stopped) {
                   if (stopped) return done(PaymentFailure{"the payment gateway stopped"});
                   done(Decide(request));
                 });
}

void SimulatedPaymentGateway::Refund(RefundRequest request, std::function<void(RefundOutcome)> done) {
  (void)request;
  if (latency_.count() == 0) {
    if (stopped_.load()) return done(PaymentFailure{"the payment gateway stopped"});
    return done(PaymentRefund{});
  }
  executor_.Post(DelayedExecutor::Clock::now() + latency_, [done = std::move(done)](bool stopped) {
    if (stopped) return done(PaymentFailure{"the payment gateway stopped"});
    done(PaymentRefund{});
  });
}

void SimulatedPaymentGateway::Stop() {
  stopped_.store(true);
  executor_.Stop();
}

}  // namespace orders::command::payment
