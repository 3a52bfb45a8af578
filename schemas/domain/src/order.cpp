#include <algorithm>

#include <orders/domain/events.hpp>
#include <orders/domain/order.hpp>

namespace orders::domain {

bool IsOpenForDelivery(const Order& order) {
  return (order.status == Status::kConfirmed || order.status == Status::kProcessing) && order.courier_id.empty();
}

bool HasDeclined(const Order& order, std::string_view courier_id) {
  return std::find(order.declined_by.begin(), order.declined_by.end(), courier_id) != order.declined_by.end();
}

std::string_view ToString(PaymentStatus status) {
  switch (status) {
    case PaymentStatus::kPending:
      return "pending";
    case PaymentStatus::kAuthorized:
      return "authorized";
    case PaymentStatus::kDeclined:
      return "declined";
    case PaymentStatus::kRefunded:
      return "refunded";
    case PaymentStatus::kNotRequired:
      return "not_required";
  }
  return "pending";
}

std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text) {
  if (text == "pending") return PaymentStatus::kPending;
  if (text == "authorized") return PaymentStatus::kAuthorized;
  if (text == "declined") return PaymentStatus::kDeclined;
  if (text == "refunded") return PaymentStatus::kRefunded;
  if (text == "not_required") return PaymentStatus::kNotRequired;
  return std::nullopt;
}

Payment InitialPayment(std::int64_t total_cents) {
  // Nothing to charge: the order never waits for a gateway.
  if (total_cents == 0) return Payment{PaymentStatus::kNotRequired, {}, 0};
  return Payment{PaymentStatus::kPending, {}, total_cents};
}

std::string_view ToString(AssignedBy by) {
  switch (by) {
    case AssignedBy::kCourier:
      return "courier";
    case AssignedBy::kStaff:
      return "staff";
    case AssignedBy::kService:
      return "service";
  }
  return "courier";
}

std::optional<AssignedBy> ParseAssignedBy(std::string_view text) {
  if (text == "courier") return AssignedBy::kCourier;
  if (text == "staff") return AssignedBy::kStaff;
  if (text == "service") return AssignedBy::kService;
  return std::nullopt;
}

}  // namespace orders::domain
