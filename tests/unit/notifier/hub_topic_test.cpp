// The hub's topic subscriptions: which events a pattern selects, once per
// event and session, unsubscribe, the subscription cap, bad patterns, and what
// each role may hear of order and inventory events.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/testing/builders.hpp>

#include "recording_sink.hpp"

namespace orders::notifier {
namespace {

using domain::Status;
using nlohmann::json;
using testing::At;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

constexpr const char* kOtherOrderId = "00000000-0000-4000-8000-000000000002";

std::string Subscribe(const std::string& topic) { return json{{"type", "subscribe"}, {"topic", topic}}.dump(); }
std::string Unsubscribe(const std::string& topic) { return json{{"type", "unsubscribe"}, {"topic", topic}}.dump(); }

codec::EventMetadata Meta(const std::string& event_id) { return {event_id, "/test", {}, {}, {}}; }

domain::StockSet StockSet(std::int64_t version, std::int64_t on_hand, const std::string& product = "sku-1") {
  return {product, version, At(1764000002000), on_hand};
}
domain::StockReserved Reserved(std::int64_t version, const std::string& order_id,
                               const std::string& product = "sku-1") {
  return {product, version, At(1764000003000), order_id, 2};
}

class HubTopicTest : public ::testing::Test {
 protected:
  enum : SessionId { kStaff = 1, kCustomer = 2, kOtherCustomer = 3, kRider = 4 };

  HubTopicTest() : hub_(cache_, Limits()) {
    hub_.Attach(kStaff, sinks_[0], platform::Principal{"ops", platform::Role::kStaff});
    hub_.Attach(kCustomer, sinks_[1], platform::Principal{"customer-1", platform::Role::kCustomer});
    hub_.Attach(kOtherCustomer, sinks_[2], platform::Principal{"customer-2", platform::Role::kCustomer});
    hub_.Attach(kRider, sinks_[3], platform::Principal{"rider-1", platform::Role::kCourier});
  }
  static HubLimits Limits() {
    HubLimits limits;
    limits.message_burst = 1000;
    limits.max_subscriptions = 5;
    return limits;
  }

  RecordingSink& Of(SessionId session) { return sinks_[session - 1]; }
  void Say(SessionId session, const std::string& text) { hub_.OnClientText(session, text, now_); }
  void Event(const domain::Event& event) { hub_.OnEvent(event, Meta(NextId())); }
  void Stock(const domain::StockEvent& event) { hub_.OnStockEvent(event, Meta(NextId())); }
  std::string NextId() { return "event-" + std::to_string(++events_); }
  // The topics of the `message`s a session got, in order.
  std::vector<std::string> Topics(SessionId session) {
    std::vector<std::string> topics;
    for (const auto& message : Of(session).OfType("message")) topics.push_back(message["topic"]);
    return topics;
  }

  Clock::time_point now_ = Clock::now();
  OrderCache cache_;
  Hub hub_;
  RecordingSink sinks_[4];
  int events_ = 0;
};

TEST_F(HubTopicTest, AnEventNameSelectsOnlyThatEventWithItsIdAndPayload) {
  Say(kStaff, Subscribe("order.status_changed"));
  EXPECT_TRUE(Of(kStaff).messages.empty()) << "no snapshot for a topic";
  Event(Placed());
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  const auto messages = Of(kStaff).OfType("message");
  ASSERT_EQ(messages.size(), 1u);
  const auto changed = Changed(2, Status::kPending, Status::kConfirmed);
  EXPECT_EQ(messages[0], (json{{"type", "message"},
                               {"topic", "order.status_changed"},
                               {"id", "event-2"},
                               {"payload", codec::EventPayloadToJson(domain::Event(changed))}}));
  EXPECT_EQ(messages[0]["payload"]["to"], "confirmed");
}

TEST_F(HubTopicTest, StreamWildcardsAndStarSelectTheirStreamsInLogOrder) {
  Say(kStaff, Subscribe("order.*"));
  Say(kRider, Subscribe("*"));
  Event(Placed());
  Stock(StockSet(1, 10));
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Stock(Reserved(2, kOrderId));
  EXPECT_EQ(Topics(kStaff), (std::vector<std::string>{"order.placed", "order.status_changed"}));
  Say(kCustomer, Subscribe("inventory.*"));
  Stock(StockSet(3, 12));
  EXPECT_EQ(Topics(kCustomer), (std::vector<std::string>{"inventory.stock_set"}));
  // A courier: stock levels, and an order (with its reservation) once it is open for delivery,
  // not while it is pending.
  EXPECT_EQ(Topics(kRider), (std::vector<std::string>{"inventory.stock_set", "order.status_changed",
                                                      "inventory.stock_reserved", "inventory.stock_set"}));
}

TEST_F(HubTopicTest, AnEventMatchingSeveralPatternsOfASessionComesOnce) {
  for (const char* pattern : {"order.placed", "order.*", "*"}) Say(kStaff, Subscribe(pattern));
  Event(Placed());
  Event(Placed());  // redelivered: already told
  Stock(StockSet(1, 10));
  Stock(StockSet(1, 10));  // redelivered
  EXPECT_EQ(Topics(kStaff), (std::vector<std::string>{"order.placed", "inventory.stock_set"}));
}

TEST_F(HubTopicTest, ATopicAndAnOrderSelectorEachGetTheirOwnMessage) {
  Event(Placed());
  Say(kStaff, R"({"type":"subscribe","all":true})");
  Say(kStaff, Subscribe("order.*"));
  Of(kStaff).messages.clear();
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(Of(kStaff).OfType("update").size(), 1u);
  EXPECT_EQ(Of(kStaff).OfType("message").size(), 1u);
}

TEST_F(HubTopicTest, UnsubscribeStopsOnlyThatPattern) {
  Say(kStaff, Subscribe("order.*"));
  Say(kStaff, Subscribe("order.status_changed"));
  Event(Placed());
  Say(kStaff, Unsubscribe("order.*"));
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Event(domain::PaymentAuthorized{kOrderId, 3, At(1764000002000), "pay-1", 3000});
  EXPECT_EQ(Topics(kStaff), (std::vector<std::string>{"order.placed", "order.status_changed"}));
  Say(kStaff, Unsubscribe("order.status_changed"));
  Event(Changed(4, Status::kConfirmed, Status::kShipped));
  EXPECT_EQ(Topics(kStaff).size(), 2u);
  hub_.Detach(kStaff);
  Event(Changed(5, Status::kShipped, Status::kDelivered));  // a detached session is gone from the topics
}

TEST_F(HubTopicTest, PatternsThatAreNotEventNamesAreBadRequests) {
  for (const json& topic : {json("order.shipped"), json("order"), json("order.*.v1"), json("orders.*"), json("**"),
                            json(""), json(7), json(std::string(100, 'x')), json(nullptr)}) {
    Of(kStaff).messages.clear();
    Say(kStaff, json{{"type", "subscribe"}, {"topic", topic}}.dump());
    ASSERT_EQ(Of(kStaff).messages.size(), 1u) << topic;
    EXPECT_EQ(Of(kStaff).messages[0]["type"], "error") << topic;
    EXPECT_EQ(Of(kStaff).messages[0]["code"], "bad_request") << topic;
  }
  Event(Placed());
  EXPECT_TRUE(Of(kStaff).OfType("message").empty()) << "no pattern was taken";
}

TEST_F(HubTopicTest, TopicsCountAgainstTheSubscriptionCap) {
  for (const char* pattern : {"order.*", "inventory.*", "*", "order.placed"}) Say(kStaff, Subscribe(pattern));
  Say(kStaff, R"({"type":"subscribe","all":true})");  // the fifth: the cap
  Of(kStaff).messages.clear();
  Say(kStaff, Subscribe("order.status_changed"));
  ASSERT_EQ(Of(kStaff).messages.size(), 1u);
  EXPECT_EQ(Of(kStaff).messages[0]["code"], "rate_limited");
  Say(kStaff, Subscribe("order.*"));  // one it has: not a new subscription
  EXPECT_EQ(Of(kStaff).messages.size(), 1u);
  Say(kStaff, Unsubscribe("order.placed"));
  Say(kStaff, Subscribe("order.status_changed"));
  EXPECT_EQ(Of(kStaff).messages.size(), 1u) << "room again after an unsubscribe";
}

TEST_F(HubTopicTest, ACustomerHearsOnlyOfItsOwnOrders) {
  Say(kCustomer, Subscribe("order.*"));
  Say(kOtherCustomer, Subscribe("order.*"));
  Event(Placed());  // customer-1's
  auto foreign = Placed(kOtherOrderId);
  foreign.customer_id = "customer-2";
  Event(foreign);
  Event(Changed(2, Status::kPending, Status::kConfirmed, kOtherOrderId));
  const auto own = Of(kCustomer).OfType("message");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0]["payload"]["orderId"], kOrderId);
  const auto other = Of(kOtherCustomer).OfType("message");
  ASSERT_EQ(other.size(), 2u);
  for (const auto& message : other) EXPECT_EQ(message["payload"]["orderId"], kOtherOrderId);
}

TEST_F(HubTopicTest, ACourierHearsOfOrdersItMaySeeAsUpdatesDo) {
  Say(kRider, Subscribe("order.*"));
  Event(Placed());                                          // pending: not open, not its own
  Event(Changed(2, Status::kPending, Status::kConfirmed));  // open
  Event(domain::CourierAssigned{kOrderId, 3, At(1764000003000), "rider-2", domain::AssignedBy::kStaff});  // taken
  Event(Changed(4, Status::kConfirmed, Status::kOutForDelivery));  // another courier's business
  EXPECT_EQ(Topics(kRider), (std::vector<std::string>{"order.status_changed", "order.courier_assigned"}));
}

TEST_F(HubTopicTest, StaffHearEverything) {
  Say(kStaff, Subscribe("*"));
  Event(Placed());
  auto foreign = Placed(kOtherOrderId);
  foreign.customer_id = "customer-2";
  Event(foreign);
  Stock(Reserved(1, kOtherOrderId));
  Stock(domain::ReservationRefused{"sku-2", 1, At(1764000004000), "00000000-0000-4000-8000-00000000ffff", 5, 0});
  EXPECT_EQ(Topics(kStaff), (std::vector<std::string>{"order.placed", "order.placed", "inventory.stock_reserved",
                                                      "inventory.reservation_refused"}));
}

TEST_F(HubTopicTest, AReservationReachesOnlyThoseWhoMaySeeItsOrder) {
  for (SessionId session : {kCustomer, kOtherCustomer, kRider}) Say(session, Subscribe("inventory.*"));
  Event(Placed());  // customer-1's, pending
  Stock(StockSet(1, 10));
  Stock(Reserved(2, kOrderId));
  Stock(domain::StockReleased{"sku-1", 3, At(1764000005000), kOrderId, 2});
  // An order the notifier has not seen: nobody but staff and services.
  Stock(Reserved(4, kOtherOrderId));
  EXPECT_EQ(Topics(kCustomer),
            (std::vector<std::string>{"inventory.stock_set", "inventory.stock_reserved", "inventory.stock_released"}));
  EXPECT_EQ(Topics(kOtherCustomer), (std::vector<std::string>{"inventory.stock_set"}));
  EXPECT_EQ(Topics(kRider), (std::vector<std::string>{"inventory.stock_set"}));
  for (const auto& message : Of(kOtherCustomer).messages) {
    EXPECT_EQ(message.dump().find(kOrderId), std::string::npos) << "nothing of another customer's order";
  }
  // Once the order is the courier's, its stock events are too.
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Event(domain::CourierAssigned{kOrderId, 3, At(1764000006000), "rider-1", domain::AssignedBy::kCourier});
  Stock(domain::StockCommitted{"sku-1", 5, At(1764000007000), kOrderId, 2});
  EXPECT_EQ(Topics(kRider).back(), "inventory.stock_committed");
}

// The inventory and order streams are read by separate consumers, so the workflow's reservation
// may be read before the placement that caused it.
TEST_F(HubTopicTest, AReservationReadBeforeItsOrdersPlacementReachesTheCustomerOnceThePlacementIsRead) {
  for (SessionId session : {kStaff, kCustomer, kOtherCustomer}) Say(session, Subscribe("*"));
  Stock(Reserved(2, kOrderId));
  EXPECT_EQ(Topics(kStaff), (std::vector<std::string>{"inventory.stock_reserved"})) << "staff at once";
  EXPECT_TRUE(Topics(kCustomer).empty()) << "the order is unknown yet";
  Event(Placed());  // customer-1's
  EXPECT_EQ(Topics(kCustomer), (std::vector<std::string>{"order.placed", "inventory.stock_reserved"}));
  EXPECT_EQ(Of(kCustomer).OfType("message")[1]["id"], "event-1") << "the reservation's own id";
  EXPECT_EQ(Topics(kStaff), (std::vector<std::string>{"inventory.stock_reserved", "order.placed"})) << "not twice";
  EXPECT_TRUE(Topics(kOtherCustomer).empty());
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(Topics(kCustomer).size(), 3u) << "released once";
}

TEST_F(HubTopicTest, HeldReservationsAreBounded) {
  HubLimits limits = Limits();
  limits.max_held_stock_events = 2;
  Hub hub(cache_, limits);
  RecordingSink sink;
  hub.Attach(9, sink, platform::Principal{"customer-1", platform::Role::kCustomer});
  hub.OnClientText(9, Subscribe("inventory.*"), now_);
  hub.OnStockEvent(Reserved(2, kOrderId, "sku-1"), Meta("a"));
  hub.OnStockEvent(Reserved(2, kOtherOrderId, "sku-2"), Meta("b"));
  hub.OnStockEvent(Reserved(2, kOtherOrderId, "sku-3"), Meta("c"));  // past the bound: the held ones are dropped
  hub.OnEvent(Placed());
  EXPECT_TRUE(sink.OfType("message").empty()) << "dropped, not delivered late";
}

TEST_F(HubTopicTest, InventoryEventsNeverTouchTheOrderCache) {
  Say(kStaff, Subscribe("inventory.*"));
  for (int product = 0; product < 50; ++product) {
    Stock(StockSet(1, 10, "sku-" + std::to_string(product)));
    Stock(Reserved(2, kOtherOrderId, "sku-" + std::to_string(product)));
  }
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(Of(kStaff).OfType("message").size(), 100u);
}

TEST_F(HubTopicTest, TheMemoryOfStockVersionsIsBoundedAndStillDropsRedeliveries) {
  HubLimits limits = Limits();
  limits.max_tracked_products = 3;
  Hub hub(cache_, limits);
  RecordingSink sink;
  hub.Attach(9, sink, platform::Principal{"ops", platform::Role::kStaff});
  hub.OnClientText(9, Subscribe("inventory.*"), now_);
  for (int product = 0; product < 10; ++product) {
    hub.OnStockEvent(StockSet(1, 10, "sku-" + std::to_string(product)), Meta("a"));
    hub.OnStockEvent(StockSet(1, 10, "sku-" + std::to_string(product)), Meta("a"));  // redelivered at once
  }
  EXPECT_EQ(sink.OfType("message").size(), 10u);
}

}  // namespace
}  // namespace orders::notifier
