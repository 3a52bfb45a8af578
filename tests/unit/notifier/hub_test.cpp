#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/hub.hpp>
#include <orders/testing/builders.hpp>

namespace orders::notifier {
namespace {

using domain::Status;
using nlohmann::json;
using testing::Changed;
using testing::kOrderId;
using testing::Placed;

class RecordingSink : public Sink {
 public:
  void SendText(const std::string& text) override { messages.push_back(json::parse(text)); }
  void Close(std::uint16_t code, const std::string&) override { closed_with = code; }
  std::vector<json> messages;
  std::uint16_t closed_with = 0;
};

class HubTest : public ::testing::Test {
 protected:
  HubTest() : hub_(cache_, HubLimits{}) { hub_.Attach(1, sink_); }

  void Say(const std::string& text) { hub_.OnClientText(1, text, now_); }
  void Event(const domain::Event& event) { hub_.OnEvent(event, now_); }
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
  OrderCache cache_{1000};
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

TEST_F(HubAuthTest, CustomerFollowsOwnOrderButNotAnotherCustomersOrder) {
  Event(Placed());  // belongs to customer-1
  Say(SubscribeOrder());
  EXPECT_EQ(sink_.messages.at(0)["type"], "snapshot");
  hub_.OnClientText(2, SubscribeOrder(), now_);
  ASSERT_EQ(other_sink_.messages.size(), 1u);
  EXPECT_EQ(other_sink_.messages[0]["code"], "forbidden");
  Event(Changed(2, Status::kPending, Status::kConfirmed));
  EXPECT_EQ(other_sink_.messages.size(), 1u) << "no update leaks to the other customer";
  EXPECT_EQ(other_sink_.closed_with, 0) << "the connection stays open";
}

TEST_F(HubAuthTest, ForeignOrderThatAppearsLaterIsStillRefused) {
  hub_.OnClientText(2, SubscribeOrder(), now_);
  hub_.OnClientText(2, kOrderId, now_);
  Event(Placed());
  ASSERT_EQ(other_sink_.messages.size(), 2u);
  EXPECT_EQ(other_sink_.messages[0]["code"], "forbidden");
  EXPECT_EQ(other_sink_.messages[1]["code"], "forbidden");
}

TEST_F(HubAuthTest, CustomerMayNotLookUpAnotherCustomersOrder) {
  Event(Placed());
  hub_.OnClientText(2, kOrderId, now_);
  EXPECT_EQ(other_sink_.messages.at(0)["code"], "forbidden");
  Say(kOrderId);
  EXPECT_EQ(sink_.messages.at(0)["status"], "pending");
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

TEST(OrderCache, EvictsTheOldestOrdersPastItsBound) {
  OrderCache cache(2);
  domain::ApplyOutcome outcome;
  cache.Apply(Placed("00000000-0000-4000-8000-000000000001", testing::At(1)), outcome);
  cache.Apply(Placed("00000000-0000-4000-8000-000000000002", testing::At(2)), outcome);
  cache.Apply(Placed("00000000-0000-4000-8000-000000000003", testing::At(3)), outcome);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("00000000-0000-4000-8000-000000000001"), nullptr);
  EXPECT_TRUE(cache.evicted_any());
  ASSERT_EQ(cache.Newest(5).size(), 2u);
  EXPECT_EQ(cache.Newest(5)[0]->order_id, "00000000-0000-4000-8000-000000000003");
}

TEST(OrderCache, EvictsFinishedOrdersBeforeLiveOnes) {
  OrderCache cache(2);
  domain::ApplyOutcome outcome;
  const std::string live = "00000000-0000-4000-8000-000000000001";
  const std::string done = "00000000-0000-4000-8000-000000000002";
  cache.Apply(Placed(live, testing::At(1)), outcome);
  cache.Apply(Placed(done, testing::At(2)), outcome);
  cache.Apply(Changed(2, Status::kPending, Status::kDelivered, done, testing::At(3)), outcome);
  cache.Apply(Placed("00000000-0000-4000-8000-000000000003", testing::At(4)), outcome);
  EXPECT_NE(cache.Find(live), nullptr) << "the oldest order is still live: it stays";
  EXPECT_EQ(cache.Find(done), nullptr) << "the delivered one goes first";
  EXPECT_NE(cache.Apply(Changed(2, Status::kPending, Status::kConfirmed, live, testing::At(5)), outcome), nullptr)
      << "and keeps getting updates";
}

}  // namespace
}  // namespace orders::notifier
