#include <orders/domain/decide.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace orders::domain {
namespace {

Decision Reject(RejectionKind kind, std::string detail, std::vector<FieldError> fields = {}) {
  return Decision{{}, Rejection{kind, std::move(detail), std::move(fields), {}}};
}

// A 409 of the delivery commands, named so that a courier's app can tell
// "someone was faster" from "this order is not for couriers (any more)".
Decision Conflict(std::string problem, std::string detail) {
  return Decision{{}, Rejection{RejectionKind::kTransitionNotAllowed, std::move(detail), {}, std::move(problem)}};
}

}  // namespace

Decision Decide(const std::optional<Order>& state, const PlaceOrder& command, Timestamp now) {
  if (auto errors = Validate(command); !errors.empty()) {
    return Reject(RejectionKind::kInvalid, "The order is not valid.", std::move(errors));
  }
  if (state) {
    return Reject(RejectionKind::kAlreadyExists, "An order with this orderId already exists.");
  }
  OrderPlaced placed{command.order_id,         1, now, command.customer_id, command.items, command.currency,
                     TotalCents(command.items)};
  return Decision{{std::move(placed)}, std::nullopt};
}

Decision Decide(const std::optional<Order>& state, const ChangeStatus& command, Timestamp now) {
  if (auto errors = Validate(command); !errors.empty()) {
    return Reject(RejectionKind::kInvalid, "The status change is not valid.", std::move(errors));
  }
  if (!state) {
    return Reject(RejectionKind::kNotFound, "No order with this orderId.");
  }
  if (command.expected_version && *command.expected_version != state->version) {
    return Reject(RejectionKind::kVersionMismatch, "The order is at version " + std::to_string(state->version) + ".");
  }
  if (command.to == state->status) {
    return Decision{};  // idempotent no-op
  }
  if (!IsTransitionAllowed(state->status, command.to)) {
    return Reject(RejectionKind::kTransitionNotAllowed, "An order that is " + std::string(ToString(state->status)) +
                                                            " cannot become " + std::string(ToString(command.to)) +
                                                            ".");
  }
  StatusChanged changed{command.order_id, state->version + 1, now, state->status, command.to, command.reason};
  return Decision{{std::move(changed)}, std::nullopt};
}

namespace {

// The checks every command on an existing order starts with; a rejection or nothing.
template <typename Command>
std::optional<Decision> CheckExisting(const std::optional<Order>& state, const Command& command,
                                      std::string_view what) {
  if (auto errors = Validate(command); !errors.empty()) {
    return Reject(RejectionKind::kInvalid, "The " + std::string(what) + " is not valid.", std::move(errors));
  }
  if (!state) return Reject(RejectionKind::kNotFound, "No order with this orderId.");
  if (command.expected_version && *command.expected_version != state->version) {
    return Reject(RejectionKind::kVersionMismatch, "The order is at version " + std::to_string(state->version) + ".");
  }
  return std::nullopt;
}

std::string StatusText(const Order& order) { return std::string(ToString(order.status)); }

}  // namespace

Decision Decide(const std::optional<Order>& state, const AssignCourier& command, Timestamp now) {
  if (auto rejected = CheckExisting(state, command, "assignment")) return std::move(*rejected);
  const Order& order = *state;
  if (order.courier_id == command.courier_id) return Decision{};  // already theirs: idempotent
  if (!order.courier_id.empty()) {
    return Conflict("delivery-taken", "Another courier already has this delivery.");
  }
  if (IsTerminal(order.status)) {
    return Conflict("order-terminal", "An order that is " + StatusText(order) + " takes no courier.");
  }
  // A courier may only take what is open; staff may assign at any step before the end.
  if (command.by == AssignedBy::kCourier && !IsOpenForDelivery(order)) {
    return Conflict("not-open-for-delivery", "An order that is " + StatusText(order) + " is not open for delivery.");
  }
  CourierAssigned assigned{command.order_id, order.version + 1, now, command.courier_id, command.by};
  return Decision{{std::move(assigned)}, std::nullopt};
}

Decision Decide(const std::optional<Order>& state, const UnassignCourier& command, Timestamp now) {
  if (auto rejected = CheckExisting(state, command, "release")) return std::move(*rejected);
  const Order& order = *state;
  if (order.courier_id.empty()) {
    return Conflict("no-courier", "No courier is assigned to this order.");
  }
  if (command.courier_id) {
    if (*command.courier_id != order.courier_id) {
      return Reject(RejectionKind::kForbidden, "This delivery is assigned to another courier.");
    }
    if (order.status >= Status::kOutForDelivery) {
      return Conflict("delivery-picked-up", "A delivery that is " + StatusText(order) + " can no longer be released.");
    }
  } else if (order.status == Status::kDelivered || order.status == Status::kCancelled) {
    return Conflict("order-terminal", "An order that is " + StatusText(order) + " keeps its courier.");
  }
  CourierUnassigned unassigned{command.order_id, order.version + 1, now, order.courier_id, command.reason};
  return Decision{{std::move(unassigned)}, std::nullopt};
}

Decision Decide(const std::optional<Order>& state, const DeclineDelivery& command, Timestamp now) {
  if (auto rejected = CheckExisting(state, command, "decline")) return std::move(*rejected);
  const Order& order = *state;
  if (order.courier_id == command.courier_id) {
    return Conflict("own-delivery", "This delivery is yours: release it instead of declining.");
  }
  if (!IsOpenForDelivery(order)) {
    return Conflict("not-open-for-delivery", "This order is not open for delivery.");
  }
  if (HasDeclined(order, command.courier_id)) return Decision{};  // declined before: idempotent
  DeliveryDeclined declined{command.order_id, order.version + 1, now, command.courier_id, command.reason};
  return Decision{{std::move(declined)}, std::nullopt};
}

namespace {

std::optional<Decision> CheckPaymentTarget(const std::optional<Order>& state) {
  if (!state) return Reject(RejectionKind::kNotFound, "No order with this orderId.");
  if (state->payment.status == PaymentStatus::kNotRequired) {
    return Conflict("payment-not-required", "This order needs no payment.");
  }
  return std::nullopt;
}

Decision Settled(const Payment& payment) {
  return Conflict("payment-settled",
                  "The payment of this order is already " + std::string(ToString(payment.status)) + ".");
}

}  // namespace

Decision Decide(const std::optional<Order>& state, const RecordPaymentAuthorized& command, Timestamp now) {
  if (auto rejected = CheckPaymentTarget(state)) return std::move(*rejected);
  const Payment& payment = state->payment;
  const bool same_payment = payment.payment_id == command.payment_id;
  if (same_payment && (payment.status == PaymentStatus::kAuthorized || payment.status == PaymentStatus::kRefunded)) {
    return Decision{};  // recorded before
  }
  if (payment.status != PaymentStatus::kPending) return Settled(payment);
  const bool visible_ascii =
      std::all_of(command.payment_id.begin(), command.payment_id.end(), [](char c) { return c >= '!' && c <= '~'; });
  if (command.payment_id.empty() || command.payment_id.size() > 128 || !visible_ascii) {
    return Reject(RejectionKind::kInvalid, "The payment id is not valid.",
                  {{"paymentId", "must be 1-128 visible ASCII characters"}});
  }
  return Decision{
      {PaymentAuthorized{command.order_id, state->version + 1, now, command.payment_id, payment.amount_cents}},
      std::nullopt};
}

Decision Decide(const std::optional<Order>& state, const RecordPaymentDeclined& command, Timestamp now) {
  if (auto rejected = CheckPaymentTarget(state)) return std::move(*rejected);
  if (state->payment.status == PaymentStatus::kDeclined) return Decision{};  // recorded before
  if (state->payment.status != PaymentStatus::kPending) return Settled(state->payment);
  if (!IsPrintableText(command.reason) || CodePointCount(command.reason) > kMaxReasonLength) {
    return Reject(RejectionKind::kInvalid, "The decline reason is not valid.",
                  {{"reason", "must be at most 280 characters, none of them control characters"}});
  }
  return Decision{{PaymentDeclined{command.order_id, state->version + 1, now, command.reason}}, std::nullopt};
}

Decision Decide(const std::optional<Order>& state, const RecordPaymentRefunded& command, Timestamp now) {
  if (auto rejected = CheckPaymentTarget(state)) return std::move(*rejected);
  const Payment& payment = state->payment;
  if (payment.status == PaymentStatus::kRefunded) return Decision{};  // recorded before
  if (payment.status != PaymentStatus::kAuthorized) {
    return Conflict("payment-not-authorized", "Only an authorized payment can be refunded.");
  }
  return Decision{
      {PaymentRefunded{command.order_id, state->version + 1, now, payment.payment_id, payment.amount_cents}},
      std::nullopt};
}

}  // namespace orders::domain
