#include <orders/domain/decide.hpp>

#include <string>

namespace orders::domain {
namespace {

Decision Reject(RejectionKind kind, std::string detail, std::vector<FieldError> fields = {}) {
  return Decision{{}, Rejection{kind, std::move(detail), std::move(fields)}};
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

}  // namespace orders::domain
