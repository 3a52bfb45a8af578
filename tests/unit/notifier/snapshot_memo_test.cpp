// List snapshots rendered once for a wave of subscribers: the memo's key (selector, decliner,
// cache generation), the cache's generation, and the hub never serving a snapshot older than
// the cache it reads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/notifier/snapshot_memo.hpp>
#include <orders/testing/builders.hpp>

#include "cache_budget.hpp"
#include "recording_sink.hpp"

namespace orders::notifier {
namespace {

using domain::Status;
using testing::At;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

class SnapshotMemoTest : public ::testing::Test {
 protected:
  const SnapshotMemo::Pages& Get(const Selector& selector, const std::string* decliner, std::uint64_t generation) {
    return memo_.Get(selector, decliner, generation, [&] {
      ++renders_;
      return SnapshotMemo::Pages{"render " + std::to_string(renders_)};
    });
  }
  SnapshotMemo memo_;
  int renders_ = 0;
};

TEST_F(SnapshotMemoTest, TheSameSelectorAtTheSameGenerationIsRenderedOnce) {
  const Selector all{Selector::Kind::kAll, ""};
  EXPECT_EQ(Get(all, nullptr, 7), SnapshotMemo::Pages{"render 1"});
  EXPECT_EQ(Get(all, nullptr, 7), SnapshotMemo::Pages{"render 1"});
  EXPECT_EQ(renders_, 1);
}

TEST_F(SnapshotMemoTest, AnotherGenerationSelectorValueOrDeclinerRendersAfresh) {
  const Selector all{Selector::Kind::kAll, ""};
  const Selector open{Selector::Kind::kOpenDeliveries, ""};
  const Selector customer1{Selector::Kind::kCustomer, "customer-1"};
  const Selector customer2{Selector::Kind::kCustomer, "customer-2"};
  const std::string rider1 = "rider-1", rider2 = "rider-2", nobody;
  Get(all, nullptr, 1);
  Get(all, nullptr, 2);  // the cache changed
  EXPECT_EQ(renders_, 2);
  Get(open, nullptr, 2);  // another kind
  Get(open, &rider1, 2);  // a courier's: without its declines
  Get(open, &rider2, 2);  // another courier's
  Get(open, &nobody, 2);  // a decliner with an empty name is still not "no decliner"
  Get(open, nullptr, 2);
  EXPECT_EQ(renders_, 7);
  Get(customer1, nullptr, 2);
  Get(customer2, nullptr, 2);
  EXPECT_EQ(renders_, 9);
  EXPECT_EQ(Get(customer2, nullptr, 2), SnapshotMemo::Pages{"render 9"});
  EXPECT_EQ(renders_, 9);
}

TEST_F(SnapshotMemoTest, ARenderThatThrowsLeavesNoPagesBehind) {
  const Selector all{Selector::Kind::kAll, ""};
  Get(all, nullptr, 1);
  EXPECT_THROW(memo_.Get(all, nullptr, 2, []() -> SnapshotMemo::Pages { throw std::runtime_error("boom"); }),
               std::runtime_error);
  EXPECT_EQ(Get(all, nullptr, 1), SnapshotMemo::Pages{"render 2"}) << "the older pages are not served again";
}

TEST(OrderCacheGeneration, ChangesWithEveryAppliedEventAndSeedNotWithARedelivery) {
  OrderCache cache;
  domain::ApplyOutcome outcome;
  auto generation = cache.generation();
  auto changed = [&] {
    const bool moved = cache.generation() != generation;
    generation = cache.generation();
    return moved;
  };
  cache.Apply(Placed(CacheTestId(1), At(1)), outcome);
  EXPECT_TRUE(changed()) << "a placement";
  cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, CacheTestId(1)), outcome);
  EXPECT_TRUE(changed()) << "a status change";
  cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, CacheTestId(1)), outcome);
  EXPECT_EQ(outcome, domain::ApplyOutcome::kDuplicate);
  EXPECT_FALSE(changed()) << "a redelivery changes nothing";
  domain::Order seeded;
  seeded.order_id = CacheTestId(7);
  seeded.customer_id = "customer-7";
  seeded.version = 3;
  seeded.created_at = At(7);
  cache.Seed(seeded);
  EXPECT_TRUE(changed()) << "an order held again from the read model";
  cache.Seed(seeded);
  EXPECT_FALSE(changed()) << "seeding one it holds changes nothing";
}

TEST(OrderCacheGeneration, AnOrderDroppedForTheBudgetIsNotInASnapshotOfTheNewGeneration) {
  OrderCache cache(RoomForPlacements(1));
  domain::ApplyOutcome outcome;
  cache.Apply(Placed(CacheTestId(1), At(1)), outcome);
  const auto generation = cache.generation();
  cache.Apply(Placed(CacheTestId(2), At(2)), outcome);
  ASSERT_EQ(cache.evictions(), 1u);
  EXPECT_NE(cache.generation(), generation);
  ASSERT_EQ(cache.Newest(5).size(), 1u);
  EXPECT_EQ(cache.Newest(5)[0]->order_id, CacheTestId(2));
}

class HubSnapshotWaveTest : public ::testing::Test {
 protected:
  HubSnapshotWaveTest() : hub_(cache_, HubLimits{}) {
    for (SessionId id = 1; id <= 3; ++id) {
      hub_.Attach(id, sinks_[id - 1], platform::Principal{"ops-" + std::to_string(id), platform::Role::kStaff});
    }
  }
  void SubscribeAll(SessionId id) { hub_.OnClientText(id, R"({"type":"subscribe","all":true})", now_); }
  static std::string StatusIn(const nlohmann::json& snapshot) { return snapshot["orders"][0]["status"]; }

  Clock::time_point now_ = Clock::now();
  OrderCache cache_;
  Hub hub_;
  RecordingSink sinks_[3];
};

TEST_F(HubSnapshotWaveTest, SubscribersOfOneWaveGetTheSameSnapshotAndALaterOneTheChangedOrder) {
  hub_.OnEvent(Placed());
  SubscribeAll(1);
  SubscribeAll(2);
  ASSERT_EQ(sinks_[0].messages.size(), 1u);
  EXPECT_EQ(sinks_[1].messages, sinks_[0].messages);
  EXPECT_EQ(StatusIn(sinks_[0].messages[0]), "pending");
  hub_.OnEvent(Changed(2, Status::kPending, Status::kConfirmed));
  SubscribeAll(3);
  ASSERT_EQ(sinks_[2].messages.size(), 1u);
  EXPECT_EQ(StatusIn(sinks_[2].messages[0]), "confirmed") << "not the snapshot rendered before the change";
  EXPECT_EQ(sinks_[2].messages[0]["orders"][0]["orderId"], kOrderId);
  EXPECT_EQ(sinks_[0].OfType("update").size(), 1u) << "the earlier subscribers heard the change as an update";
}

TEST_F(HubSnapshotWaveTest, AnOrderPlacedBetweenTwoSubscribersIsInTheSecondSnapshot) {
  hub_.OnEvent(Placed(CacheTestId(1), At(1)));
  SubscribeAll(1);
  hub_.OnEvent(Placed(CacheTestId(2), At(2)));
  SubscribeAll(2);
  EXPECT_EQ(sinks_[0].messages[0]["orders"].size(), 1u);
  EXPECT_EQ(sinks_[1].messages[0]["orders"].size(), 2u);
}

}  // namespace
}  // namespace orders::notifier
