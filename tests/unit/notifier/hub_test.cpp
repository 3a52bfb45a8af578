#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/domain/validation.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/testing/builders.hpp>

#include "recording_sink.hpp"

namespace orders::notifier {
namespace {

using domain::Status;
using nlohmann::json;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

class HubTest : public ::testing::Test {
 protected:
  HubTest() : hub_(cache_, HubLimits{}) { hub_.Attach(1, sink_); }

  void Say(const std::string& text) { hub_.OnClientText(1, text, now_); }
  void Event(const domain::Event& event) { hub_.OnEvent(event); }
  std::string SubscribeOrder(const std::string& extra = "") {
    return std::string(R"({"type":"subscribe","orderId":")") + kOrderId + "\"" + extra + "}";
  }
  std::vector<std::int64_t> UpdateVersions() {
    std::vector<std::int64_t> versions;
    for (const auto& message : sink_.messages) {
      if (message["type"] == "update") versions.push_back(message["version"]);
    }
    return versions;
  }

  Clock::time_point now_ = Clock::now();
  OrderCache cache_;
  Hub hub_;
  RecordingSink sink_;
};

TEST_F(HubTest, SnapshotThenEveryLaterVersionExactlyOnceInOrder) {
  Event(Placed());
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Say(SubscribeOrder());
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  EXPECT_EQ(sink_.messages[0]["order"]["version"], 2);
  Event(Changed(2, Status::kPending, Status::kConfirmed));  // redelivered: nothing
  Event(Changed(3, Status::kConfirmed, Status::kShipped));
  Event(Changed(4, Status::kShipped, Status::kDelivered));
  EXPECT_EQ(UpdateVersions(), (std::vector<std::int64_t>{3, 4}));
}

TEST_F(HubTest, ResumeWithSinceVersionReplaysWhatWasMissed) {
  Event(Placed());
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Event(Changed(3, Status::kConfirmed, Status::kShipped));
  Say(SubscribeOrder(R"(,"sinceVersion":1)"));
  EXPECT_EQ(UpdateVersions(), (std::vector<std::int64_t>{2, 3}));
  Event(Changed(4, Status::kShipped, Status::kDelivered));
  EXPECT_EQ(UpdateVersions(), (std::vector<std::int64_t>{2, 3, 4}));
}

TEST_F(HubTest, ResumeFromVersionZeroReplaysThePlacementWithTheOrder) {
  Event(Placed());
  Say(SubscribeOrder(R"(,"sinceVersion":0)"));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["version"], 1);
  EXPECT_EQ(sink_.messages[0]["order"]["orderId"], kOrderId);
}

TEST_F(HubTest, ResumeAheadOfTheLogGetsAFreshSnapshotMarkedNotRecovered) {
  Event(Placed());
  Say(SubscribeOrder(R"(,"sinceVersion":9)"));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  EXPECT_EQ(sink_.messages[0]["recovered"], false);
}

TEST_F(HubTest, SubscribingToAnOrderNotYetSeenWaitsForItInsteadOfNotFound) {
  Say(SubscribeOrder());
  EXPECT_TRUE(sink_.messages.empty());
  Event(Placed());
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["type"], "snapshot");
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(UpdateVersions(), std::vector<std::int64_t>{2}) << "the placement is in the snapshot, not repeated";
}

TEST_F(HubTest, UnknownOrderAnswersNotFoundAfterTheWait) {
  Say(SubscribeOrder());
  hub_.Tick(now_ + std::chrono::seconds(4));
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0]["code"], "not_found");
}

TEST_F(HubTest, CustomerAndAllSubscriptionsGetASnapshotListAndEachUpdateOnce) {
  Event(Placed());
  Say(R"({"type":"subscribe","customerId":"customer-1"})");
  Say(R"({"type":"subscribe","all":true})");
  Say(SubscribeOrder());
  ASSERT_EQ(sink_.messages.size(), 3u);
  EXPECT_EQ(sink_.messages[0]["orders"].size(), 1u);
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(UpdateVersions(), std::vector<std::int64_t>{2}) << "three selectors, one delivery";
  Event(Placed("00000000-0000-4000-8000-000000000001"));
  EXPECT_EQ(sink_.messages.back()["orderId"], "00000000-0000-4000-8000-000000000001");
  EXPECT_TRUE(sink_.messages.back()["previousStatus"].is_null());
}

TEST_F(HubTest, ReplayedPlacementCarriesTheOrderAsPlacedNotItsCurrentState) {
  Event(Placed());
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  Say(SubscribeOrder(R"(,"sinceVersion":0)"));
  ASSERT_EQ(sink_.messages.size(), 2u);
  EXPECT_EQ(sink_.messages[0]["order"]["version"], 1);
  EXPECT_EQ(sink_.messages[0]["order"]["status"], "pending");
  EXPECT_EQ(sink_.messages[1]["version"], 2);
}

TEST_F(HubTest, UnsubscribeWithdrawsASubscriptionStillWaitingForItsOrder) {
  Say(SubscribeOrder());
  Say(std::string(R"({"type":"unsubscribe","orderId":")") + kOrderId + "\"}");
  Event(Placed());
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_TRUE(sink_.messages.empty());
}

TEST_F(HubTest, UnsubscribeStopsUpdates) {
  Event(Placed());
  Say(SubscribeOrder());
  Say(std::string(R"({"type":"unsubscribe","orderId":")") + kOrderId + "\"}");
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_TRUE(UpdateVersions().empty());
}

TEST_F(HubTest, BareIdLookupAnswersOnceWithStatus) {
  Event(Placed());
  Say(kOrderId);
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0], (json{{"orderId", kOrderId}, {"status", "pending"}}));
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(sink_.messages.size(), 1u);
}

TEST_F(HubTest, BadMessageGetsAnErrorAndTheSessionStays) {
  Say("{nope");
  Say(R"({"type":"ping"})");
  ASSERT_EQ(sink_.messages.size(), 2u);
  EXPECT_EQ(sink_.messages[0]["code"], "bad_request");
  EXPECT_EQ(sink_.messages[1]["type"], "pong");
  EXPECT_EQ(sink_.closed_with, 0);
}

TEST_F(HubTest, FloodIsRateLimitedThenCut) {
  for (int i = 0; i < 40; ++i) Say(R"({"type":"ping"})");
  Say(R"({"type":"ping"})");
  EXPECT_EQ(sink_.messages.back()["code"], "rate_limited");
  for (int i = 0; i < 200; ++i) Say(R"({"type":"ping"})");
  EXPECT_EQ(sink_.closed_with, 1008);
}

TEST_F(HubTest, SubscriptionCountIsBounded) {
  for (int i = 0; i < 50; ++i) {
    hub_.OnClientText(1, R"({"type":"subscribe","customerId":"c)" + std::to_string(i) + "\"}",
                      now_ + std::chrono::seconds(i));
  }
  hub_.OnClientText(1, R"({"type":"subscribe","customerId":"one-more"})", now_ + std::chrono::seconds(60));
  EXPECT_EQ(sink_.messages.back()["code"], "rate_limited");
}

class HubAuthTest : public HubTest {
 protected:
  HubAuthTest() {
    hub_.Detach(1);
    hub_.Attach(1, sink_, platform::Principal{"customer-1", platform::Role::kCustomer});
    hub_.Attach(2, other_sink_, platform::Principal{"customer-2", platform::Role::kCustomer});
    hub_.Attach(3, staff_sink_, platform::Principal{"ops", platform::Role::kStaff});
  }
  RecordingSink other_sink_;
  RecordingSink staff_sink_;
};

// What a session hears at once and then after the not-found wait.
using Heard = std::pair<std::vector<json>, std::vector<json>>;
Heard HeardOver(Hub& hub, SessionId session, RecordingSink& sink, const std::string& text, Clock::time_point now) {
  sink.messages.clear();
  hub.OnClientText(session, text, now);
  Heard heard{sink.messages, {}};
  sink.messages.clear();
  hub.Tick(now + std::chrono::seconds(4));
  heard.second = sink.messages;
  return heard;
}

TEST_F(HubAuthTest, AnotherCustomersOrderIsNotFoundExactlyLikeAMissingOrder) {
  Event(Placed());  // belongs to customer-1
  Say(SubscribeOrder());
  EXPECT_EQ(sink_.messages.at(0)["type"], "snapshot");
  const std::string missing = "00000000-0000-4000-8000-00000000dead";
  const auto foreign_heard = HeardOver(hub_, 2, other_sink_, SubscribeOrder(), now_);
  const auto missing_heard =
      HeardOver(hub_, 2, other_sink_, R"({"type":"subscribe","orderId":")" + missing + "\"}", now_);
  EXPECT_TRUE(foreign_heard.first.empty()) << "no answer before a missing order would get one";
  ASSERT_EQ(foreign_heard.second.size(), 1u);
  EXPECT_EQ(foreign_heard.second[0]["type"], "error");
  EXPECT_EQ(foreign_heard.second[0]["code"], "not_found");
  EXPECT_EQ(foreign_heard, missing_heard);
  other_sink_.messages.clear();
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_TRUE(other_sink_.messages.empty()) << "no update leaks to the other customer";
  EXPECT_EQ(other_sink_.closed_with, 0) << "the connection stays open";
}

TEST_F(HubAuthTest, BareIdLookupOfAnotherCustomersOrderIsNotFoundExactlyLikeAMissingOrder) {
  Event(Placed());
  const auto foreign_heard = HeardOver(hub_, 2, other_sink_, kOrderId, now_);
  const auto missing_heard = HeardOver(hub_, 2, other_sink_, "00000000-0000-4000-8000-00000000dead", now_);
  EXPECT_TRUE(foreign_heard.first.empty());
  ASSERT_EQ(foreign_heard.second.size(), 1u);
  EXPECT_EQ(foreign_heard.second[0], (json{{"error", "Order not found"}}));
  EXPECT_EQ(foreign_heard, missing_heard);
  Say(kOrderId);
  EXPECT_EQ(sink_.messages.at(0)["status"], "pending");
}

TEST_F(HubAuthTest, ForeignOrderThatAppearsWhileWaitingIsStillNotFound) {
  hub_.OnClientText(2, SubscribeOrder(), now_);
  hub_.OnClientText(2, kOrderId, now_);
  Event(Placed());
  EXPECT_TRUE(other_sink_.messages.empty()) << "no answer before a missing order would get one";
  hub_.Tick(now_ + std::chrono::seconds(4));
  ASSERT_EQ(other_sink_.messages.size(), 2u);
  EXPECT_EQ(other_sink_.messages[0]["code"], "not_found");
  EXPECT_EQ(other_sink_.messages[1], (json{{"error", "Order not found"}}));
}

TEST_F(HubTest, SessionIsClosedWithPolicyViolationWhenItsTokenExpires) {
  const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(2);
  RecordingSink expiring;
  hub_.Attach(7, expiring, platform::Principal{"ops", platform::Role::kStaff, expires});
  hub_.Tick(now_, expires - std::chrono::milliseconds(1));
  EXPECT_EQ(expiring.closes, 0);
  hub_.Tick(now_, expires);
  EXPECT_EQ(expiring.closed_with, 1008);
  hub_.Tick(now_, expires + std::chrono::seconds(1));
  EXPECT_EQ(expiring.closes, 1) << "closed once";
  EXPECT_EQ(sink_.closes, 0) << "a session without expiry stays";
}

TEST_F(HubTest, ADetachedSessionIsNotClosedWhenItsTokenWouldHaveExpired) {
  const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(2);
  RecordingSink expiring;
  hub_.Attach(7, expiring, platform::Principal{"ops", platform::Role::kStaff, expires});
  hub_.Detach(7);
  hub_.Tick(now_, expires + std::chrono::seconds(1));
  EXPECT_EQ(expiring.closes, 0);
}

TEST(HubLimitsTest, WithoutAMessageRateAFloodIsAnswered) {
  OrderCache cache;
  HubLimits limits;
  limits.messages_per_second = 0;  // RATE_LIMIT=off
  Hub hub(cache, limits);
  RecordingSink sink;
  hub.Attach(1, sink);
  const auto now = Clock::now();
  for (int i = 0; i < 500; ++i) hub.OnClientText(1, R"({"type":"ping"})", now);
  ASSERT_EQ(sink.messages.size(), 500u);
  EXPECT_EQ(sink.messages.back()["type"], "pong");
  EXPECT_EQ(sink.closed_with, 0);
}

TEST(HubLimitsTest, SubscriptionsWaitingForTheirOrderCountAgainstTheCap) {
  OrderCache cache;
  HubLimits limits;
  limits.message_burst = 1000;  // this test is about the subscription cap, not the message rate
  Hub hub(cache, limits);
  RecordingSink sink;
  hub.Attach(1, sink);
  const auto now = Clock::now();
  auto id_of = [](int i) {
    char id[37];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
    return std::string(id);
  };
  auto subscribe = [&](int i) { hub.OnClientText(1, R"({"type":"subscribe","orderId":")" + id_of(i) + "\"}", now); };
  for (int i = 0; i < 50; ++i) subscribe(i);
  EXPECT_TRUE(sink.messages.empty()) << "all 50 are waiting for their orders";
  subscribe(50);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0]["code"], "rate_limited");
  subscribe(7);
  EXPECT_EQ(sink.messages.size(), 1u) << "subscribing again to a waiting order neither counts nor answers twice";
  hub.OnClientText(1, R"({"type":"unsubscribe","orderId":")" + id_of(3) + "\"}", now);
  subscribe(50);
  EXPECT_EQ(sink.messages.size(), 1u) << "an unsubscribe frees a place";
  hub.Tick(now + std::chrono::seconds(4));
  EXPECT_EQ(sink.messages.size(), 51u) << "every waiting subscription ends in not_found";
  subscribe(51);
  EXPECT_EQ(sink.messages.size(), 51u) << "a wait that ran out frees its place";
}

domain::OrderPlaced MaximalOrder(int i) {
  char id[37];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
  auto placed = Placed(id, testing::At(1764000000000 + i));
  placed.customer_id = std::string(domain::kMaxIdLength, 'c');
  placed.items.clear();
  for (std::size_t item = 0; item < domain::kMaxItems; ++item) {
    std::string product = std::to_string(item);
    product.resize(domain::kMaxIdLength, 'p');
    placed.items.push_back({product, domain::kMaxQuantity, domain::kMaxUnitPriceCents});
  }
  placed.total_cents = static_cast<std::int64_t>(domain::kMaxItems) * domain::kMaxQuantity * domain::kMaxUnitPriceCents;
  return placed;
}

TEST_F(HubTest, ListSnapshotsOfMaximalOrdersComeInPagesBelowTheLimit) {
  for (int i = 0; i < 100; ++i) Event(MaximalOrder(i));
  for (const std::string& selector :
       {std::string(R"("all":true)"), R"("customerId":")" + std::string(64, 'c') + "\""}) {
    sink_.messages.clear();
    sink_.sizes.clear();
    Say(R"({"type":"subscribe",)" + selector + "}");
    ASSERT_GT(sink_.messages.size(), 1u) << "100 maximal orders do not fit one page";
    std::set<std::string> ids;
    std::size_t total = 0;
    for (std::size_t page = 0; page < sink_.messages.size(); ++page) {
      const auto& message = sink_.messages[page];
      EXPECT_EQ(message["type"], "snapshot");
      EXPECT_EQ(message["page"], page);
      EXPECT_EQ(message["last"], page + 1 == sink_.messages.size());
      EXPECT_LE(sink_.sizes[page], HubLimits{}.snapshot_paging.page_bytes);
      EXPECT_FALSE(message.contains("truncated"));
      for (const auto& order : message["orders"]) ids.insert(order["orderId"].get<std::string>());
      total += sink_.sizes[page];
    }
    EXPECT_EQ(ids.size(), 100u);
    EXPECT_GT(total, std::size_t{1} << 20) << "the whole snapshot is over the 1 MiB queue cap";
    EXPECT_EQ(sink_.messages.front()["orders"][0]["orderId"], MaximalOrder(99).order_id) << "newest first";
  }
}

TEST(HubSnapshotTest, ACustomerListPastTwoMebibytesLeavesOutTheOldestAndSaysSo) {
  OrderCache cache;
  Hub hub(cache, HubLimits{});
  RecordingSink sink;
  hub.Attach(1, sink);
  for (int i = 0; i < 1000; ++i) hub.OnEvent(MaximalOrder(i));
  hub.OnClientText(1, R"({"type":"subscribe","customerId":")" + std::string(64, 'c') + "\"}", Clock::now());
  std::size_t total = 0;
  std::size_t orders = 0;
  for (std::size_t page = 0; page < sink.messages.size(); ++page) {
    total += sink.sizes[page];
    orders += sink.messages[page]["orders"].size();
  }
  EXPECT_LE(total, HubLimits{}.snapshot_paging.total_bytes);
  EXPECT_GT(orders, 100u);
  EXPECT_LT(orders, 1000u);
  EXPECT_EQ(sink.messages.back()["last"], true);
  EXPECT_EQ(sink.messages.back()["truncated"], true);
  EXPECT_EQ(sink.messages.front()["orders"][0]["orderId"], MaximalOrder(999).order_id) << "the newest are kept";
}

TEST_F(HubTest, AnEmptyListSnapshotIsOneLastPage) {
  Say(R"({"type":"subscribe","all":true})");
  ASSERT_EQ(sink_.messages.size(), 1u);
  EXPECT_EQ(sink_.messages[0],
            (json{{"type", "snapshot"}, {"all", true}, {"page", 0}, {"last", true}, {"orders", json::array()}}));
}

TEST_F(HubAuthTest, CustomerSelectorIsLimitedToTheTokensSubject) {
  Event(Placed());
  Say(R"({"type":"subscribe","customerId":"customer-1"})");
  EXPECT_EQ(sink_.messages.at(0)["type"], "snapshot");
  Say(R"({"type":"subscribe","customerId":"customer-2"})");
  EXPECT_EQ(sink_.messages.at(1)["code"], "forbidden");
}

TEST_F(HubAuthTest, OnlyStaffMayFollowEveryOrder) {
  Event(Placed());
  Say(R"({"type":"subscribe","all":true})");
  EXPECT_EQ(sink_.messages.at(0)["code"], "forbidden");
  hub_.OnClientText(3, R"({"type":"subscribe","all":true})", now_);
  EXPECT_EQ(staff_sink_.messages.at(0)["type"], "snapshot");
  hub_.OnClientText(3, SubscribeOrder(), now_);
  EXPECT_EQ(staff_sink_.messages.at(1)["type"], "snapshot");
}

}  // namespace
}  // namespace orders::notifier
