// The fulfilment workflow's invariants (workflow_rules.hpp), each shown
// failing on hand-built logs that break it and holding on ones that keep it.
#include <gtest/gtest.h>

#include <orders/invariants/workflow_rules.hpp>

#include "invariant_log_builders.hpp"

namespace orders::invariants {
namespace {

using domain::Status;
using namespace test_logs;
using std::chrono::milliseconds;
using testing::kOrderId;

// A payment timeout of 10 s with 1 s of slack: the deadline is 11 s after placement.
WorkflowOptions Options() { return {milliseconds(10'000), milliseconds(1'000), std::nullopt}; }

Report Checked(const std::vector<Written>& orders, const std::vector<domain::StockEvent>& stock = {},
               const WorkflowOptions& options = Options()) {
  Report report;
  Report stock_report;  // the stock rules are not under test here
  const auto fold = CheckStockLog(StockLog(stock), stock_report);
  EXPECT_TRUE(stock_report.ok()) << "the test's inventory log must be valid: " << stock_report.Summary();
  CheckWorkflow(OrdersLog(orders), &fold, options, report);
  return report;
}

// Placed, reserved, authorized, confirmed, delivered, committed.
const std::vector<Written> kDeliveredOrder = {{PlacedAt(0)},
                                              {Authorized(2, 300)},
                                              {Moved(3, Status::kPending, Status::kConfirmed, 301)},
                                              {Moved(4, Status::kConfirmed, Status::kDelivered, 5000)}};
const std::vector<domain::StockEvent> kCommittedStock = {Set(1, 5), Reserved(2, kOrderId, 2),
                                                         Committed(3, kOrderId, 2)};

TEST(WorkflowInvariants, AnOrderAuthorizedConfirmedAndDeliveredWithItsStockCommittedHolds) {
  const auto report = Checked(kDeliveredOrder, kCommittedStock);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(WorkflowInvariants, ConfirmingWithoutAnAuthorizedPaymentIsReported) {
  const auto unpaid = Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kConfirmed, 300)}});
  EXPECT_TRUE(Mentions(unpaid, "moved to confirmed while its payment is pending (not authorized) (order " +
                                   std::string(kOrderId) + ", version 2"))
      << unpaid.Summary();
  // Authorized only after the confirmation is still a confirmation without payment.
  const auto late =
      Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kConfirmed, 300)}, {Authorized(3, 400)}});
  EXPECT_TRUE(Mentions(late, "moved to confirmed while its payment is pending")) << late.Summary();
  const auto declined =
      Checked({{PlacedAt(0)}, {PaymentDeclinedAt(2, 200)}, {Moved(3, Status::kPending, Status::kConfirmed, 300)}});
  EXPECT_TRUE(Mentions(declined, "moved to confirmed while its payment is declined")) << declined.Summary();
}

TEST(WorkflowInvariants, SkippingConfirmedDoesNotSkipThePayment) {
  const auto report = Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kShipped, 300)}});
  EXPECT_TRUE(Mentions(report, "moved to shipped while its payment is pending")) << report.Summary();
}

TEST(WorkflowInvariants, AFreeOrderNeedsNoPaymentToBeConfirmed) {
  const auto report = Checked({{PlacedAt(0, kOrderId, 0)}, {Moved(2, Status::kPending, Status::kConfirmed, 300)}});
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(WorkflowInvariants, AnOrderStillPendingPastTheDeadlineIsReported) {
  // Still pending, and the log goes on 12 s after its placement (past 10 s + 1 s).
  const auto stuck = Checked({{PlacedAt(0)}, {PlacedAt(12'000, "other")}});
  EXPECT_TRUE(Mentions(stuck, "order " + std::string(kOrderId) + " is still pending 12.0 s after it was placed"))
      << stuck.Summary();
  // The inventory log's end counts as the end of the logs too.
  auto recount = Set(2, 6);
  recount.at = After(12'000);
  const auto by_stock = Checked({{PlacedAt(0)}}, {Set(1, 5), recount});
  EXPECT_TRUE(Mentions(by_stock, "is still pending")) << by_stock.Summary();
}

TEST(WorkflowInvariants, AnOrderPlacedJustBeforeTheEndOfTheLogIsNotFlagged) {
  const auto report = Checked({{PlacedAt(0)}, {PlacedAt(11'000, "other")}});
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts.at("orders_pending_within_deadline"), 2);
  // A fixed end of the log (the checker's clock) judges the same orders stuck.
  auto options = Options();
  options.end_of_log = After(60'000);
  EXPECT_TRUE(Mentions(Checked({{PlacedAt(0)}}, {}, options), "is still pending 60.0 s"));
}

TEST(WorkflowInvariants, LeavingPendingAfterTheDeadlineIsReported) {
  const auto late =
      Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kCancelled, 11'500, "payment_timeout")}});
  EXPECT_TRUE(Mentions(late, "left pending 11.5 s after it was placed; the deadline is 10.0 s + 1.0 s"))
      << late.Summary();
  const auto in_time =
      Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kCancelled, 10'900, "payment_timeout")}});
  EXPECT_TRUE(in_time.ok()) << in_time.Summary();
}

TEST(WorkflowInvariants, TheWorkflowCancelsOutOfPendingWithAReasonButAPersonNeedNot) {
  const auto silent =
      Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kCancelled, 500), "service:workflow"}});
  EXPECT_TRUE(Mentions(silent, "cancelled out of pending by service:workflow without a reason")) << silent.Summary();
  EXPECT_TRUE(
      Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kCancelled, 500), "customer:customer-1"}}).ok());
  EXPECT_TRUE(Checked({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kCancelled, 500)}}).ok());  // AUTH=off
}

TEST(WorkflowInvariants, ACancelledOrderWithAnAuthorizedPaymentMustBeRefundedOnce) {
  const std::vector<Written> cancelled = {{PlacedAt(0)},
                                          {Authorized(2, 300)},
                                          {Moved(3, Status::kPending, Status::kConfirmed, 301)},
                                          {Moved(4, Status::kConfirmed, Status::kCancelled, 2000, "customer")}};
  EXPECT_TRUE(Mentions(Checked(cancelled), "was cancelled with an authorized payment but never refunded"));
  auto refunded = cancelled;
  refunded.push_back({Refunded(5, 2100)});
  EXPECT_TRUE(Checked(refunded).ok()) << Checked(refunded).Summary();
  auto twice = refunded;
  twice.push_back({Refunded(6, 2200)});
  EXPECT_TRUE(Mentions(Checked(twice), "refunded a second time (order " + std::string(kOrderId) + ", version 6"))
      << Checked(twice).Summary();
}

// A person cancelled while the gateway was deciding: the money still moved.
TEST(WorkflowInvariants, APaymentAuthorizedAfterTheCancellationMustBeRefundedToo) {
  const std::vector<Written> late = {{PlacedAt(0)},
                                     {Moved(2, Status::kPending, Status::kCancelled, 200), "customer:customer-1"},
                                     {Authorized(3, 300)}};
  EXPECT_TRUE(Mentions(Checked(late), "was cancelled with an authorized payment but never refunded"));
}

TEST(WorkflowInvariants, ARepeatedRefundRecordOfOneVersionIsNotASecondRefund) {
  const std::vector<Written> log = {{PlacedAt(0)},
                                    {Authorized(2, 300)},
                                    {Moved(3, Status::kPending, Status::kCancelled, 400, "payment_timeout")},
                                    {Refunded(4, 500)},
                                    {Refunded(4, 500)}};  // a duplicate: CheckLog reports it
  const auto report = Checked(log);
  EXPECT_TRUE(report.ok()) << report.Summary();
  EXPECT_EQ(report.counts.at("refunds"), 1);
}

TEST(WorkflowInvariants, AnOrderCancelledOutOfStockMustHaveBeenRefusedByAProduct) {
  const std::vector<Written> cancelled = {{PlacedAt(0)},
                                          {Moved(2, Status::kPending, Status::kCancelled, 200, "out_of_stock")}};
  EXPECT_TRUE(Mentions(Checked(cancelled, {Set(1, 5)}), "was cancelled out_of_stock but no product refused it"));
  EXPECT_TRUE(Checked(cancelled, {Set(1, 1), Refused(2, kOrderId, 2, 1)}).ok());
}

TEST(WorkflowInvariants, ChargingAnOrderAProductCountedBeforeItsPlacementRefusesIsReported) {
  // The product's first stock count (at 1 ms) came before the placement (at 10 ms).
  const std::vector<Written> charged = {{PlacedAt(10)},
                                        {Authorized(2, 20)},
                                        {Moved(3, Status::kPending, Status::kCancelled, 30, "out_of_stock")},
                                        {Refunded(4, 40)}};
  const std::vector<domain::StockEvent> refused = {Set(1, 0), Refused(2, kOrderId, 2, 0)};
  EXPECT_TRUE(Mentions(Checked(charged, refused),
                       "was charged although product sku-1, counted before the order was placed, refused it"))
      << Checked(charged, refused).Summary();
  // Counted only after the placement (at 1 ms, placed at 0): untracked when it was paid for.
  std::vector<Written> counted_later = charged;
  counted_later.front() = {PlacedAt(0)};
  EXPECT_TRUE(Checked(counted_later, refused).ok()) << Checked(counted_later, refused).Summary();
}

TEST(WorkflowInvariants, ACancelledOrDeliveredOrderMustLeaveNoOpenReservation) {
  const std::vector<Written> cancelled = {{PlacedAt(0)},
                                          {Moved(2, Status::kPending, Status::kCancelled, 200, "payment_declined")}};
  const auto left = Checked(cancelled, {Set(1, 5), Reserved(2, kOrderId, 2)});
  EXPECT_TRUE(Mentions(left, "ended cancelled but still holds a reservation of 2 of product sku-1")) << left.Summary();
  // The release may come after the cancellation, even later than the order's last event.
  EXPECT_TRUE(Checked(cancelled, {Set(1, 5), Reserved(2, kOrderId, 2), Released(3, kOrderId, 2)}).ok());

  const auto not_committed = Checked(kDeliveredOrder, {Set(1, 5), Reserved(2, kOrderId, 2)});
  EXPECT_TRUE(Mentions(not_committed, "ended delivered but still holds a reservation")) << not_committed.Summary();
  // A confirmed order keeps its reservation until it is delivered.
  EXPECT_TRUE(
      Checked({kDeliveredOrder[0], kDeliveredOrder[1], kDeliveredOrder[2]}, {Set(1, 5), Reserved(2, kOrderId, 2)})
          .ok());
}

TEST(WorkflowInvariants, TheInventoryLogNamesOnlyOrdersThatWerePlaced) {
  const auto report = Checked(
      kDeliveredOrder, {Set(1, 5), Reserved(2, kOrderId, 2), Committed(3, kOrderId, 2), Refused(4, "ghost", 9, 3)});
  EXPECT_TRUE(Mentions(report, "the inventory log names order ghost, which the orders log never placed"))
      << report.Summary();
}

TEST(WorkflowInvariants, WithoutTheInventoryLogOnlyTheOrderRulesAreChecked) {
  Report report;
  CheckWorkflow(OrdersLog({{PlacedAt(0)}, {Moved(2, Status::kPending, Status::kCancelled, 200, "out_of_stock")}}),
                nullptr, Options(), report);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST(WorkflowInvariants, StepsUnderWayCountPendingOrdersMissingRefundsAndReservationsNotYetSettled) {
  const std::vector<Written> orders = {
      {PlacedAt(0, "pending")},
      {PlacedAt(0, "paid")},
      {Authorized(2, 300, "paid")},
      {Moved(3, Status::kPending, Status::kCancelled, 400, "customer", "paid")},
      {PlacedAt(0, "declined")},
      {Moved(2, Status::kPending, Status::kCancelled, 400, "payment_declined", "declined")}};
  Report ignored;
  const auto held = CheckStockLog(StockLog({Set(1, 5), Reserved(2, "declined", 1)}), ignored);
  EXPECT_EQ(WorkflowStepsUnderWay(OrdersLog(orders), &held), 3);  // pending, refund of paid, release of declined
  EXPECT_EQ(WorkflowStepsUnderWay(OrdersLog(orders), nullptr), 2);

  auto finished = orders;
  finished.push_back({Refunded(4, 500, "paid")});
  finished.push_back({Moved(2, Status::kPending, Status::kCancelled, 9000, "payment_timeout", "pending")});
  const auto released =
      CheckStockLog(StockLog({Set(1, 5), Reserved(2, "declined", 1), Released(3, "declined", 1)}), ignored);
  EXPECT_EQ(WorkflowStepsUnderWay(OrdersLog(finished), &released), 0);
}

}  // namespace
}  // namespace orders::invariants
