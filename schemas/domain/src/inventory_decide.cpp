#include <orders/domain/inventory.hpp>

#include <algorithm>
#include <string>

#include <orders/domain/validation.hpp>

namespace orders::domain {
namespace {

StockDecision Reject(RejectionKind kind, std::string detail, std::vector<FieldError> fields = {}) {
  return StockDecision{{}, Rejection{kind, std::move(detail), std::move(fields), {}}};
}

void CheckProductId(std::string_view product_id, std::vector<FieldError>& errors) {
  if (!IsValidProductId(product_id)) {
    errors.push_back({"productId", "must be 1-64 characters of A-Z a-z 0-9 . _ -"});
  }
}

void CheckOrderId(std::string_view order_id, std::vector<FieldError>& errors) {
  if (!IsValidOrderId(order_id)) errors.push_back({"orderId", "must be a lower-case UUID"});
}

}  // namespace

// "." and ".." would be dot segments in /inventory/{productId}: clients and proxies rewrite them.
bool IsValidProductId(std::string_view text) { return IsValidCustomerId(text) && text != "." && text != ".."; }

bool MaySetStock(const Actor& actor) { return IsStaffOrService(actor); }

std::vector<FieldError> Validate(const SetStock& command) {
  std::vector<FieldError> errors;
  CheckProductId(command.product_id, errors);
  if (command.on_hand < 0 || command.on_hand > kMaxOnHand) {
    errors.push_back({"onHand", "must be an integer from 0 to 1000000000"});
  }
  return errors;
}

std::vector<FieldError> Validate(const ReserveStock& command) {
  std::vector<FieldError> errors;
  CheckProductId(command.product_id, errors);
  CheckOrderId(command.order_id, errors);
  if (command.quantity < 1 || command.quantity > kMaxOnHand) {
    errors.push_back({"quantity", "must be an integer from 1 to 1000000000"});
  }
  return errors;
}

std::vector<FieldError> Validate(const ReleaseStock& command) {
  std::vector<FieldError> errors;
  CheckProductId(command.product_id, errors);
  CheckOrderId(command.order_id, errors);
  return errors;
}

std::vector<FieldError> Validate(const CommitStock& command) {
  std::vector<FieldError> errors;
  CheckProductId(command.product_id, errors);
  CheckOrderId(command.order_id, errors);
  return errors;
}

StockDecision Decide(const std::optional<Stock>& state, const SetStock& command, Timestamp now) {
  if (auto errors = Validate(command); !errors.empty()) {
    return Reject(RejectionKind::kInvalid, "The stock level is not valid.", std::move(errors));
  }
  // Setting the level it already has still appends: the count was taken again,
  // and the caller gets a version that says so. Only the first one creates the product.
  const std::int64_t version = state ? state->version + 1 : 1;
  return StockDecision{{StockSet{command.product_id, version, now, command.on_hand}}, std::nullopt};
}

StockDecision Decide(const std::optional<Stock>& state, const ReserveStock& command, Timestamp now) {
  if (auto errors = Validate(command); !errors.empty()) {
    return Reject(RejectionKind::kInvalid, "The reservation is not valid.", std::move(errors));
  }
  if (!state) return StockDecision{};  // untracked: unlimited, nothing to hold
  const Stock& stock = *state;
  std::optional<std::int64_t> earlier;
  if (auto open = stock.reservations.find(command.order_id); open != stock.reservations.end()) {
    earlier = open->second;
  } else if (auto over = stock.settled.find(command.order_id); over != stock.settled.end()) {
    earlier = over->second.quantity;
  }
  if (earlier) {
    if (*earlier == command.quantity) return StockDecision{};  // asked before: that answer stands
    return Reject(RejectionKind::kTransitionNotAllowed,
                  "This order already asked for " + std::to_string(*earlier) + " of this product.");
  }
  const std::int64_t available = Available(stock);
  if (available < command.quantity) {
    return StockDecision{
        {ReservationRefused{command.product_id, stock.version + 1, now, command.order_id, command.quantity, available}},
        std::nullopt};
  }
  return StockDecision{{StockReserved{command.product_id, stock.version + 1, now, command.order_id, command.quantity}},
                       std::nullopt};
}

namespace {

// Release and Commit: an open reservation of the order is settled, or nothing happens.
template <typename Settled, typename Command>
StockDecision Settle(const std::optional<Stock>& state, const Command& command, Timestamp now, std::string_view what) {
  if (auto errors = Validate(command); !errors.empty()) {
    return Reject(RejectionKind::kInvalid, "The " + std::string(what) + " is not valid.", std::move(errors));
  }
  if (!state) return StockDecision{};
  auto open = state->reservations.find(command.order_id);
  if (open == state->reservations.end()) return StockDecision{};
  return StockDecision{{Settled{command.product_id, state->version + 1, now, command.order_id, open->second}},
                       std::nullopt};
}

}  // namespace

StockDecision Decide(const std::optional<Stock>& state, const ReleaseStock& command, Timestamp now) {
  return Settle<StockReleased>(state, command, now, "release");
}

StockDecision Decide(const std::optional<Stock>& state, const CommitStock& command, Timestamp now) {
  return Settle<StockCommitted>(state, command, now, "commitment");
}

}  // namespace orders::domain
