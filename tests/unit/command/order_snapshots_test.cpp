// The orders fold kept in a state store (the in-memory adapter): what a batch
// writes, what a restart loads, and finished orders leaving memory but still
// answering.
#include <gtest/gtest.h>

#include <orders/command/in_memory_state_store.hpp>
#include <orders/command/order_snapshots.hpp>
#include <orders/command/stored_order_codec.hpp>
#include <orders/testing/builders.hpp>

namespace orders::command {
namespace {

using namespace std::chrono_literals;
using domain::Status;
using testing::At;
using testing::Changed;
using testing::Placed;

constexpr auto kOrderRetention = std::chrono::milliseconds(1h);
constexpr auto kKeyRetention = std::chrono::milliseconds(24h);
const domain::Timestamp kStart = At();

class OrderSnapshotsTest : public ::testing::Test {
 protected:
  struct Instance {
    explicit Instance(OrderSnapshotsTest& test)
        : snapshots(test.store_, book, {"orders.events", kOrderRetention, kKeyRetention, 1000ms, 20'000}, metrics,
                    [&test] { return test.now_; }) {
      book.SetKeyRetention(kKeyRetention, [&test] { return test.now_; });
      book.SetApplyListener([this](const std::string& id) { touched.push_back(id); });
    }
    platform::MetricsRegistry metrics;
    OrderBook book;
    OrderSnapshots snapshots;
    std::vector<std::string> touched;
  };

  // An event as the follower folds it from the log.
  template <typename Event>
  void Fold(Instance& instance, const Event& event, std::optional<std::string> key = std::nullopt) {
    codec::EventMetadata metadata;
    metadata.event_id = "evt";
    metadata.idempotency_key = key;
    metadata.request_hash = key ? std::optional<std::string>("hash-" + *key) : std::nullopt;
    instance.book.Apply(event, metadata);
    instance.snapshots.Folded(event.order_id, key);
  }
  void Deliver(Instance& instance, const std::string& id, domain::Timestamp at) {
    Fold(instance, Placed(id, at), "key-" + id);
    Fold(instance, Changed(2, Status::kPending, Status::kDelivered, id, at + 1s));
  }

  std::optional<StoredKey> StoredKeyNamed(const std::string& name) const {
    std::optional<StoredKey> found;
    store_.ForEachKey(domain::Timestamp::min(), [&](const std::string& key, const StoredKey& record) {
      if (key == name) found = record;
    });
    return found;
  }
  std::vector<std::string> ResidentIds() const {
    std::vector<std::string> ids;
    store_.ForEachResident(StateStream::kOrders,
                           [&](const std::string& id, std::optional<domain::Timestamp>) { ids.push_back(id); });
    return ids;
  }

  domain::Timestamp now_ = kStart;
  InMemoryStateStore store_;
};

TEST_F(OrderSnapshotsTest, ABatchWritesTheChangedOrdersTheirKeysAndThePositionsRead) {
  Instance first(*this);
  ASSERT_EQ(first.snapshots.Resume({{0, 0}, {1, 0}}), std::nullopt);  // an empty store: from the beginning
  Fold(first, Placed("order-1", kStart), "key-1");
  Fold(first, Changed(2, Status::kPending, Status::kConfirmed, "order-1", kStart + 1s));
  first.snapshots.Flush({{0, 2}, {1, 5}});

  auto stored = DecodeStoredOrder(*store_.State(StateStream::kOrders, "order-1"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, Status::kConfirmed);
  EXPECT_EQ(StoredKeyNamed("key-1"), (StoredKey{"order-1", "hash-key-1", kStart}));
  EXPECT_EQ(ResidentIds(), (std::vector<std::string>{"order-1"}));
  EXPECT_EQ(store_.Checkpoint(StateStream::kOrders)->next_offsets, (std::vector<std::int64_t>{2, 5}));
}

TEST_F(OrderSnapshotsTest, ARestartLoadsOnlyTheLiveStateTellsTheWorkflowAndResumesAtTheCheckpoint) {
  {
    Instance before(*this);
    ASSERT_EQ(before.snapshots.Resume({{0, 0}}), std::nullopt);
    Fold(before, Placed("old-delivered", kStart), "key-old");
    Fold(before, Changed(2, Status::kPending, Status::kDelivered, "old-delivered", kStart + 1s));
    now_ = kStart + 30h;
    Deliver(before, "recent-delivered", now_ - 10min);
    Fold(before, Placed("pending", now_ - 1min), "key-pending");
    before.snapshots.Flush({{0, 7}});
  }
  Instance after(*this);
  const auto start = after.snapshots.Resume({{0, 9}});
  ASSERT_TRUE(start);
  EXPECT_EQ(*start, (platform::PartitionOffsets{{0, 7}}));
  EXPECT_TRUE(after.snapshots.report().resumed);
  EXPECT_EQ(after.snapshots.report().records_behind, 2);
  EXPECT_EQ(after.snapshots.report().orders_loaded, 2u);
  EXPECT_EQ(after.snapshots.report().orders_left_stored, 1u);
  EXPECT_EQ(after.book.OrderCount(), 2u);
  std::sort(after.touched.begin(), after.touched.end());
  EXPECT_EQ(after.touched, (std::vector<std::string>{"pending", "recent-delivered"}));
  // Keys within their retention only: the old placement's (30 h ago) is past its 24 h.
  EXPECT_TRUE(after.book.FindKey("key-pending"));
  EXPECT_TRUE(after.book.FindKey("key-recent-delivered"));
  EXPECT_EQ(after.book.FindKey("key-old"), std::nullopt);
  // The order left in the store still answers, as it was.
  auto old = after.book.Find("old-delivered");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, Status::kDelivered);
  EXPECT_EQ(old->version, 2);
  EXPECT_EQ(after.book.Find("never-placed"), std::nullopt);
}

TEST_F(OrderSnapshotsTest, ARestartReadsOnlyTheResidentIndexNotTheOrdersThatLeftMemory) {
  {
    Instance before(*this);
    ASSERT_EQ(before.snapshots.Resume({{0, 0}}), std::nullopt);
    Deliver(before, "evicted", kStart);
    Fold(before, Placed("pending", kStart), "key-pending");
    before.snapshots.Flush({{0, 3}});
    now_ = kStart + 2h;
    before.snapshots.Flush({{0, 3}});  // evicts "delivered"
    before.snapshots.Flush({{0, 3}});  // and its next batch takes it out of the index
    ASSERT_EQ(before.book.OrderCount(), 1u);
  }
  EXPECT_EQ(ResidentIds(), (std::vector<std::string>{"pending"}));
  // Were the restart to decode the evicted order it would find garbage and discard the store.
  StateBatch damage;
  damage.states = {{"evicted", "not a stored order"}};
  damage.checkpoint = *store_.Checkpoint(StateStream::kOrders);
  ASSERT_TRUE(store_.Write(damage));

  Instance after(*this);
  ASSERT_TRUE(after.snapshots.Resume({{0, 3}}));
  EXPECT_EQ(after.snapshots.report().orders_loaded, 1u);
  EXPECT_EQ(after.touched, (std::vector<std::string>{"pending"}));
  EXPECT_EQ(after.book.OrderCount(), 1u);
}

TEST_F(OrderSnapshotsTest, AFinishedOrderWhoseRetentionRanOutWhileDownIsNotLoadedAndLeavesTheIndex) {
  {
    Instance before(*this);
    ASSERT_EQ(before.snapshots.Resume({{0, 0}}), std::nullopt);
    Deliver(before, "delivered", kStart);
    before.snapshots.Flush({{0, 2}});
  }
  ASSERT_EQ(ResidentIds(), (std::vector<std::string>{"delivered"}));
  now_ = kStart + 1s + kOrderRetention;
  Instance after(*this);
  ASSERT_TRUE(after.snapshots.Resume({{0, 2}}));
  EXPECT_EQ(after.snapshots.report().orders_loaded, 0u);
  EXPECT_EQ(after.snapshots.report().orders_left_stored, 1u);
  EXPECT_EQ(after.book.OrderCount(), 0u);
  after.snapshots.Flush({{0, 2}});
  EXPECT_TRUE(ResidentIds().empty());
  auto stored = after.book.Find("delivered");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status, Status::kDelivered);
}

TEST_F(OrderSnapshotsTest, AKeyPastItsRetentionIsDeletedFromTheStoreAndNotLoadedAfterARestart) {
  {
    Instance before(*this);
    ASSERT_EQ(before.snapshots.Resume({{0, 0}}), std::nullopt);
    Fold(before, Placed("old", kStart), "key-old");
    now_ = kStart + 12h;
    Fold(before, Placed("recent", now_), "key-recent");
    before.snapshots.Flush({{0, 2}});
  }
  ASSERT_TRUE(StoredKeyNamed("key-old"));
  now_ = kStart + kKeyRetention;  // key-old's retention is over, key-recent's is not
  Instance after(*this);
  ASSERT_TRUE(after.snapshots.Resume({{0, 2}}));
  EXPECT_EQ(after.snapshots.report().keys_loaded, 1u);
  EXPECT_EQ(after.book.FindKey("key-old"), std::nullopt);
  EXPECT_TRUE(after.book.FindKey("key-recent"));
  after.snapshots.Flush({{0, 2}});
  EXPECT_EQ(StoredKeyNamed("key-old"), std::nullopt) << "deleted by the first batch after the restart";
  EXPECT_TRUE(StoredKeyNamed("key-recent"));
}

TEST_F(OrderSnapshotsTest, AStoreThatDoesNotMatchTheTopicIsDiscardedAndTheTopicReplayed) {
  {
    Instance before(*this);
    ASSERT_EQ(before.snapshots.Resume({{0, 0}}), std::nullopt);
    Fold(before, Placed("order-1", kStart), "key-1");
    before.snapshots.Flush({{0, 50}});
  }
  Instance after(*this);
  EXPECT_EQ(after.snapshots.Resume({{0, 3}}), std::nullopt);  // recreated: 3 records where 50 were read
  EXPECT_NE(after.snapshots.report().discard_reason.find("beyond"), std::string::npos);
  EXPECT_EQ(after.book.OrderCount(), 0u);
  EXPECT_EQ(store_.Checkpoint(StateStream::kOrders), std::nullopt);
  EXPECT_EQ(store_.State(StateStream::kOrders, "order-1"), std::nullopt);
  EXPECT_EQ(StoredKeyNamed("key-1"), std::nullopt);
  EXPECT_TRUE(ResidentIds().empty());
}

TEST_F(OrderSnapshotsTest, AStoreWhoseTailRetentionDeletedIsDiscardedWithTheReasonAndTheTopicReplayed) {
  {
    Instance before(*this);
    ASSERT_EQ(before.snapshots.Resume({{0, 0}, {1, 0}}), std::nullopt);
    Fold(before, Placed("order-1", kStart), "key-1");
    before.snapshots.Flush({{0, 1}, {1, 4}});
  }
  Instance after(*this);
  // Partition 1 now starts at 9: records 4..8 were deleted, the store never folded them.
  EXPECT_EQ(after.snapshots.Resume({{0, 1}, {1, 20}}, {{0, 0}, {1, 9}}), std::nullopt);
  EXPECT_FALSE(after.snapshots.report().resumed);
  EXPECT_NE(after.snapshots.report().discard_reason.find("first offset 9"), std::string::npos)
      << after.snapshots.report().discard_reason;
  EXPECT_EQ(after.book.OrderCount(), 0u);
  EXPECT_EQ(store_.Checkpoint(StateStream::kOrders), std::nullopt);
  EXPECT_TRUE(ResidentIds().empty());
}

TEST_F(OrderSnapshotsTest, AFinishedOrderLeavesMemoryAfterTheRetentionAndStillAnswersFromTheStore) {
  Instance instance(*this);
  ASSERT_EQ(instance.snapshots.Resume({{0, 0}}), std::nullopt);
  Deliver(instance, "delivered", kStart);
  Fold(instance, Placed("pending", kStart), "key-pending");
  instance.snapshots.Flush({{0, 3}});
  ASSERT_EQ(instance.book.OrderCount(), 2u);

  now_ = kStart + 1s + kOrderRetention - 1ms;
  instance.snapshots.Flush({{0, 3}});
  EXPECT_EQ(instance.book.OrderCount(), 2u) << "not before its retention ran out";

  now_ += 1ms;
  instance.snapshots.Flush({{0, 3}});
  EXPECT_EQ(instance.book.OrderCount(), 1u);
  auto answer = instance.book.Find("delivered");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, Status::kDelivered);
  EXPECT_TRUE(instance.book.Find("pending"));
}

TEST_F(OrderSnapshotsTest, ALateEventOnAnEvictedOrderFoldsOntoItsStoredState) {
  Instance instance(*this);
  ASSERT_EQ(instance.snapshots.Resume({{0, 0}}), std::nullopt);
  Fold(instance, Placed("cancelled", kStart));
  Fold(instance, Changed(2, Status::kPending, Status::kCancelled, "cancelled", kStart + 1s));
  instance.snapshots.Flush({{0, 2}});
  now_ = kStart + 2h;
  instance.snapshots.Flush({{0, 2}});
  ASSERT_EQ(instance.book.OrderCount(), 0u);

  // The gateway's late answer for the cancelled order: folded at version 3, and the workflow told (it refunds).
  instance.touched.clear();
  domain::PaymentAuthorized late{"cancelled", 3, now_, "pay-1", 3000};
  Fold(instance, late);
  auto order = instance.book.Find("cancelled");
  ASSERT_TRUE(order);
  EXPECT_EQ(order->version, 3);
  EXPECT_EQ(order->payment.status, domain::PaymentStatus::kAuthorized);
  EXPECT_EQ(instance.touched, (std::vector<std::string>{"cancelled"}));
  EXPECT_EQ(instance.book.OrderCount(), 1u);
}

TEST_F(OrderSnapshotsTest, AnOrderACommandHoldsIsEvictedOnlyOnceReleased) {
  Instance instance(*this);
  ASSERT_EQ(instance.snapshots.Resume({{0, 0}}), std::nullopt);
  Deliver(instance, "delivered", kStart);
  instance.snapshots.Flush({{0, 2}});
  ASSERT_TRUE(instance.book.RunExclusive("delivered", [] {}));
  now_ = kStart + 2h;
  instance.snapshots.Flush({{0, 2}});
  EXPECT_EQ(instance.book.OrderCount(), 1u);
  instance.book.Release("delivered");
  instance.snapshots.Flush({{0, 2}});
  EXPECT_EQ(instance.book.OrderCount(), 0u);
}

}  // namespace
}  // namespace orders::command
