// Orders the cache dropped: the hub asks the read model (an in-memory fake of
// the lookup port here) instead of answering not_found, and answers when the
// lookup comes back, on its own thread and within its deadline.
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

const std::string kDropped = CacheTestId(1);
const std::string kUnknown = CacheTestId(77);

// The dropped order as the read model holds it: placed, confirmed, shipped, delivered.
domain::Order Stored(const std::string& customer = "customer-1") {
  std::optional<domain::Order> order;
  auto placed = Placed(kDropped, At(1));
  placed.customer_id = customer;
  domain::Apply(order, placed);
  domain::Apply(order, Changed(2, Status::kPending, Status::kConfirmed, kDropped));
  domain::Apply(order, Changed(3, Status::kConfirmed, Status::kShipped, kDropped));
  domain::Apply(order, Changed(4, Status::kShipped, Status::kDelivered, kDropped));
  return *order;
}

class HubLookupTest : public ::testing::Test {
 protected:
  HubLookupTest() : hub_(cache_, Limits(), nullptr, &lookup_) {
    hub_.Attach(1, sink_);  // auth off: staff
    hub_.Attach(2, customer_sink_, platform::Principal{"customer-2", platform::Role::kCustomer});
  }

  static HubLimits Limits() {
    HubLimits limits;
    limits.not_found_wait = std::chrono::milliseconds(3000);
    limits.lookup_timeout = std::chrono::milliseconds(5000);
    return limits;
  }

  // The first order is delivered, then two more come: the budget drops it.
  void DropTheFirstOrder() {
    Event(Placed(kDropped, At(1)));
    Event(Changed(2, Status::kPending, Status::kConfirmed, kDropped));
    Event(Changed(3, Status::kConfirmed, Status::kShipped, kDropped));
    Event(Changed(4, Status::kShipped, Status::kDelivered, kDropped));
    Event(Placed(CacheTestId(2), At(2)));
    Event(Placed(CacheTestId(3), At(3)));
    ASSERT_EQ(cache_.Find(kDropped), nullptr);
    ASSERT_TRUE(cache_.evicted_any());
  }

  void Event(const domain::Event& event) { hub_.OnEvent(event); }
  void Say(const std::string& text, SessionId id = 1) { hub_.OnClientText(id, text, now_); }
  static std::string Subscribe(const std::string& id, const std::string& extra = "") {
    return R"({"type":"subscribe","orderId":")" + id + "\"" + extra + "}";
  }
  void After(std::chrono::milliseconds elapsed) { hub_.Tick(now_ + elapsed); }

  Clock::time_point now_ = Clock::now();
  OrderCache cache_{RoomForPlacements(2)};
  FakeOrderLookup lookup_;
  Hub hub_;
  RecordingSink sink_;
  RecordingSink customer_sink_;
};

TEST_F(HubLookupTest, ADroppedOrderIsAnsweredFromTheReadModelAtOnce) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped));
  EXPECT_EQ(lookup_.asked, std::vector<std::string>{kDropped});
  EXPECT_TRUE(sink_.messages.empty()) << "nothing until the read model answers";
  ASSERT_TRUE(lookup_.Found(Stored()));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  EXPECT_EQ(sink_.messages[0]["order"]["orderId"], kDropped);
  EXPECT_EQ(sink_.messages[0]["order"]["status"], "delivered");
  EXPECT_EQ(sink_.messages[0]["order"]["version"], 4);
  EXPECT_FALSE(sink_.messages[0].contains("recovered"));
  After(std::chrono::seconds(10));
  EXPECT_EQ(sink_.messages.size(), 1u) << "and no not_found later";
  EXPECT_EQ(hub_.stats().lookups_found, 1u);
}

TEST_F(HubLookupTest, NothingIsAskedWhileTheCacheHasDroppedNothing) {
  Event(Placed(CacheTestId(2), At(2)));
  Say(Subscribe(kUnknown));
  EXPECT_TRUE(lookup_.asked.empty()) << "every order ever read is still cached: the cache alone answers";
  After(std::chrono::milliseconds(3000));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["code"], "not_found");
}

TEST_F(HubLookupTest, AnOrderInNeitherTheCacheNorTheReadModelIsNotFoundAfterTheWait) {
  DropTheFirstOrder();
  Say(Subscribe(kUnknown));
  ASSERT_TRUE(lookup_.Absent(kUnknown));
  EXPECT_TRUE(sink_.messages.empty()) << "its placement may still come within the wait";
  After(std::chrono::milliseconds(2999));
  EXPECT_TRUE(sink_.messages.empty());
  After(std::chrono::milliseconds(3000));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["code"], "not_found");
  EXPECT_EQ(hub_.stats().lookups_absent, 1u);
}

TEST_F(HubLookupTest, AReadModelThatFailsIsUnavailableNeverNotFound) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped));
  ASSERT_TRUE(lookup_.Failed(kDropped));
  After(std::chrono::milliseconds(3000));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "error");
  EXPECT_EQ(sink_.messages[0]["code"], "unavailable");
  EXPECT_EQ(hub_.stats().lookups_failed, 1u);
}

TEST_F(HubLookupTest, AReadModelThatNeverAnswersIsUnavailableAfterTheLookupTimeout) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped));
  After(std::chrono::milliseconds(3000));
  EXPECT_TRUE(sink_.messages.empty()) << "past the not_found wait, the lookup still has time";
  After(std::chrono::milliseconds(5000));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["code"], "unavailable");
  EXPECT_EQ(hub_.stats().lookups_timed_out, 1u);
  lookup_.Found(Stored());
  EXPECT_EQ(sink_.messages.size(), 1u) << "an answer after the deadline is not wanted any more";
}

TEST_F(HubLookupTest, AResumeFromAVersionTheStoredOrderIsPastGetsASnapshotNotRecovered) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped, R"(,"sinceVersion":2)"));
  lookup_.Found(Stored());
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  EXPECT_EQ(sink_.messages[0]["recovered"], false) << "the read model keeps no events to replay";
  EXPECT_EQ(sink_.messages[0]["order"]["version"], 4);
}

TEST_F(HubLookupTest, AResumeAtTheStoredVersionHasMissedNothingAndFollowsTheOrder) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped, R"(,"sinceVersion":4)"));
  lookup_.Found(Stored());
  After(std::chrono::seconds(10));
  EXPECT_TRUE(sink_.messages.empty());
  Say(R"({"type":"unsubscribe","orderId":")" + kDropped + "\"}");
  EXPECT_TRUE(sink_.messages.empty()) << "it was a subscription like any other";
}

TEST_F(HubLookupTest, OneLookupAnswersEverySubscriberOfTheOrder) {
  RecordingSink other;
  hub_.Attach(3, other);
  DropTheFirstOrder();
  Say(Subscribe(kDropped));
  Say(Subscribe(kDropped), 3);
  Say(kDropped, 3);  // a bare-id lookup too
  EXPECT_EQ(lookup_.asked.size(), 1u);
  lookup_.Found(Stored());
  EXPECT_EQ(sink_.OfType("snapshot").size(), 1u);
  EXPECT_EQ(other.OfType("snapshot").size(), 1u);
  ASSERT_EQ(other.messages.size(), 2u);
  EXPECT_EQ(other.messages[1]["status"], "delivered") << "the bare lookup's {orderId, status}";
}

TEST_F(HubLookupTest, AStoredOrderTheCallerMayNotSeeIsNotFoundLikeAMissingOne) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped), 2);  // customer-2; the order is customer-1's
  lookup_.Found(Stored("customer-1"));
  EXPECT_TRUE(customer_sink_.messages.empty()) << "not at once: that would tell the order exists";
  After(std::chrono::milliseconds(3000));
  ASSERT_EQ(customer_sink_.messages.size(), 1u);
  EXPECT_EQ(customer_sink_.messages[0]["code"], "not_found");
}

TEST_F(HubLookupTest, ABareIdLookupOfAnUnreachableReadModelSaysSo) {
  DropTheFirstOrder();
  Say(kDropped);
  lookup_.Failed(kDropped);
  After(std::chrono::milliseconds(3000));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["error"], "Order lookup unavailable; retry shortly");
}

TEST_F(HubLookupTest, APlacementReadDuringTheLookupIsAnsweredFromTheCache) {
  DropTheFirstOrder();
  const std::string fresh = CacheTestId(4);
  Say(Subscribe(fresh));
  EXPECT_EQ(lookup_.asked, std::vector<std::string>{fresh});
  Event(Placed(fresh, At(4)));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  lookup_.Absent(fresh);
  After(std::chrono::seconds(10));
  EXPECT_EQ(sink_.messages.size(), 1u) << "the late answer changes nothing";
  Event(Changed(2, Status::kPending, Status::kConfirmed, fresh));
  EXPECT_EQ(sink_.OfType("update").size(), 1u);
}

TEST_F(HubLookupTest, AReadModelAheadOfTheLogIsFollowedOnlyPastWhatItShowed) {
  DropTheFirstOrder();
  const std::string ahead = CacheTestId(5);
  Say(Subscribe(ahead));
  std::optional<domain::Order> stored;
  domain::Apply(stored, Placed(ahead, At(5)));
  domain::Apply(stored, Changed(2, Status::kPending, Status::kConfirmed, ahead));
  lookup_.Found(*stored);
  ASSERT_EQ(sink_.OfType("snapshot").size(), 1u);
  Event(Placed(ahead, At(5)));  // the notifier reads what the projection had already folded
  Event(Changed(2, Status::kPending, Status::kConfirmed, ahead));
  EXPECT_TRUE(sink_.OfType("update").empty()) << "versions the snapshot showed are not sent again";
  Event(Changed(3, Status::kConfirmed, Status::kShipped, ahead));
  ASSERT_EQ(sink_.OfType("update").size(), 1u);
  EXPECT_EQ(sink_.OfType("update")[0]["version"], 3);
}

TEST_F(HubLookupTest, ASubscriberThatLeftDuringTheLookupIsSentNothing) {
  DropTheFirstOrder();
  Say(Subscribe(kDropped));
  Say(R"({"type":"unsubscribe","orderId":")" + kDropped + "\"}");
  lookup_.Found(Stored());
  After(std::chrono::seconds(10));
  EXPECT_TRUE(sink_.messages.empty());
  hub_.Detach(1);
  Say(Subscribe(kDropped), 2);
  EXPECT_EQ(lookup_.asked.size(), 2u) << "a finished lookup is not reused: the next question asks again";
}

TEST_F(HubLookupTest, WithoutALookupPortADroppedOrderIsNotFoundAsBefore) {
  OrderCache cache(RoomForPlacements(2));
  Hub hub(cache, Limits());
  RecordingSink sink;
  hub.Attach(1, sink);
  hub.OnEvent(Placed(kDropped, At(1)));
  hub.OnEvent(Placed(CacheTestId(2), At(2)));
  hub.OnEvent(Placed(CacheTestId(3), At(3)));
  ASSERT_TRUE(cache.evicted_any());
  hub.OnClientText(1, Subscribe(kDropped), now_);
  hub.Tick(now_ + std::chrono::milliseconds(3000));
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0]["code"], "not_found");
}

}  // namespace
}  // namespace orders::notifier
