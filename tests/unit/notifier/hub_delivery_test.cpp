// The hub's courier side: who may follow what (the shared permission table),
// the courierId and openDeliveries selectors, and what their updates carry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/testing/builders.hpp>

#include "cache_budget.hpp"
#include "recording_sink.hpp"

namespace orders::notifier {
namespace {

using domain::Status;
using nlohmann::json;
using testing::At;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

std::string IdOf(int i) {
  char id[37];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
  return id;
}

domain::CourierAssigned Assigned(std::int64_t version, const std::string& courier, const std::string& id = kOrderId) {
  return {id, version, At(1764000005000 + version), courier, domain::AssignedBy::kCourier};
}
domain::CourierUnassigned Unassigned(std::int64_t version, const std::string& courier,
                                     const std::string& id = kOrderId) {
  return {id, version, At(1764000005000 + version), courier, std::nullopt};
}
domain::DeliveryDeclined Declined(std::int64_t version, const std::string& courier, const std::string& id = kOrderId) {
  return {id, version, At(1764000005000 + version), courier, std::nullopt};
}

std::vector<std::string> OrderIds(const std::vector<json>& pages) {
  std::vector<std::string> ids;
  for (const auto& page : pages) {
    for (const auto& order : page["orders"]) ids.push_back(order["orderId"]);
  }
  return ids;
}

class HubDeliveryTest : public ::testing::Test {
 protected:
  enum : SessionId { kRider1 = 1, kRider2 = 2, kStaff = 3, kCustomer = 4 };

  HubDeliveryTest() : hub_(cache_, Limits()) {
    hub_.Attach(kRider1, sinks_[0], platform::Principal{"rider-1", platform::Role::kCourier});
    hub_.Attach(kRider2, sinks_[1], platform::Principal{"rider-2", platform::Role::kCourier});
    hub_.Attach(kStaff, sinks_[2], platform::Principal{"ops", platform::Role::kStaff});
    hub_.Attach(kCustomer, sinks_[3], platform::Principal{"customer-1", platform::Role::kCustomer});
  }
  static HubLimits Limits() {
    HubLimits limits;
    limits.message_burst = 1000;
    return limits;
  }

  RecordingSink& Of(SessionId session) { return sinks_[session - 1]; }
  void Say(SessionId session, const std::string& text) { hub_.OnClientText(session, text, now_); }
  void Event(const domain::Event& event) { hub_.OnEvent(event); }
  json Last(SessionId session) { return Of(session).messages.empty() ? json() : Of(session).messages.back(); }
  void ClearAll() {
    for (auto& sink : sinks_) sink.messages.clear();
  }
  static std::string SubscribeOrder(const std::string& id = kOrderId) {
    return R"({"type":"subscribe","orderId":")" + id + "\"}";
  }
  // A confirmed order (open for delivery), placed at `at`.
  void OpenOrder(const std::string& id, std::int64_t at) {
    Event(Placed(id, At(at)));
    Event(Changed(2, Status::kPending, Status::kConfirmed, id, At(at + 1)));
  }

  Clock::time_point now_ = Clock::now();
  OrderCache cache_;
  Hub hub_;
  RecordingSink sinks_[4];
};

TEST_F(HubDeliveryTest, ACourierFollowsAnOpenOrderUntilAnotherCourierTakesIt) {
  Event(Placed());
  Say(kRider1, SubscribeOrder());
  EXPECT_TRUE(Of(kRider1).messages.empty()) << "a pending order is not open: answered like a missing one";
  hub_.Tick(now_ + std::chrono::seconds(4));
  EXPECT_EQ(Last(kRider1)["code"], "not_found");
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Say(kRider1, SubscribeOrder());
  EXPECT_EQ(Last(kRider1)["type"], "snapshot");
  Event(Assigned(3, "rider-2"));
  const json taken = Last(kRider1);
  EXPECT_EQ(taken["version"], 3);
  EXPECT_EQ(taken["event"], "order.courier_assigned");
  EXPECT_EQ(taken["courierId"], "rider-2");
  const auto heard = Of(kRider1).messages.size();
  Event(Changed(4, Status::kConfirmed, Status::kProcessing));
  EXPECT_EQ(Of(kRider1).messages.size(), heard) << "nothing after the order stopped being its business";
  const auto before = Of(kRider1).messages.size();
  Say(kRider1, SubscribeOrder());
  Say(kRider1, kOrderId);  // a lookup follows the same rule
  EXPECT_EQ(Of(kRider1).messages.size(), before) << "nothing at once: another courier's order looks missing";
  Say(kRider2, SubscribeOrder());
  EXPECT_EQ(Last(kRider2)["type"], "snapshot") << "its own delivery";
  hub_.Tick(now_ + std::chrono::seconds(4));
  ASSERT_EQ(Of(kRider1).messages.size(), before + 2);
  EXPECT_EQ(Of(kRider1).messages[before]["code"], "not_found");
  EXPECT_EQ(Of(kRider1).messages[before + 1], (json{{"error", "Order not found"}}));
}

TEST_F(HubDeliveryTest, ACourierWaitingForAnOrderThatTurnsOutNotOpenGetsNotFoundAtTheDeadline) {
  Say(kRider1, SubscribeOrder());
  EXPECT_TRUE(Of(kRider1).messages.empty());
  Event(Placed());
  EXPECT_TRUE(Of(kRider1).messages.empty()) << "the same wait as for an order that does not exist";
  hub_.Tick(now_ + std::chrono::seconds(4));
  EXPECT_EQ(Last(kRider1)["code"], "not_found");
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(Of(kRider1).messages.size(), 1u) << "no subscription was made";
}

TEST_F(HubDeliveryTest, EachRoleMayFollowOnlyTheListsTheTableGivesIt) {
  struct Case {
    SessionId session;
    std::string selector;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {kRider1, R"("courierId":"rider-1")", true},
      {kRider1, R"("courierId":"rider-2")", false},
      {kRider1, R"("openDeliveries":true)", true},
      {kRider1, R"("all":true)", false},
      {kRider1, R"("customerId":"customer-1")", false},
      {kCustomer, R"("courierId":"rider-1")", false},
      {kCustomer, R"("openDeliveries":true)", false},
      {kCustomer, R"("customerId":"customer-1")", true},
      {kStaff, R"("courierId":"rider-1")", true},
      {kStaff, R"("openDeliveries":true)", true},
      {kStaff, R"("all":true)", true},
  };
  for (const auto& test : cases) {
    ClearAll();
    Say(test.session, R"({"type":"subscribe",)" + test.selector + "}");
    const json answer = Last(test.session);
    EXPECT_EQ(answer["type"], test.allowed ? "snapshot" : "error") << test.session << " " << test.selector;
    if (!test.allowed) {
      EXPECT_EQ(answer["code"], "forbidden") << test.session << " " << test.selector;
    }
  }
}

TEST_F(HubDeliveryTest, AuthOffSessionsMayFollowEveryList) {
  RecordingSink anonymous;
  hub_.Attach(9, anonymous);
  for (const char* selector : {R"("courierId":"rider-1")", R"("openDeliveries":true)", R"("all":true)"}) {
    hub_.OnClientText(9, std::string(R"({"type":"subscribe",)") + selector + "}", now_);
    EXPECT_EQ(anonymous.messages.back()["type"], "snapshot") << selector;
  }
}

TEST_F(HubDeliveryTest, CourierSelectorGetsTheAssignmentWithTheOrderEveryUpdateAndTheUnassignment) {
  OpenOrder(kOrderId, 1764000000000);
  Say(kRider1, R"({"type":"subscribe","courierId":"rider-1"})");
  ASSERT_EQ(Of(kRider1).messages.size(), 1u);
  EXPECT_EQ(Of(kRider1).messages[0]["courierId"], "rider-1");
  EXPECT_TRUE(Of(kRider1).messages[0]["orders"].empty());
  Event(Assigned(3, "rider-1"));
  const json assigned = Last(kRider1);
  EXPECT_EQ(assigned["event"], "order.courier_assigned");
  EXPECT_EQ(assigned["courierId"], "rider-1");
  EXPECT_EQ(assigned["order"]["items"].size(), 2u) << "the order enters the list whole";
  Event(Changed(4, Status::kConfirmed, Status::kProcessing));
  EXPECT_EQ(Last(kRider1)["version"], 4);
  EXPECT_FALSE(Last(kRider1).contains("order"));
  Event(Unassigned(5, "rider-1"));
  EXPECT_EQ(Last(kRider1)["event"], "order.courier_unassigned");
  EXPECT_FALSE(Last(kRider1).contains("courierId"));
  Event(Changed(6, Status::kProcessing, Status::kShipped));
  EXPECT_EQ(Last(kRider1)["version"], 5) << "no longer its order";
  Event(Assigned(7, "rider-1"));
  ClearAll();
  Say(kRider1, R"({"type":"subscribe","courierId":"rider-1"})");
  EXPECT_EQ(OrderIds(Of(kRider1).messages), std::vector<std::string>{kOrderId}) << "the snapshot holds it again";
}

TEST_F(HubDeliveryTest, OpenDeliveriesSnapshotIsOldestFirstWithoutTheCouriersOwnDeclines) {
  OpenOrder(IdOf(3), 3000);
  OpenOrder(IdOf(1), 1000);
  OpenOrder(IdOf(2), 2000);
  Event(Declined(3, "rider-1", IdOf(2)));
  Event(Placed(IdOf(4), At(500)));  // pending: not open
  OpenOrder(IdOf(5), 400);
  Event(Assigned(3, "rider-2", IdOf(5)));  // taken
  Say(kRider1, R"({"type":"subscribe","openDeliveries":true})");
  Say(kRider2, R"({"type":"subscribe","openDeliveries":true})");
  Say(kStaff, R"({"type":"subscribe","openDeliveries":true})");
  EXPECT_EQ(OrderIds(Of(kRider1).messages), (std::vector<std::string>{IdOf(1), IdOf(3)}));
  EXPECT_EQ(OrderIds(Of(kRider2).messages), (std::vector<std::string>{IdOf(1), IdOf(2), IdOf(3)}));
  EXPECT_EQ(OrderIds(Of(kStaff).messages), (std::vector<std::string>{IdOf(1), IdOf(2), IdOf(3)}));
  EXPECT_EQ(Of(kStaff).messages[0]["openDeliveries"], true);
  EXPECT_EQ(Of(kStaff).messages[0]["last"], true);
}

TEST_F(HubDeliveryTest, OpenDeliveriesTellWhenAnOrderOpensAndWhenItStopsBeingOpenForEachCourier) {
  Say(kRider1, R"({"type":"subscribe","openDeliveries":true})");
  Say(kRider2, R"({"type":"subscribe","openDeliveries":true})");
  ClearAll();
  Event(Placed());
  EXPECT_TRUE(Of(kRider1).messages.empty()) << "a pending order is not open";
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  for (SessionId rider : {kRider1, kRider2}) {
    EXPECT_EQ(Last(rider)["open"], true);
    EXPECT_EQ(Last(rider)["status"], "confirmed");
    EXPECT_EQ(Last(rider)["order"]["orderId"], kOrderId) << "an order entering the list comes whole";
  }
  Event(Changed(3, Status::kConfirmed, Status::kProcessing));
  EXPECT_EQ(Last(kRider1)["open"], true);
  EXPECT_FALSE(Last(kRider1).contains("order")) << "still in the list: only what changed";
  Event(Declined(4, "rider-1"));
  EXPECT_EQ(Last(kRider1)["open"], false) << "gone from the list of the courier who declined";
  EXPECT_EQ(Last(kRider1)["event"], "order.delivery_declined");
  EXPECT_EQ(Last(kRider2)["open"], true) << "still open for the others";
  const auto rider1_heard = Of(kRider1).messages.size();
  Event(Assigned(5, "rider-2"));
  EXPECT_EQ(Last(kRider2)["open"], false);
  EXPECT_EQ(Last(kRider2)["courierId"], "rider-2");
  Event(Unassigned(6, "rider-2"));
  EXPECT_EQ(Last(kRider2)["open"], true);
  EXPECT_EQ(Last(kRider2)["order"]["orderId"], kOrderId) << "released: back in the list, whole";
  Event(Changed(7, Status::kProcessing, Status::kCancelled));
  EXPECT_EQ(Last(kRider2)["open"], false);
  EXPECT_EQ(Of(kRider1).messages.size(), rider1_heard) << "what it declined never comes back to it";
  Say(kRider2, R"({"type":"unsubscribe","openDeliveries":true})");
  const auto rider2_heard = Of(kRider2).messages.size();
  OpenOrder(IdOf(8), 8000);
  EXPECT_EQ(Of(kRider2).messages.size(), rider2_heard) << "unsubscribed";
}

TEST_F(HubDeliveryTest, MovingPastProcessingTakesAnOrderOutOfTheOpenList) {
  OpenOrder(kOrderId, 1000);
  Say(kStaff, R"({"type":"subscribe","openDeliveries":true})");
  Event(Changed(3, Status::kConfirmed, Status::kShipped));
  EXPECT_EQ(Last(kStaff)["open"], false);
  EXPECT_EQ(Last(kStaff)["status"], "shipped");
  EXPECT_EQ(Last(kStaff)["previousStatus"], "confirmed");
}

TEST_F(HubDeliveryTest, ASessionWithSeveralMatchingSelectorsGetsEachUpdateOnce) {
  OpenOrder(kOrderId, 1000);
  Say(kRider1, R"({"type":"subscribe","openDeliveries":true})");
  Say(kRider1, R"({"type":"subscribe","courierId":"rider-1"})");
  Say(kRider1, SubscribeOrder());
  ClearAll();
  Event(Assigned(3, "rider-1"));
  ASSERT_EQ(Of(kRider1).messages.size(), 1u);
  EXPECT_EQ(Last(kRider1)["open"], false) << "left the open list";
  EXPECT_TRUE(Last(kRider1).contains("order")) << "entered its own list";
}

TEST(OrderCacheDeliveries, IndexesFollowAssignmentAndEviction) {
  OrderCache cache(RoomForPlacements(2));
  domain::ApplyOutcome outcome;
  cache.Apply(Placed(IdOf(1), At(1)), outcome);
  cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, IdOf(1), At(2)), outcome);
  EXPECT_EQ(cache.open_count(), 1u);
  cache.Apply(Assigned(3, "rider-1", IdOf(1)), outcome);
  EXPECT_EQ(cache.open_count(), 0u);
  ASSERT_EQ(cache.NewestOfCourier("rider-1", 10).size(), 1u);
  cache.Apply(Unassigned(4, "rider-1", IdOf(1)), outcome);
  EXPECT_TRUE(cache.NewestOfCourier("rider-1", 10).empty());
  EXPECT_EQ(cache.OldestOpen(10).size(), 1u);
  cache.Apply(Placed(IdOf(2), At(3)), outcome);
  cache.Apply(Placed(IdOf(3), At(4)), outcome);  // evicts the oldest live order, the open one
  EXPECT_EQ(cache.open_count(), 0u);
  EXPECT_TRUE(cache.OldestOpen(10).empty());
}

TEST(OrderCacheDeliveries, KeepsABoundedHistoryAndResumesFromWhatItKeeps) {
  OrderCache cache({.max_events_per_order = 3});
  Hub hub(cache, HubLimits{});
  RecordingSink sink;
  hub.Attach(1, sink);
  const auto now = Clock::now();
  hub.OnEvent(Placed());
  hub.OnEvent(Changed(2, Status::kPending, Status::kConfirmed));
  hub.OnEvent(Assigned(3, "rider-1"));
  hub.OnEvent(Changed(4, Status::kConfirmed, Status::kProcessing));
  hub.OnEvent(Changed(5, Status::kProcessing, Status::kOutForDelivery));
  ASSERT_EQ(cache.Find(kOrderId)->events.size(), 3u);
  hub.OnClientText(1, R"({"type":"subscribe","orderId":")" + std::string(kOrderId) + R"(","sinceVersion":2})", now);
  const auto updates = sink.OfType("update");
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(updates[0]["event"], "order.courier_assigned");
  EXPECT_EQ(updates[0]["courierId"], "rider-1");
  EXPECT_EQ(updates[0]["previousStatus"], "confirmed");
  EXPECT_EQ(updates[2]["status"], "out_for_delivery");
  EXPECT_EQ(updates[2]["courierId"], "rider-1");
  sink.messages.clear();
  hub.OnClientText(1, R"({"type":"subscribe","orderId":")" + std::string(kOrderId) + R"(","sinceVersion":1})", now);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0]["type"], "snapshot") << "version 2 is no longer kept";
  EXPECT_EQ(sink.messages[0]["recovered"], false);
}

}  // namespace
}  // namespace orders::notifier
