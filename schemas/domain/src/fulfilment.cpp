#include <orders/domain/fulfilment.hpp>

#include <algorithm>

namespace orders::domain {

std::map<std::string, std::int64_t> QuantitiesByProduct(const Order& order) {
  std::map<std::string, std::int64_t> quantities;
  for (const auto& item : order.items) quantities[item.product_id] += item.quantity;
  return quantities;
}

namespace {

bool AnyAnswered(const std::vector<ProductAnswer>& products, ReservationState state) {
  return std::any_of(products.begin(), products.end(),
                     [state](const ProductAnswer& product) { return product.reservation == state; });
}

// Every tracked product holds the order's reservation (untracked ones are unlimited).
bool AllHeld(const std::vector<ProductAnswer>& products) {
  return std::all_of(products.begin(), products.end(), [](const ProductAnswer& product) {
    return !product.reservation || *product.reservation == ReservationState::kHeld;
  });
}

OrderStep Cancel(std::string_view reason) { return {OrderStepKind::kCancel, std::string(reason)}; }

// Every tracked product held the order's reservation (it may have been
// released since): the order reached the payment step, so an authorization may
// have been sent.
bool ReachedPayment(const std::vector<ProductAnswer>& products) {
  return std::all_of(products.begin(), products.end(), [](const ProductAnswer& product) {
    return !product.reservation || *product.reservation == ReservationState::kHeld ||
           *product.reservation == ReservationState::kReleased;
  });
}

}  // namespace

OrderStep NextOrderStep(const Order& order, const std::vector<ProductAnswer>& products, Timestamp now,
                        std::chrono::milliseconds deadline) {
  const PaymentStatus payment = order.payment.status;
  if (order.status == Status::kCancelled) {
    if (payment == PaymentStatus::kAuthorized) return {OrderStepKind::kRefund, {}};
    // Cancelled (at the deadline, or by a person) while its payment was still
    // unanswered: the gateway may have charged without the answer reaching the
    // log. Asking again with the same key returns what it did; a charge found
    // so is then refunded.
    if (payment == PaymentStatus::kPending && ReachedPayment(products)) return {OrderStepKind::kAuthorize, {}};
    return {};
  }
  if (order.status != Status::kPending) return {};

  // Final answers first: a refusal or a decline ends the order whatever else is pending.
  if (payment == PaymentStatus::kDeclined) return Cancel(kPaymentDeclined);
  if (AnyAnswered(products, ReservationState::kRefused)) return Cancel(kOutOfStock);
  const bool paid = payment == PaymentStatus::kAuthorized || payment == PaymentStatus::kNotRequired;
  if (paid && AllHeld(products)) return {OrderStepKind::kConfirm, {}};
  if (now >= order.created_at + deadline) return Cancel(kPaymentTimeout);
  // No payment before every tracked product has answered: an order that runs
  // out of stock is never charged.
  if (AnyAnswered(products, ReservationState::kNone)) return {OrderStepKind::kWait, {}};
  if (payment == PaymentStatus::kPending) return {OrderStepKind::kAuthorize, {}};
  return {OrderStepKind::kWait, {}};
}

StockStep NextStockStep(const Order& order, std::int64_t quantity, ReservationState reservation) {
  switch (reservation) {
    case ReservationState::kNone:
      if (order.status == Status::kPending) return {StockStepKind::kReserve, quantity};
      return {};
    case ReservationState::kHeld:
      if (order.status == Status::kCancelled) return {StockStepKind::kRelease, 0};
      if (order.status == Status::kDelivered) return {StockStepKind::kCommit, 0};
      return {};
    case ReservationState::kRefused:
    case ReservationState::kReleased:
    case ReservationState::kCommitted:
      return {};
  }
  return {};
}

}  // namespace orders::domain
