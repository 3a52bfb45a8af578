// Payment events in the read model's fold, without PostgreSQL: each bumps the order's version and
// becomes a history row naming its event (a decline with its reason), and a stored order re-read
// from the read model folds on from its initial payment.
#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/known_orders.hpp>
#include <orders/testing/builders.hpp>

namespace orders::projection {
namespace {

using domain::Status;
using testing::At;
using testing::kOrderId;

platform::ConsumedRecord Record(const domain::Event& event, platform::Offset offset) {
  auto encoded = codec::EncodeEvent(event, {"evt-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {"orders.events", 0, offset, encoded.key, encoded.value, encoded.headers, 0};
}

TEST(ProjectionPaymentFold, PaymentEventsBumpTheVersionAndAreHistoryRowsNamingTheirEvent) {
  const auto writes =
      FoldBatch(DecodeBatch({Record(testing::Placed(), 0),
                             Record(domain::PaymentAuthorized{kOrderId, 2, At(1764000002000), "pay-1", 3000}, 1),
                             Record(testing::Changed(3, Status::kPending, Status::kCancelled), 2),
                             Record(domain::PaymentRefunded{kOrderId, 4, At(1764000004000), "pay-1", 3000}, 3)}),
                {});
  EXPECT_TRUE(writes.parked.empty());
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.upserts[0].version, 4);
  EXPECT_EQ(writes.upserts[0].payment, (domain::Payment{domain::PaymentStatus::kRefunded, "pay-1", 3000}));
  ASSERT_EQ(writes.history.size(), 4u);
  EXPECT_EQ(writes.history[1].event, "order.payment_authorized");
  EXPECT_EQ(writes.history[1].status, Status::kPending);
  EXPECT_EQ(writes.history[3].event, "order.payment_refunded");
  EXPECT_EQ(writes.history[3].status, Status::kCancelled);
}

TEST(ProjectionPaymentFold, ADeclineIsAHistoryRowWithItsReason) {
  std::optional<domain::Order> stored;
  ASSERT_EQ(domain::Apply(stored, testing::Placed()), domain::ApplyOutcome::kApplied);
  const auto writes =
      FoldBatch(DecodeBatch({Record(domain::PaymentDeclined{kOrderId, 2, At(), "insufficient_funds"}, 5)}),
                {{kOrderId, *stored}});
  EXPECT_TRUE(writes.parked.empty());
  ASSERT_EQ(writes.history.size(), 1u);
  EXPECT_EQ(writes.history[0].event, "order.payment_declined");
  EXPECT_EQ(writes.history[0].reason, "insufficient_funds");
  EXPECT_EQ(writes.upserts[0].version, 2);
}

TEST(ProjectionPaymentFold, AnImpossiblePaymentEventIsParkedNotApplied) {
  const auto writes =
      FoldBatch(DecodeBatch({Record(testing::Placed(), 0),
                             Record(domain::PaymentRefunded{kOrderId, 2, At(), "pay-never-authorized", 3000}, 1)}),
                {});
  ASSERT_EQ(writes.parked.size(), 1u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kInvalid);
  EXPECT_EQ(writes.upserts[0].version, 1);
}

// The writer folds an open order it committed itself from what it remembers: the payment must be
// part of that, or the authorization that follows a placement in a later batch would not apply.
TEST(ProjectionPaymentFold, AKnownOrderKeepsItsPaymentAcrossBatches) {
  KnownOrders known;
  BatchWrites committed = FoldBatch(DecodeBatch({Record(testing::Placed(), 0)}), {});
  known.Remember(committed);
  const auto batch = DecodeBatch({Record(domain::PaymentAuthorized{kOrderId, 2, At(1764000002000), "pay-1", 3000}, 1)});
  std::map<std::string, domain::Order> stored;
  EXPECT_TRUE(known.Split(batch, true, stored).empty());
  const auto writes = FoldBatch(batch, stored);
  EXPECT_TRUE(writes.parked.empty());
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.upserts[0].payment.status, domain::PaymentStatus::kAuthorized);
}

}  // namespace
}  // namespace orders::projection
