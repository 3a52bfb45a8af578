// The applier's retry, halt and fence paths, over an in-memory store: what a
// live PostgreSQL reaches only by being stopped, crashed or rebuilt.
#include <gtest/gtest.h>

#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/projection/batch_applier.hpp>
#include <orders/projection/batch_builder.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>

#include "in_memory_read_model_store.hpp"

namespace orders::projection {
namespace {

using domain::Status;
using Trouble = InMemoryReadModelStore::Trouble;
using Clock = std::chrono::steady_clock;

constexpr const char* kTopic = "orders.events";

platform::ConsumedRecord Record(const domain::Event& event, platform::Partition partition, platform::Offset offset) {
  auto encoded = codec::EncodeEvent(
      event, {"evt-" + std::to_string(partition) + "-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {kTopic, partition, offset, encoded.key, encoded.value, encoded.headers, 0};
}

// The order's placement at offset 0 of partition 0, its confirmation at 1.
DecodedBatch PlacedAndConfirmed() {
  return DecodeBatch(
      {Record(testing::Placed(), 0, 0), Record(testing::Changed(2, Status::kPending, Status::kConfirmed), 0, 1)});
}

DecodedBatch Shipped(platform::Offset offset) {
  return DecodeBatch({Record(testing::Changed(3, Status::kConfirmed, Status::kShipped), 0, offset)});
}

class BatchApplierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AssignFromStore();
    applier_.Start();
  }
  void TearDown() override { applier_.Stop(Clock::now() + std::chrono::seconds(1)); }

  // What the projector does on an assignment: positions from the store.
  void AssignFromStore() {
    const auto stored = store_.LoadPosition(kTopic, {0});
    ASSERT_TRUE(stored.ok());
    applier_.Assign({0}, *stored);
  }

  void Apply(DecodedBatch batch, std::chrono::milliseconds give_up = std::chrono::seconds(10)) {
    applier_.Submit(std::move(batch));
    applier_.Drain(Clock::now() + give_up);
  }

  Status StoredStatus() { return store_.Orders().at(testing::kOrderId).status; }

  platform::MetricsRegistry registry_;
  ProjectionMetrics metrics_{registry_};
  VersionWaiters waiters_;
  InMemoryReadModelStore store_;
  BatchApplier applier_{store_, waiters_, metrics_};
};

TEST_F(BatchApplierTest, GivenAFreshStore_WhenABatchIsApplied_ThenOrdersAndOffsetsAreStored) {
  Apply(PlacedAndConfirmed());

  EXPECT_EQ(StoredStatus(), Status::kConfirmed);
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
  EXPECT_EQ(applier_.Committed(), (StoredOffsets{{0, 2}}));
  EXPECT_FALSE(applier_.Halted());
  EXPECT_EQ(metrics_.events_applied.Value(), 2u);
}

TEST_F(BatchApplierTest, GivenAStoreThatFailsTwice_WhenABatchIsSubmitted_ThenItIsRetriedUntilApplied) {
  store_.Expect({Trouble::kFail, Trouble::kFail});

  Apply(PlacedAndConfirmed());

  EXPECT_EQ(store_.Attempts().size(), 3u);
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
  EXPECT_EQ(metrics_.store_failures.Value(), 2u);
  EXPECT_TRUE(applier_.StoreOk());
  EXPECT_FALSE(applier_.Halted());
}

TEST_F(BatchApplierTest, GivenAStoreThatKeepsFailing_ThenItIsReportedNotOkUntilABatchGoesThrough) {
  store_.Expect(std::vector<Trouble>(1000, Trouble::kFail));
  applier_.Submit(PlacedAndConfirmed());
  ASSERT_TRUE(testing::Eventually([&] { return !applier_.StoreOk(); }));

  store_.ClearTroubles();
  applier_.Drain(Clock::now() + std::chrono::seconds(10));

  EXPECT_TRUE(applier_.StoreOk());
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
}

TEST_F(BatchApplierTest, GivenRowsThatExistAlready_WhenABatchIsApplied_ThenItIsWrittenAgainTolerantly) {
  store_.Expect({Trouble::kRowsExist});

  Apply(PlacedAndConfirmed());

  EXPECT_EQ(store_.Attempts(), (std::vector<WriteMode>{WriteMode::kFast, WriteMode::kTolerant}));
  EXPECT_EQ(StoredStatus(), Status::kConfirmed);
  EXPECT_EQ(metrics_.store_failures.Value(), 0u);
  EXPECT_FALSE(applier_.Halted());
}

TEST_F(BatchApplierTest, GivenACommitInDoubtThatCommitted_WhenResolved_ThenTheBatchCountsAsApplied) {
  store_.Expect({Trouble::kInDoubtCommitted});

  Apply(PlacedAndConfirmed());

  EXPECT_EQ(store_.Attempts().size(), 1u);
  EXPECT_EQ(applier_.Committed(), (StoredOffsets{{0, 2}}));
  EXPECT_FALSE(applier_.Halted());
  Apply(Shipped(2));  // the fence holds: the applier knows where the store is
  EXPECT_EQ(StoredStatus(), Status::kShipped);
}

TEST_F(BatchApplierTest, GivenACommitInDoubtThatDidNotCommit_WhenResolved_ThenTheBatchIsRetried) {
  store_.Expect({Trouble::kInDoubtNotCommitted});

  Apply(PlacedAndConfirmed());

  EXPECT_EQ(store_.Attempts().size(), 2u);
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
  EXPECT_FALSE(applier_.Halted());
}

TEST_F(BatchApplierTest, GivenACommitInDoubtThatCannotBeResolvedYet_ThenTheBatchIsRetried) {
  store_.Expect({Trouble::kInDoubtNotCommitted});
  store_.FailLoads(1);

  Apply(PlacedAndConfirmed());

  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
  EXPECT_EQ(metrics_.store_failures.Value(), 1u);
  EXPECT_FALSE(applier_.Halted());
}

TEST_F(BatchApplierTest, GivenARebuildSwitchedIn_WhenABatchIsSubmitted_ThenItIsDroppedAndTheApplierHalts) {
  Apply(PlacedAndConfirmed());
  store_.SwitchTo("generation-2", {{0, 2}});  // same offsets, another read model

  Apply(Shipped(2));

  EXPECT_TRUE(applier_.Halted());
  EXPECT_EQ(metrics_.repositions.Value(), 1u);
  EXPECT_TRUE(store_.Orders().empty());
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
}

TEST_F(BatchApplierTest, GivenAHaltedApplier_WhenMoreBatchesCome_ThenTheyAreDroppedUntilPositionsAreReRead) {
  Apply(PlacedAndConfirmed());
  store_.SwitchTo("generation-2", {});
  Apply(Shipped(2));
  ASSERT_TRUE(applier_.Halted());
  const auto attempts = store_.Attempts().size();

  Apply(Shipped(3));  // would leave a gap: never tried
  EXPECT_EQ(store_.Attempts().size(), attempts);

  AssignFromStore();  // the consumer re-reads its positions: none stored in the rebuilt model
  EXPECT_FALSE(applier_.Halted());
  Apply(PlacedAndConfirmed());
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 2}}));
  EXPECT_GE(store_.ForgetKnownOrdersCalls(), 2);  // the first assignment and the re-read
}

TEST_F(BatchApplierTest, GivenAnotherWriterWentAhead_WhenABatchIsSubmitted_ThenTheApplierHalts) {
  store_.SwitchTo("generation-1", {{0, 5}});  // same generation, offsets moved

  Apply(PlacedAndConfirmed());

  EXPECT_TRUE(applier_.Halted());
  EXPECT_TRUE(store_.Orders().empty());
}

TEST_F(BatchApplierTest, GivenAStoreThatStaysDown_WhenTheDrainGivesUp_ThenTheBatchIsDroppedAndTheApplierHalts) {
  store_.Expect(std::vector<Trouble>(1000, Trouble::kFail));

  Apply(PlacedAndConfirmed(), std::chrono::milliseconds(200));

  EXPECT_TRUE(applier_.Halted());
  EXPECT_TRUE(store_.Offsets().empty());
  EXPECT_TRUE(applier_.Committed().empty());
}

TEST_F(BatchApplierTest, GivenUndecodableRecords_WhenApplied_ThenTheyAreParkedAndOffsetsStillAdvance) {
  Apply(DecodeBatch({platform::ConsumedRecord{kTopic, 0, 0, "not-an-order", "{not json", {}, 0}}));

  EXPECT_EQ(metrics_.poison.Value(), 1u);
  EXPECT_EQ(store_.Offsets(), (StoredOffsets{{0, 1}}));
  EXPECT_FALSE(applier_.Halted());
}

TEST_F(BatchApplierTest, GivenARequestWaitingForAVersion_WhenTheBatchReachesIt_ThenTheWaiterIsWoken) {
  bool woken = false;
  ASSERT_TRUE(waiters_.Add(testing::kOrderId, 2, [&] { woken = true; }));

  Apply(PlacedAndConfirmed());

  EXPECT_TRUE(woken);
  EXPECT_EQ(waiters_.Size(), 0u);
}

}  // namespace
}  // namespace orders::projection

namespace orders::projection {
namespace {

// Catching up, a batch waits to be big, unless nothing more is at hand.
TEST_F(BatchApplierTest, CatchingUpABatchGoesOnceBigEnoughEverythingFetchedIsInOrItWaitedASecond) {
  BatchBuilder builder(BatchPolicy{100, std::chrono::milliseconds(0), std::chrono::milliseconds(0)});
  builder.SetCatchUpRecords(3);
  builder.Add(Record(testing::Placed(), 0, 0));
  builder.Add(Record(testing::Changed(2, Status::kPending, Status::kConfirmed), 0, 1));
  builder.HandOff(applier_);
  EXPECT_EQ(builder.size(), 2u) << "two records of three, and more may be at hand";
  builder.Add(Record(testing::Changed(3, Status::kConfirmed, Status::kShipped), 0, 2));
  builder.HandOff(applier_);
  EXPECT_EQ(builder.size(), 0u) << "big enough";
  applier_.Drain(Clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(metrics_.events_applied.Value(), 3u);

  builder.Add(Record(testing::Changed(4, Status::kShipped, Status::kDelivered), 0, 3));
  builder.Drained();
  builder.HandOff(applier_);
  EXPECT_EQ(builder.size(), 0u) << "everything fetched is in the batch: it goes, small";

  builder.Add(Record(testing::Changed(5, Status::kDelivered, Status::kDelivered), 0, 4));
  builder.HandOff(applier_);
  EXPECT_EQ(builder.size(), 1u);
  std::this_thread::sleep_for(BatchBuilder::kCatchUpMaxWait);
  applier_.Drain(Clock::now() + std::chrono::seconds(5));
  builder.HandOff(applier_);
  EXPECT_EQ(builder.size(), 0u) << "a lane whose partitions get few records is not held for the whole catch-up";

  builder.SetCatchUpRecords(0);
  builder.Add(Record(testing::Changed(6, Status::kDelivered, Status::kDelivered), 0, 5));
  applier_.Drain(Clock::now() + std::chrono::seconds(5));
  builder.HandOff(applier_);
  EXPECT_EQ(builder.size(), 0u) << "live, a due batch goes as soon as the applier is free";
}

}  // namespace
}  // namespace orders::projection
