#pragma once
// The payment gateway PAYMENT_GATEWAY names, built from its settings.

#include <memory>

#include <orders/command/payment_config.hpp>
#include <orders/command/payment_gateway.hpp>

namespace orders::command {

std::unique_ptr<PaymentGateway> MakePaymentGateway(const PaymentConfig& config);

}  // namespace orders::command
