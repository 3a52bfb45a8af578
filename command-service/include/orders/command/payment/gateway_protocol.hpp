#pragma once
// The HTTP payment gateway's wire format, defined once: request bodies and
// idempotency keys, and what an answer means. Anything but a 2xx with one of
// the documented bodies is a failure to retry (never a decline: a decline
// must be the gateway's own word).
//
//   POST /authorizations  Idempotency-Key: <orderId>
//     {orderId, amountCents, currency, customerId}
//     2xx {"status":"authorized","paymentId":"..."} | {"status":"declined","reason":"..."}
//   POST /refunds         Idempotency-Key: <orderId>:refund
//     {orderId, paymentId, amountCents}
//     2xx {"status":"refunded"}

#include <string>

#include <orders/command/payment_gateway.hpp>

namespace orders::command::payment {

inline constexpr const char* kAuthorizationsPath = "/authorizations";
inline constexpr const char* kRefundsPath = "/refunds";

std::string AuthorizationBody(const AuthorizationRequest& request);
std::string AuthorizationKey(const AuthorizationRequest& request);
std::string RefundBody(const RefundRequest& request);
std::string RefundKey(const RefundRequest& request);

AuthorizationOutcome ReadAuthorizationAnswer(int status, const std::string& body);
RefundOutcome ReadRefundAnswer(int status, const std::string& body);

}  // namespace orders::command::payment
