// The workflow's rules: what an order's writer and a product's writer do next.
#include <gtest/gtest.h>

#include <orders/domain/fulfilment.hpp>

namespace orders::domain {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

const Timestamp kPlacedAt{milliseconds(1'800'000'000'000)};
const auto kDeadline = minutes(15);

Order Pending(std::int64_t total_cents = 500) {
  Order order;
  order.order_id = "o-1";
  order.customer_id = "c-1";
  order.items = {{"sku-a", 2, 100}, {"sku-b", 1, 300}, {"sku-a", 1, 0}};
  order.currency = "USD";
  order.total_cents = total_cents;
  order.created_at = kPlacedAt;
  order.payment = InitialPayment(total_cents);
  return order;
}

ProductAnswer Tracked(std::string product, ReservationState state) { return {std::move(product), state}; }
ProductAnswer Untracked(std::string product) { return {std::move(product), std::nullopt}; }

OrderStep Next(const Order& order, const std::vector<ProductAnswer>& answers, Timestamp now = kPlacedAt) {
  return NextOrderStep(order, answers, now, kDeadline);
}

TEST(Fulfilment, QuantitiesOfOneProductAreSummedAcrossLines) {
  const auto quantities = QuantitiesByProduct(Pending());
  EXPECT_EQ(quantities, (std::map<std::string, std::int64_t>{{"sku-a", 3}, {"sku-b", 1}}));
}

TEST(Fulfilment, PaymentWaitsUntilEveryTrackedProductHasAnswered) {
  const auto order = Pending();
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kNone), Untracked("sku-b")}).kind, OrderStepKind::kWait);
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kHeld), Untracked("sku-b")}).kind,
            OrderStepKind::kAuthorize);
  EXPECT_EQ(Next(order, {Untracked("sku-a"), Untracked("sku-b")}).kind, OrderStepKind::kAuthorize);
}

TEST(Fulfilment, ARefusalCancelsOutOfStockWithoutAskingForPayment) {
  const auto step =
      Next(Pending(), {Tracked("sku-a", ReservationState::kHeld), Tracked("sku-b", ReservationState::kRefused)});
  EXPECT_EQ(step, (OrderStep{OrderStepKind::kCancel, "out_of_stock"}));
  // Even while another product has not answered yet.
  EXPECT_EQ(Next(Pending(), {Tracked("sku-a", ReservationState::kNone), Tracked("sku-b", ReservationState::kRefused)}),
            (OrderStep{OrderStepKind::kCancel, "out_of_stock"}));
}

TEST(Fulfilment, AnAuthorizedOrWaivedPaymentWithEveryReservationHeldConfirms) {
  auto order = Pending();
  order.payment = {PaymentStatus::kAuthorized, "pay-1", 500};
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kHeld), Untracked("sku-b")}).kind, OrderStepKind::kConfirm);
  auto free = Pending(0);
  ASSERT_EQ(free.payment.status, PaymentStatus::kNotRequired);
  EXPECT_EQ(Next(free, {Untracked("sku-a"), Untracked("sku-b")}).kind, OrderStepKind::kConfirm);
  EXPECT_EQ(Next(free, {Tracked("sku-a", ReservationState::kNone), Untracked("sku-b")}).kind, OrderStepKind::kWait);
}

TEST(Fulfilment, ADeclinedPaymentCancelsWithItsReason) {
  auto order = Pending();
  order.payment = {PaymentStatus::kDeclined, "", 500};
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kHeld), Untracked("sku-b")}),
            (OrderStep{OrderStepKind::kCancel, "payment_declined"}));
}

TEST(Fulfilment, TheDeadlineCountsFromThePlacementAndCancelsAnOrderStillWaiting) {
  const auto order = Pending();
  const std::vector<ProductAnswer> waiting{Tracked("sku-a", ReservationState::kNone), Untracked("sku-b")};
  EXPECT_EQ(Next(order, waiting, kPlacedAt + kDeadline - milliseconds(1)).kind, OrderStepKind::kWait);
  EXPECT_EQ(Next(order, waiting, kPlacedAt + kDeadline), (OrderStep{OrderStepKind::kCancel, "payment_timeout"}));
  // An authorization that arrived in time still confirms after the deadline: the money is taken.
  auto paid = order;
  paid.payment = {PaymentStatus::kAuthorized, "pay-1", 500};
  EXPECT_EQ(Next(paid, {Tracked("sku-a", ReservationState::kHeld)}, kPlacedAt + kDeadline * 2).kind,
            OrderStepKind::kConfirm);
}

TEST(Fulfilment, ACancelledOrderWithAnAuthorizedPaymentIsRefundedAndNothingElse) {
  auto order = Pending();
  order.status = Status::kCancelled;
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kRefused)}).kind, OrderStepKind::kNothing);
  order.payment = {PaymentStatus::kAuthorized, "pay-1", 500};
  EXPECT_EQ(Next(order, {}).kind, OrderStepKind::kRefund);
  order.payment.status = PaymentStatus::kRefunded;
  EXPECT_EQ(Next(order, {}).kind, OrderStepKind::kNothing);
}

TEST(Fulfilment, AnOrderCancelledWhileItsPaymentWasUnansweredAsksTheGatewayAgain) {
  auto order = Pending();
  order.status = Status::kCancelled;
  // It reached the payment step: every tracked product held it (released since the cancellation).
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kReleased), Untracked("sku-b")}).kind,
            OrderStepKind::kAuthorize);
  EXPECT_EQ(Next(order, {Untracked("sku-a")}).kind, OrderStepKind::kAuthorize);
  // It never did: a product refused, or had not answered when the order was cancelled.
  EXPECT_EQ(
      Next(order, {Tracked("sku-a", ReservationState::kReleased), Tracked("sku-b", ReservationState::kRefused)}).kind,
      OrderStepKind::kNothing);
  EXPECT_EQ(Next(order, {Tracked("sku-a", ReservationState::kNone)}).kind, OrderStepKind::kNothing);
  // The gateway's answer is in the log: declined needs nothing more.
  order.payment.status = PaymentStatus::kDeclined;
  EXPECT_EQ(Next(order, {Untracked("sku-a")}).kind, OrderStepKind::kNothing);
  auto free = Pending(0);
  free.status = Status::kCancelled;
  EXPECT_EQ(Next(free, {Untracked("sku-a")}).kind, OrderStepKind::kNothing);
}

TEST(Fulfilment, OrdersPastPendingHaveNoOrderStep) {
  auto order = Pending();
  order.payment = {PaymentStatus::kAuthorized, "pay-1", 500};
  for (auto status : {Status::kConfirmed, Status::kShipped, Status::kDelivered}) {
    order.status = status;
    EXPECT_EQ(Next(order, {}, kPlacedAt + kDeadline * 10).kind, OrderStepKind::kNothing);
  }
}

TEST(Fulfilment, AProductReservesForAPendingOrderOnly) {
  auto order = Pending();
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kNone), (StockStep{StockStepKind::kReserve, 3}));
  order.status = Status::kCancelled;
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kNone).kind, StockStepKind::kNothing);
}

TEST(Fulfilment, AReservationIsNeverAskedTwice) {
  const auto order = Pending();
  for (auto state : {ReservationState::kHeld, ReservationState::kRefused, ReservationState::kReleased}) {
    EXPECT_EQ(NextStockStep(order, 3, state).kind, StockStepKind::kNothing);
  }
}

TEST(Fulfilment, CancelledReleasesAndDeliveredCommitsAHeldReservation) {
  auto order = Pending();
  order.status = Status::kCancelled;
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kHeld).kind, StockStepKind::kRelease);
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kReleased).kind, StockStepKind::kNothing);
  order.status = Status::kDelivered;
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kHeld).kind, StockStepKind::kCommit);
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kCommitted).kind, StockStepKind::kNothing);
  order.status = Status::kShipped;
  EXPECT_EQ(NextStockStep(order, 3, ReservationState::kHeld).kind, StockStepKind::kNothing);
}

}  // namespace
}  // namespace orders::domain
