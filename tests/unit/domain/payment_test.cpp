// The order's payment as folded from its events: what it is before any payment event, and the
// one order payment events may come in (pending -> authorized | declined, authorized -> refunded).

#include <gtest/gtest.h>

#include <orders/domain/decide.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::domain {
namespace {

using testing::At;
using testing::kOrderId;

std::optional<Order> PlacedOrder(std::int64_t unit_price_cents = 1250) {
  auto placed = testing::Placed();
  placed.items = {{"sku-1", 2, unit_price_cents}};
  placed.total_cents = TotalCents(placed.items);
  std::optional<Order> state;
  EXPECT_EQ(Apply(state, placed), ApplyOutcome::kApplied);
  return state;
}

PaymentAuthorized Authorized(std::int64_t version, std::int64_t amount = 2500, std::string id = "pay-1") {
  return PaymentAuthorized{kOrderId, version, At(1764000002000), std::move(id), amount};
}

TEST(OrderPayment, APlacedOrderWaitsForItsWholeTotal) {
  const auto state = PlacedOrder();
  EXPECT_EQ(state->payment, (Payment{PaymentStatus::kPending, "", 2500}));
}

TEST(OrderPayment, AFreeOrderNeedsNoPaymentAndTakesNoPaymentEvent) {
  auto state = PlacedOrder(0);
  EXPECT_EQ(state->payment, (Payment{PaymentStatus::kNotRequired, "", 0}));
  EXPECT_EQ(Apply(state, Authorized(2, 1)), ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(state, PaymentDeclined{kOrderId, 2, At(), "no"}), ApplyOutcome::kInvalid);
}

TEST(OrderPayment, AuthorizationRecordsThePaymentIdAndBumpsTheVersion) {
  auto state = PlacedOrder();
  ASSERT_EQ(Apply(state, Authorized(2)), ApplyOutcome::kApplied);
  EXPECT_EQ(state->payment, (Payment{PaymentStatus::kAuthorized, "pay-1", 2500}));
  EXPECT_EQ(state->version, 2);
  EXPECT_EQ(state->updated_at, At(1764000002000));
  EXPECT_EQ(state->status, Status::kPending);  // confirming is the workflow's own step
}

TEST(OrderPayment, AnAuthorizationOfAnotherAmountIsRefused) {
  auto state = PlacedOrder();
  EXPECT_EQ(Apply(state, Authorized(2, 2499)), ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(state, Authorized(2, 2500, "")), ApplyOutcome::kInvalid);
  EXPECT_EQ(state->version, 1);
}

TEST(OrderPayment, AnOrderIsAuthorizedOrDeclinedOnceOnly) {
  auto state = PlacedOrder();
  ASSERT_EQ(Apply(state, Authorized(2)), ApplyOutcome::kApplied);
  EXPECT_EQ(Apply(state, Authorized(3, 2500, "pay-2")), ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(state, PaymentDeclined{kOrderId, 3, At(), "card expired"}), ApplyOutcome::kInvalid);

  auto declined = PlacedOrder();
  ASSERT_EQ(Apply(declined, PaymentDeclined{kOrderId, 2, At(), "card expired"}), ApplyOutcome::kApplied);
  EXPECT_EQ(declined->payment, (Payment{PaymentStatus::kDeclined, "", 2500}));
  EXPECT_EQ(Apply(declined, Authorized(3)), ApplyOutcome::kInvalid);
}

TEST(OrderPayment, AGatewayAnswerIsRecordedEvenAfterTheOrderWasCancelled) {
  auto state = PlacedOrder();
  ASSERT_EQ(Apply(state, testing::Changed(2, Status::kPending, Status::kCancelled)), ApplyOutcome::kApplied);
  ASSERT_EQ(Apply(state, Authorized(3)), ApplyOutcome::kApplied);
  ASSERT_EQ(Apply(state, PaymentRefunded{kOrderId, 4, At(), "pay-1", 2500}), ApplyOutcome::kApplied);
  EXPECT_EQ(state->payment.status, PaymentStatus::kRefunded);
}

TEST(OrderPayment, OnlyTheAuthorizedPaymentIsRefundedInFullAndOnce) {
  auto state = PlacedOrder();
  EXPECT_EQ(Apply(state, PaymentRefunded{kOrderId, 2, At(), "pay-1", 2500}), ApplyOutcome::kInvalid);
  ASSERT_EQ(Apply(state, Authorized(2)), ApplyOutcome::kApplied);
  EXPECT_EQ(Apply(state, PaymentRefunded{kOrderId, 3, At(), "pay-9", 2500}), ApplyOutcome::kInvalid);
  EXPECT_EQ(Apply(state, PaymentRefunded{kOrderId, 3, At(), "pay-1", 1000}), ApplyOutcome::kInvalid);
  ASSERT_EQ(Apply(state, PaymentRefunded{kOrderId, 3, At(), "pay-1", 2500}), ApplyOutcome::kApplied);
  EXPECT_EQ(state->payment, (Payment{PaymentStatus::kRefunded, "pay-1", 2500}));
  EXPECT_EQ(Apply(state, PaymentRefunded{kOrderId, 4, At(), "pay-1", 2500}), ApplyOutcome::kInvalid);
}

TEST(OrderPayment, PaymentEventsPassTheVersionGuard) {
  auto state = PlacedOrder();
  EXPECT_EQ(Apply(state, Authorized(3)), ApplyOutcome::kGap);
  EXPECT_EQ(Apply(state, Authorized(1)), ApplyOutcome::kDuplicate);
  std::optional<Order> missing;
  EXPECT_EQ(Apply(missing, Authorized(2)), ApplyOutcome::kGap);
  ASSERT_EQ(Apply(state, Authorized(2)), ApplyOutcome::kApplied);
  EXPECT_EQ(Apply(state, Authorized(2)), ApplyOutcome::kDuplicate);
}

TEST(OrderPayment, StatusNamesRoundTrip) {
  for (auto status : {PaymentStatus::kPending, PaymentStatus::kAuthorized, PaymentStatus::kDeclined,
                      PaymentStatus::kRefunded, PaymentStatus::kNotRequired}) {
    EXPECT_EQ(ParsePaymentStatus(ToString(status)), status);
  }
  EXPECT_EQ(ParsePaymentStatus("Authorized"), std::nullopt);
}

// Recording the gateway's answers: each answer becomes its event once; the same answer again is no event
// (a retry after a crash between the answer and the append), a contradicting one is a conflict.
TEST(RecordPayment, AnAuthorizationIsRecordedOnceForThePendingAmount) {
  auto state = PlacedOrder();
  const auto decision = Decide(state, RecordPaymentAuthorized{kOrderId, "pay-1"}, At(7));
  ASSERT_TRUE(decision.accepted());
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(decision.events[0], Event(PaymentAuthorized{kOrderId, 2, At(7), "pay-1", 2500}));
  ASSERT_EQ(Apply(state, decision.events[0]), ApplyOutcome::kApplied);
  const auto again = Decide(state, RecordPaymentAuthorized{kOrderId, "pay-1"}, At(8));
  EXPECT_TRUE(again.accepted());
  EXPECT_TRUE(again.events.empty());
  const auto other = Decide(state, RecordPaymentAuthorized{kOrderId, "pay-2"}, At(8));
  ASSERT_FALSE(other.accepted());
  EXPECT_EQ(other.rejection->problem, "payment-settled");
  EXPECT_EQ(Decide(state, RecordPaymentDeclined{kOrderId, "late"}, At(8)).rejection->problem, "payment-settled");
}

TEST(RecordPayment, ADeclineIsRecordedOnceWithItsReason) {
  auto state = PlacedOrder();
  EXPECT_FALSE(Decide(state, RecordPaymentDeclined{kOrderId, std::string(281, 'r')}, At()).accepted());
  const auto decision = Decide(state, RecordPaymentDeclined{kOrderId, "card expired"}, At(7));
  ASSERT_EQ(decision.events.size(), 1u);
  ASSERT_EQ(Apply(state, decision.events[0]), ApplyOutcome::kApplied);
  EXPECT_TRUE(Decide(state, RecordPaymentDeclined{kOrderId, "card expired"}, At(8)).events.empty());
  EXPECT_EQ(Decide(state, RecordPaymentAuthorized{kOrderId, "pay-1"}, At(8)).rejection->problem, "payment-settled");
  EXPECT_EQ(Decide(state, RecordPaymentRefunded{kOrderId}, At(8)).rejection->problem, "payment-not-authorized");
}

TEST(RecordPayment, ARefundGivesBackTheAuthorizedPaymentOnce) {
  auto state = PlacedOrder();
  EXPECT_EQ(Decide(state, RecordPaymentRefunded{kOrderId}, At()).rejection->problem, "payment-not-authorized");
  ASSERT_EQ(Apply(state, Authorized(2)), ApplyOutcome::kApplied);
  ASSERT_EQ(Apply(state, testing::Changed(3, Status::kPending, Status::kCancelled)), ApplyOutcome::kApplied);
  const auto decision = Decide(state, RecordPaymentRefunded{kOrderId}, At(9));
  ASSERT_EQ(decision.events.size(), 1u);
  EXPECT_EQ(decision.events[0], Event(PaymentRefunded{kOrderId, 4, At(9), "pay-1", 2500}));
  ASSERT_EQ(Apply(state, decision.events[0]), ApplyOutcome::kApplied);
  EXPECT_TRUE(Decide(state, RecordPaymentRefunded{kOrderId}, At(10)).events.empty());
  EXPECT_TRUE(Decide(state, RecordPaymentAuthorized{kOrderId, "pay-1"}, At(10)).events.empty());
}

TEST(RecordPayment, MissingAndFreeOrdersTakeNoPayment) {
  EXPECT_EQ(Decide(std::nullopt, RecordPaymentAuthorized{kOrderId, "pay-1"}, At()).rejection->kind,
            RejectionKind::kNotFound);
  const auto free = PlacedOrder(0);
  EXPECT_EQ(Decide(free, RecordPaymentAuthorized{kOrderId, "pay-1"}, At()).rejection->problem, "payment-not-required");
  EXPECT_EQ(Decide(free, RecordPaymentRefunded{kOrderId}, At()).rejection->problem, "payment-not-required");
}

}  // namespace
}  // namespace orders::domain
