// Live orders the cache dropped: their next events are held while the read
// model (an in-memory fake of the lookup port here) is asked for the state
// before them, and the order's followers get every update all the same.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/testing/builders.hpp>

#include "cache_budget.hpp"
#include "fake_order_lookup.hpp"
#include "recording_sink.hpp"

namespace orders::notifier {
namespace {

using domain::Status;
using testing::At;
using testing::Changed;
using testing::Placed;

const std::string kLive = CacheTestId(1);

// kLive as the read model holds it after `version` events: placed, confirmed, shipped.
domain::Order Stored(int version) {
  std::optional<domain::Order> order;
  domain::Apply(order, Placed(kLive, At(1)));
  if (version >= 2) domain::Apply(order, Changed(2, Status::kPending, Status::kConfirmed, kLive));
  if (version >= 3) domain::Apply(order, Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  return *order;
}

class HubRevivalTest : public ::testing::Test {
 protected:
  explicit HubRevivalTest(HubLimits limits = {}) : hub_(cache_, limits, nullptr, &lookup_) {
    hub_.Attach(1, sink_);  // auth off: staff
  }

  // kLive is read up to `version`, followed by id, then two newer placements
  // drop it from a cache with room for two: nothing finished is left to drop first.
  void DropTheLiveOrderAt(int version) {
    Event(Placed(kLive, At(1)));
    Say(R"({"type":"subscribe","orderId":")" + kLive + "\"}");
    if (version >= 2) Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
    Event(Placed(CacheTestId(2), At(2)));
    Event(Placed(CacheTestId(3), At(3)));
    ASSERT_EQ(cache_.Find(kLive), nullptr);
    sink_.messages.clear();
  }

  void Event(const domain::Event& event) { hub_.OnEvent(event); }
  void Say(const std::string& text) { hub_.OnClientText(1, text, now_); }
  void After(std::chrono::milliseconds elapsed) { hub_.Tick(now_ + elapsed); }

  Clock::time_point now_ = Clock::now();
  OrderCache cache_{RoomForPlacements(2)};
  FakeOrderLookup lookup_;
  Hub hub_;
  RecordingSink sink_;
};

TEST_F(HubRevivalTest, ADroppedLiveOrderStillGetsItsNextUpdateOnceTheReadModelAnswers) {
  DropTheLiveOrderAt(1);
  Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  EXPECT_EQ(lookup_.asked, std::vector<std::string>{kLive});
  EXPECT_TRUE(sink_.messages.empty()) << "held until the state before it is known";
  ASSERT_TRUE(lookup_.Found(Stored(1)));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "update");
  EXPECT_EQ(sink_.messages[0]["version"], 2);
  EXPECT_EQ(sink_.messages[0]["status"], "confirmed");
  EXPECT_EQ(sink_.messages[0]["previousStatus"], "pending");
  ASSERT_NE(cache_.Find(kLive), nullptr) << "held again";
  EXPECT_EQ(cache_.Find(kLive)->order.version, 2);
  EXPECT_EQ(hub_.stats().orders_revived, 1u);
}

TEST_F(HubRevivalTest, EventsReadWhileAskingAreHeldAndDeliveredInOrder) {
  DropTheLiveOrderAt(1);
  Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  Event(Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  EXPECT_EQ(lookup_.asked.size(), 1u) << "one question per order";
  lookup_.Found(Stored(1));
  ASSERT_EQ(sink_.messages.size(), 2u);
  EXPECT_EQ(sink_.messages[0]["version"], 2);
  EXPECT_EQ(sink_.messages[1]["version"], 3);
  Event(Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  EXPECT_EQ(sink_.messages.size(), 2u) << "a redelivery is a duplicate again, as for any cached order";
}

TEST_F(HubRevivalTest, AReadModelBehindTheLogIsAskedAgainAtTheNextTick) {
  DropTheLiveOrderAt(2);
  Event(Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  lookup_.Found(Stored(1));  // the projection has not written version 2 yet
  EXPECT_TRUE(sink_.messages.empty()) << "version 1 is not the state before version 3";
  After(std::chrono::milliseconds(100));
  ASSERT_EQ(lookup_.asked.size(), 2u);
  lookup_.Found(Stored(2));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["version"], 3);
  EXPECT_EQ(sink_.messages[0]["previousStatus"], "confirmed");
}

TEST_F(HubRevivalTest, AReadModelPastTheHeldEventsIsToldAsItsState) {
  DropTheLiveOrderAt(1);
  Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  lookup_.Found(Stored(3));  // the projection read further than this notifier has
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  EXPECT_EQ(sink_.messages[0]["recovered"], false) << "the events in between cannot be replayed";
  EXPECT_EQ(sink_.messages[0]["order"]["version"], 3);
  Event(Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  EXPECT_EQ(sink_.messages.size(), 1u) << "version 3 was in the state told";
  Event(Changed(4, Status::kShipped, Status::kDelivered, kLive));
  ASSERT_EQ(sink_.messages.size(), 2u);
  EXPECT_EQ(sink_.messages[1]["version"], 4);
  EXPECT_EQ(hub_.stats().revived_from_newer_state, 1u);
}

TEST_F(HubRevivalTest, AListFollowerOfANewerStateGetsOneUpdateCarryingTheOrder) {
  RecordingSink board;
  hub_.Attach(2, board);
  hub_.OnClientText(2, R"({"type":"subscribe","all":true})", now_);
  DropTheLiveOrderAt(1);
  board.messages.clear();
  Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  lookup_.Found(Stored(3));
  ASSERT_EQ(board.messages.size(), 1u);
  EXPECT_EQ(board.messages[0]["type"], "update");
  EXPECT_EQ(board.messages[0]["order"]["version"], 3);
  EXPECT_EQ(board.messages[0]["order"]["status"], "shipped");
}

TEST_F(HubRevivalTest, AReadModelThatNeverCatchesUpIsGivenUpAfterTheTimeout) {
  DropTheLiveOrderAt(1);
  Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  lookup_.Failed(kLive);
  After(std::chrono::milliseconds(100));
  lookup_.Absent(kLive);
  After(std::chrono::milliseconds(200));
  EXPECT_EQ(lookup_.asked.size(), 3u) << "asked again at every Tick while it cannot say";
  After(std::chrono::milliseconds(5100));
  EXPECT_EQ(hub_.stats().revivals_given_up, 1u);
  lookup_.Found(Stored(1));
  EXPECT_TRUE(sink_.messages.empty()) << "an answer after giving up is not wanted";
  Event(Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  EXPECT_EQ(lookup_.asked.size(), 4u) << "its next event asks afresh";
  lookup_.Found(Stored(2));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["version"], 3);
}

TEST(HubRevivalWithoutSessionsTest, NothingIsAskedWhileNobodyIsConnected) {
  OrderCache cache{RoomForPlacements(2)};
  FakeOrderLookup lookup;
  Hub hub(cache, {}, nullptr, &lookup);
  hub.OnEvent(Placed(kLive, At(1)));
  hub.OnEvent(Placed(CacheTestId(2), At(2)));
  hub.OnEvent(Placed(CacheTestId(3), At(3)));
  hub.OnEvent(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  EXPECT_TRUE(lookup.asked.empty()) << "a later subscribe asks the read model itself";
}

class HubRevivalBoundTest : public HubRevivalTest {
 protected:
  static HubLimits TwoHeld() {
    HubLimits limits;
    limits.max_revival_events = 2;
    return limits;
  }
  HubRevivalBoundTest() : HubRevivalTest(TwoHeld()) {}
};

TEST_F(HubRevivalBoundTest, HeldEventsAreBoundedAndTheOrderPastTheBoundIsGivenUp) {
  DropTheLiveOrderAt(1);
  Event(Changed(2, Status::kPending, Status::kConfirmed, kLive));
  Event(Changed(3, Status::kConfirmed, Status::kShipped, kLive));
  Event(Changed(4, Status::kShipped, Status::kDelivered, kLive));
  EXPECT_EQ(hub_.stats().revivals_given_up, 1u);
  lookup_.Found(Stored(1));
  EXPECT_TRUE(sink_.messages.empty());
}

}  // namespace
}  // namespace orders::notifier
