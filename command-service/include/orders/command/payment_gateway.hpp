#pragma once
// The payment gateway port: what the fulfilment workflow asks of whoever
// moves the money. Calls are asynchronous: they return at once and `done`
// runs later on the gateway's own thread (never on a caller's event loop),
// so a slow gateway never blocks the service; the caller hands the outcome
// over to its own thread. An answer known without waiting (a simulator
// without latency) may run `done` inside the call, so callers hold no lock
// `done` takes. `done` runs exactly once per call: after Stop() it runs at
// once, inside the call, with a PaymentFailure.
//
// Every call for an order carries the order id as its idempotency key: the
// same order asked twice (a retry, a restart after a crash) is authorized
// once and answered with the same payment id.

#include <cstdint>
#include <functional>
#include <string>
#include <variant>

namespace orders::command {

struct AuthorizationRequest {
  std::string order_id;
  std::int64_t amount_cents = 0;
  std::string currency;
  std::string customer_id;
};

struct RefundRequest {
  std::string order_id;
  std::string payment_id;
  std::int64_t amount_cents = 0;
};

struct PaymentAuthorization {
  std::string payment_id;
  friend bool operator==(const PaymentAuthorization&, const PaymentAuthorization&) = default;
};

struct PaymentDecline {
  std::string reason;
  friend bool operator==(const PaymentDecline&, const PaymentDecline&) = default;
};

struct PaymentRefund {
  friend bool operator==(const PaymentRefund&, const PaymentRefund&) = default;
};

// No answer to act on (timeout, connection refused, 5xx, garbage, an open
// circuit): nothing is known to have happened, and the same request may be
// sent again later with the same idempotency key. `why` is for operators'
// logs only and never holds secrets or response bodies.
struct PaymentFailure {
  std::string why;
  friend bool operator==(const PaymentFailure&, const PaymentFailure&) = default;
};

using AuthorizationOutcome = std::variant<PaymentAuthorization, PaymentDecline, PaymentFailure>;
using RefundOutcome = std::variant<PaymentRefund, PaymentFailure>;

class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;

  virtual void Authorize(AuthorizationRequest request, std::function<void(AuthorizationOutcome)> done) = 0;
  virtual void Refund(RefundRequest request, std::function<void(RefundOutcome)> done) = 0;
  // Answers every call still waiting (with PaymentFailure "stopped") and ends
  // the gateway's threads; later calls fail at once. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace orders::command
