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

}  // namespace

OrderStep NextOrderStep(const Order& order, const std::vector<ProductAnswer>& products, Timestamp now,
                        std::chrono::milliseconds deadline) {
  const PaymentStatus payment = order.payment.status;
  if (order.status == Status::kCancelled) {
    return payment == PaymentStatus::kAuthorized ? OrderStep{OrderStepKind::kRefund, {}} : OrderStep{};
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
