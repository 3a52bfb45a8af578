// The pure parts of the command state store: how an order is stored, when a
// finished order may leave memory, and when a stored checkpoint is refused.
#include <gtest/gtest.h>

#include <orders/command/checkpoint_validation.hpp>
#include <orders/command/order_retention.hpp>
#include <orders/command/stored_order_codec.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using domain::Status;
using testing::At;
using testing::Changed;
using testing::Placed;

domain::Order OrderIn(Status status) {
  std::optional<domain::Order> state;
  domain::Apply(state, Placed());
  if (status != Status::kPending) domain::Apply(state, Changed(2, Status::kPending, status));
  return *state;
}

TEST(StoredOrderCodec, AnOrderReadsBackWholeIncludingTheCouriersWhoDeclinedIt) {
  auto order = OrderIn(Status::kConfirmed);
  order.declined_by = {"courier-1", "courier-2"};
  order.courier_id = "courier-3";
  order.payment = {domain::PaymentStatus::kAuthorized, "pay-1", 3000};
  EXPECT_EQ(DecodeStoredOrder(EncodeStoredOrder(order)), order);
}

TEST(StoredOrderCodec, BytesThatAreNotAStoredOrderAreRefused) {
  const std::string stored = EncodeStoredOrder(OrderIn(Status::kDelivered));
  EXPECT_EQ(DecodeStoredOrder(""), std::nullopt);
  EXPECT_EQ(DecodeStoredOrder("not msgpack at all"), std::nullopt);
  EXPECT_EQ(DecodeStoredOrder(stored.substr(0, stored.size() / 2)), std::nullopt);
}

TEST(OrderRetention, OnlyAFinishedOrderWhoseLastEventIsOlderThanTheRetentionMayLeaveMemory) {
  const auto delivered = OrderIn(Status::kDelivered);
  const auto cancelled = OrderIn(Status::kCancelled);
  const auto shipped = OrderIn(Status::kShipped);
  const auto last_event = delivered.updated_at;

  EXPECT_FALSE(MayLeaveMemory(delivered, last_event + 59min, 1h));
  EXPECT_TRUE(MayLeaveMemory(delivered, last_event + 1h, 1h));
  EXPECT_TRUE(MayLeaveMemory(cancelled, last_event + 2h, 1h));
  EXPECT_FALSE(MayLeaveMemory(shipped, last_event + 100h, 1h));
  EXPECT_FALSE(MayLeaveMemory(OrderIn(Status::kPending), last_event + 100h, 1h));
}

TEST(OrderRetention, ALaterEventOnAFinishedOrderRestartsItsRetention) {
  // A cancelled order's payment, authorized late, moves its last event (and is refunded then).
  auto cancelled = OrderIn(Status::kCancelled);
  std::optional<domain::Order> state = cancelled;
  domain::PaymentAuthorized late{cancelled.order_id, 3, At(1764000000000 + 3'600'000), "pay-1", 3000};
  ASSERT_EQ(domain::Apply(state, late), domain::ApplyOutcome::kApplied);
  EXPECT_FALSE(MayLeaveMemory(*state, cancelled.updated_at + 1h, 1h));
  EXPECT_TRUE(MayLeaveMemory(*state, late.at + 1h, 1h));
}

StateCheckpoint CheckpointOf(std::vector<std::int64_t> offsets, std::string topic = "orders.events") {
  return {std::move(topic), std::move(offsets), At()};
}

TEST(CheckpointValidation, NoStoreMeansAFullReplayWithoutAComplaint) {
  const auto verdict = ValidateCheckpoint(std::nullopt, "orders.events", {{0, 10}});
  EXPECT_FALSE(verdict.resume);
  EXPECT_EQ(verdict.discard_reason, "");
}

TEST(CheckpointValidation, ACheckpointBehindTheEndResumesThereAndCountsTheTail) {
  const auto verdict = ValidateCheckpoint(CheckpointOf({5, 0, 7}), "orders.events", {{0, 10}, {1, 0}, {2, 7}});
  ASSERT_TRUE(verdict.resume) << verdict.discard_reason;
  EXPECT_EQ(verdict.start, (platform::PartitionOffsets{{0, 5}, {1, 0}, {2, 7}}));
  EXPECT_EQ(verdict.records_behind, 5);
}

TEST(CheckpointValidation, AStoreOfAnotherTopicIsDiscardedNamingBoth) {
  const auto verdict = ValidateCheckpoint(CheckpointOf({1}, "orders.old"), "orders.events", {{0, 10}});
  EXPECT_FALSE(verdict.resume);
  EXPECT_NE(verdict.discard_reason.find("orders.old"), std::string::npos);
  EXPECT_NE(verdict.discard_reason.find("orders.events"), std::string::npos);
}

TEST(CheckpointValidation, AChangedPartitionCountIsDiscarded) {
  const auto verdict = ValidateCheckpoint(CheckpointOf({1, 1}), "orders.events", {{0, 10}, {1, 10}, {2, 10}});
  EXPECT_FALSE(verdict.resume);
  EXPECT_NE(verdict.discard_reason.find("3 partitions"), std::string::npos) << verdict.discard_reason;
}

TEST(CheckpointValidation, ACheckpointBeyondTheEndOffsetMeansTheTopicWasRecreated) {
  const auto verdict = ValidateCheckpoint(CheckpointOf({4, 11}), "orders.events", {{0, 10}, {1, 10}});
  EXPECT_FALSE(verdict.resume);
  EXPECT_NE(verdict.discard_reason.find("partition 1"), std::string::npos) << verdict.discard_reason;
  EXPECT_NE(verdict.discard_reason.find("recreated"), std::string::npos);
}

TEST(CheckpointValidation, ACheckpointBeforeThePartitionsFirstOffsetMeansRetentionDeletedItsTail) {
  // Partition 1's records 3..5 were deleted before the store folded them: they cannot be replayed.
  const auto verdict = ValidateCheckpoint(CheckpointOf({4, 3}), "orders.events", {{0, 10}, {1, 10}}, {{0, 4}, {1, 6}});
  EXPECT_FALSE(verdict.resume);
  EXPECT_NE(verdict.discard_reason.find("partition 1"), std::string::npos) << verdict.discard_reason;
  EXPECT_NE(verdict.discard_reason.find("first offset 6"), std::string::npos) << verdict.discard_reason;
  EXPECT_NE(verdict.discard_reason.find("retention"), std::string::npos) << verdict.discard_reason;
}

TEST(CheckpointValidation, ACheckpointAtOrAfterTheFirstOffsetResumesWhateverRetentionDeletedBeforeIt) {
  // Partition 0: exactly at its first offset; partition 1: every record deleted, the checkpoint at the end.
  const auto verdict =
      ValidateCheckpoint(CheckpointOf({4, 10}), "orders.events", {{0, 10}, {1, 10}}, {{0, 4}, {1, 10}});
  ASSERT_TRUE(verdict.resume) << verdict.discard_reason;
  EXPECT_EQ(verdict.start, (platform::PartitionOffsets{{0, 4}, {1, 10}}));
  EXPECT_EQ(verdict.records_behind, 6);
}

}  // namespace
}  // namespace orders::command
