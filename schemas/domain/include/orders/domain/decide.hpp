#pragma once
// Decide: the pure command side of the lifecycle. Given the current state
// (nullopt when the order does not exist) and a command, it returns the events
// to append, or why the command is refused. An accepted command that changes
// nothing (same status again) yields no events.

#include <optional>
#include <string>
#include <vector>

#include <orders/domain/commands.hpp>
#include <orders/domain/events.hpp>
#include <orders/domain/validation.hpp>

namespace orders::domain {

enum class RejectionKind {
  kInvalid,               // 400: fields break the contract's rules
  kNotFound,              // 404
  kAlreadyExists,         // 409: orderId taken
  kTransitionNotAllowed,  // 409: lifecycle forbids the move
  kForbidden,             // 403: the order is another courier's
  kVersionMismatch,       // 412: If-Match differs from the current version
};

struct Rejection {
  RejectionKind kind;
  std::string detail;              // safe to show to a client
  std::vector<FieldError> fields;  // for kInvalid
  // Which conflict, for clients that act on it (problem type
  // urn:orders:problem:<problem>): "delivery-taken", "not-open-for-delivery",
  // "order-terminal", "no-courier", "delivery-picked-up", "own-delivery".
  // Empty: the kind says it all.
  std::string problem;
};

struct Decision {
  std::vector<Event> events;
  std::optional<Rejection> rejection;

  bool accepted() const { return !rejection.has_value(); }
};

Decision Decide(const std::optional<Order>& state, const PlaceOrder& command, Timestamp now);
Decision Decide(const std::optional<Order>& state, const ChangeStatus& command, Timestamp now);
Decision Decide(const std::optional<Order>& state, const AssignCourier& command, Timestamp now);
Decision Decide(const std::optional<Order>& state, const UnassignCourier& command, Timestamp now);
Decision Decide(const std::optional<Order>& state, const DeclineDelivery& command, Timestamp now);
// Payment answers (problems: "payment-not-required", "payment-settled", "payment-not-authorized"). The
// authorization is of the order's pending amount; the refund gives back the authorized payment.
Decision Decide(const std::optional<Order>& state, const RecordPaymentAuthorized& command, Timestamp now);
Decision Decide(const std::optional<Order>& state, const RecordPaymentDeclined& command, Timestamp now);
Decision Decide(const std::optional<Order>& state, const RecordPaymentRefunded& command, Timestamp now);

}  // namespace orders::domain
