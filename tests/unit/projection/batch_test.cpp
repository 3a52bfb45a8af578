#include <gtest/gtest.h>

#include <orders/codec/event_codec.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/platform/log_marker.hpp>
#include <orders/projection/batch.hpp>
#include <orders/testing/builders.hpp>

namespace orders::projection {
namespace {

using domain::Status;
using testing::Changed;
using testing::Placed;

constexpr const char* kOther = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

platform::ConsumedRecord Record(const domain::Event& event, platform::Partition partition, platform::Offset offset) {
  auto encoded = codec::EncodeEvent(
      event, {"evt-" + std::to_string(partition) + "-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {"orders.events", partition, offset, encoded.key, encoded.value, encoded.headers, 0};
}

platform::ConsumedRecord Garbage(platform::Partition partition, platform::Offset offset) {
  return {"orders.events", partition, offset, "not-an-order", "{not json", {}, 0};
}

TEST(ProjectionFold, NewOrderWithSeveralEventsIsFoldedIntoOneUpsert) {
  auto batch = DecodeBatch({Record(Placed(), 0, 10), Record(Changed(2, Status::kPending, Status::kConfirmed), 0, 11),
                            Record(Changed(3, Status::kConfirmed, Status::kShipped), 0, 12)});
  auto writes = FoldBatch(std::move(batch), {});

  std::optional<domain::Order> expected;
  domain::Apply(expected, Placed());
  domain::Apply(expected, Changed(2, Status::kPending, Status::kConfirmed));
  domain::Apply(expected, Changed(3, Status::kConfirmed, Status::kShipped));
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.upserts[0], *expected);
  ASSERT_EQ(writes.history.size(), 3u);
  EXPECT_EQ(writes.history[0].status, Status::kPending);
  EXPECT_EQ(writes.history[2].status, Status::kShipped);
  EXPECT_EQ(writes.history[2].version, 3);
  EXPECT_EQ(writes.history[1].event_id, "evt-0-11");
  EXPECT_EQ(writes.applied, 3u);
  EXPECT_EQ(writes.next_offsets, (platform::PartitionOffsets{{0, 13}}));
}

TEST(ProjectionFold, RedeliveredEventsAreNoOps) {
  std::optional<domain::Order> stored;
  domain::Apply(stored, Placed());
  domain::Apply(stored, Changed(2, Status::kPending, Status::kConfirmed));
  auto writes =
      FoldBatch(DecodeBatch({Record(Placed(), 1, 0), Record(Changed(2, Status::kPending, Status::kConfirmed), 1, 1)}),
                {{testing::kOrderId, *stored}});
  EXPECT_TRUE(writes.upserts.empty());
  EXPECT_TRUE(writes.history.empty());
  EXPECT_TRUE(writes.parked.empty());
  EXPECT_EQ(writes.duplicates, 2u);
  EXPECT_EQ(writes.next_offsets.at(1), 2);
}

TEST(ProjectionFold, ContinuesFromTheStoredState) {
  std::optional<domain::Order> stored;
  domain::Apply(stored, Placed());
  auto writes = FoldBatch(DecodeBatch({Record(Changed(2, Status::kPending, Status::kCancelled), 3, 7)}),
                          {{testing::kOrderId, *stored}});
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.upserts[0].status, Status::kCancelled);
  EXPECT_EQ(writes.upserts[0].version, 2);
  EXPECT_EQ(writes.upserts[0].customer_id, "customer-1");
}

// The summaries count each event's move from the status before it, which the fold hands over with the row.
TEST(ProjectionFold, EachHistoryRowCarriesTheStatusBeforeItsEventFromTheBatchOrTheStore) {
  std::optional<domain::Order> stored;
  domain::Apply(stored, Placed());
  auto continued = FoldBatch(DecodeBatch({Record(Changed(2, Status::kPending, Status::kConfirmed), 0, 5),
                                          Record(Changed(3, Status::kConfirmed, Status::kShipped), 0, 6)}),
                             {{testing::kOrderId, *stored}});
  ASSERT_EQ(continued.history.size(), 2u);
  EXPECT_EQ(continued.history[0].status_before, Status::kPending);
  EXPECT_EQ(continued.history[1].status_before, Status::kConfirmed);

  auto placed = FoldBatch(DecodeBatch({Record(Placed(), 0, 0)}), {});
  ASSERT_EQ(placed.history.size(), 1u);
  EXPECT_EQ(placed.history[0].status_before, std::nullopt);
}

TEST(ProjectionFold, AGapIsParkedWithLaterEventsOfThatOrderAndOthersStillApply) {
  std::optional<domain::Order> stored;
  domain::Apply(stored, Placed());
  auto writes = FoldBatch(
      DecodeBatch({Record(Changed(3, Status::kConfirmed, Status::kShipped), 0, 5), Record(Placed(kOther), 0, 6),
                   Record(Changed(4, Status::kShipped, Status::kDelivered), 0, 7)}),
      {{testing::kOrderId, *stored}});
  ASSERT_EQ(writes.parked.size(), 2u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kGap);
  EXPECT_EQ(writes.parked[0].offset, 5);
  EXPECT_EQ(writes.parked[0].order_id, testing::kOrderId);
  EXPECT_EQ(writes.parked[1].offset, 7);
  ASSERT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.upserts[0].order_id, kOther);
  EXPECT_EQ(writes.next_offsets.at(0), 8);
}

TEST(ProjectionFold, ALifecycleViolationIsParkedAsInvalid) {
  std::optional<domain::Order> stored;
  domain::Apply(stored, Placed());
  domain::Apply(stored, Changed(2, Status::kPending, Status::kDelivered));
  auto writes = FoldBatch(DecodeBatch({Record(Changed(3, Status::kDelivered, Status::kCancelled), 0, 9)}),
                          {{testing::kOrderId, *stored}});
  ASSERT_EQ(writes.parked.size(), 1u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kInvalid);
  EXPECT_TRUE(writes.upserts.empty());
}

TEST(ProjectionFold, PoisonRecordsAreParkedAndTheirOffsetsStillAdvance) {
  auto batch = DecodeBatch({Garbage(2, 0), Record(Placed(), 2, 1)});
  EXPECT_EQ(batch.poison.size(), 1u);
  EXPECT_EQ(batch.OrderIds(), std::vector<std::string>{testing::kOrderId});
  auto writes = FoldBatch(std::move(batch), {});
  ASSERT_EQ(writes.parked.size(), 1u);
  EXPECT_EQ(writes.parked[0].reason, ParkedRecord::Reason::kPoison);
  EXPECT_EQ(writes.parked[0].payload, "{not json");
  EXPECT_FALSE(writes.parked[0].error.empty());
  EXPECT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.next_offsets.at(2), 2);
}

TEST(ProjectionFold, ALogMarkerIsNeitherAppliedNorParkedButItsOffsetIsStored) {
  const platform::ConsumedRecord marker{
      "orders.events", 3, 8, "", "", {{std::string(platform::kLogMarkerHeader), "settle"}}, 0};
  auto writes = FoldBatch(DecodeBatch({Record(Placed(), 3, 7), marker}), {});
  EXPECT_TRUE(writes.parked.empty());
  EXPECT_EQ(writes.upserts.size(), 1u);
  EXPECT_EQ(writes.next_offsets.at(3), 9) << "a reader storing only events' offsets stays one short of the end";
}

TEST(ProjectionFold, OffsetsAreTrackedPerPartition) {
  auto writes = FoldBatch(DecodeBatch({Record(Placed(), 0, 4), Record(Placed(kOther), 5, 40)}), {});
  EXPECT_EQ(writes.next_offsets, (platform::PartitionOffsets{{0, 5}, {5, 41}}));
  EXPECT_EQ(writes.upserts.size(), 2u);
}

TEST(ProjectionBatchPolicy, DueOnceEverythingFetchedIsTakenAndMinWaitIsOverOrWhenFullOrAfterMaxWait) {
  const BatchPolicy policy{3, std::chrono::milliseconds(5), std::chrono::milliseconds(20)};
  const auto start = std::chrono::steady_clock::now();
  const auto ms = [&](int n) { return start + std::chrono::milliseconds(n); };
  EXPECT_FALSE(policy.Due(0, true, start, ms(1000)));
  EXPECT_FALSE(policy.Due(2, true, start, ms(4)));  // nothing more at hand, but min_wait not over
  EXPECT_TRUE(policy.Due(2, true, start, ms(5)));
  EXPECT_FALSE(policy.Due(2, false, start, ms(19)));  // records still coming
  EXPECT_TRUE(policy.Due(2, false, start, ms(20)));   // a steady stream
  EXPECT_TRUE(policy.Due(3, false, start, start));    // full
}

TEST(ProjectionBatchPolicy, PollsWithoutWaitingWhileRecordsComeThenUntilMinWaitThenBrieflyWhileTheApplierIsBusy) {
  const BatchPolicy policy{3, std::chrono::milliseconds(5), std::chrono::milliseconds(20)};
  const auto idle = std::chrono::milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  const auto ms = [&](int n) { return start + std::chrono::milliseconds(n); };
  using std::chrono::milliseconds;
  EXPECT_EQ(policy.PollTimeout(0, true, false, start, ms(50), idle), idle);
  EXPECT_EQ(policy.PollTimeout(2, false, true, start, ms(1), idle), milliseconds(0));
  EXPECT_EQ(policy.PollTimeout(2, true, false, start, ms(1), idle), milliseconds(4));
  EXPECT_EQ(policy.PollTimeout(2, true, false, start, start + std::chrono::microseconds(4500), idle), milliseconds(1));
  EXPECT_EQ(policy.PollTimeout(2, true, true, start, ms(6), idle), milliseconds(1));
  EXPECT_EQ(policy.PollTimeout(2, true, false, start, ms(6), idle), milliseconds(0));
}

}  // namespace
}  // namespace orders::projection
