#include <orders/command/payment/http_gateway.hpp>
#include <orders/command/payment/make_payment_gateway.hpp>
#include <orders/command/payment/simulated_gateway.hpp>

namespace orders::command {

std::unique_ptr<PaymentGateway> MakePaymentGateway(const PaymentConfig& config) {
  switch (config.kind) {
    case PaymentConfig::Kind::kHttp:
      return std::make_unique<payment::HttpPaymentGateway>(config);
    case PaymentConfig::Kind::kSimulator:
      break;
  }
  return std::make_unique<payment::SimulatedPaymentGateway>(config.simulator_latency,
                                                            config.simulator_decline_above_cents);
}

}  // namespace orders::command
