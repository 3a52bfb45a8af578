// What GET /events accepts: its query becomes the WebSocket's subscribe message.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/protocol.hpp>
#include <orders/notifier/sse_request.hpp>
#include <orders/notifier/sse_settings.hpp>

namespace orders::notifier {
namespace {

using nlohmann::json;

constexpr const char* kOrder = "0b5e3c1a-8a3e-4d2b-9f4e-2c1d5e6f7a8b";
constexpr const char* kOther = "1b5e3c1a-8a3e-4d2b-9f4e-2c1d5e6f7a8b";

json Subscribe(const std::map<std::string, std::string>& query,
               std::optional<std::string_view> last_event_id = std::nullopt) {
  const auto request = ParseEventsRequest(query, last_event_id);
  EXPECT_EQ(request.error, "");
  return json::parse(request.subscribe_message, nullptr, false);
}

std::string Refusal(const std::map<std::string, std::string>& query,
                    std::optional<std::string_view> last_event_id = std::nullopt) {
  const auto request = ParseEventsRequest(query, last_event_id);
  EXPECT_EQ(request.subscribe_message, "");
  return request.error;
}

TEST(SseRequestTest, EachSelectorBecomesTheSubscribeMessageTheWebSocketSends) {
  EXPECT_EQ(Subscribe({{"orderId", kOrder}}), (json{{"type", "subscribe"}, {"orderId", kOrder}}));
  EXPECT_EQ(Subscribe({{"customerId", "customer-1"}}), (json{{"type", "subscribe"}, {"customerId", "customer-1"}}));
  EXPECT_EQ(Subscribe({{"courierId", "courier-1"}}), (json{{"type", "subscribe"}, {"courierId", "courier-1"}}));
  EXPECT_EQ(Subscribe({{"all", "true"}}), (json{{"type", "subscribe"}, {"all", true}}));
  EXPECT_EQ(Subscribe({{"openDeliveries", "true"}}), (json{{"type", "subscribe"}, {"openDeliveries", true}}));
  EXPECT_EQ(Subscribe({{"topic", "order.status_changed"}}),
            (json{{"type", "subscribe"}, {"topic", "order.status_changed"}}));
  EXPECT_EQ(Subscribe({{"topic", "inventory.*"}}), (json{{"type", "subscribe"}, {"topic", "inventory.*"}}));
  EXPECT_EQ(Subscribe({{"all", "true"}, {"access_token", "x.y.z"}}), (json{{"type", "subscribe"}, {"all", true}}))
      << "the token is checked elsewhere and never copied into the message";
}

TEST(SseRequestTest, ExactlyOneSelectorIsRequired) {
  EXPECT_NE(Refusal({}).find("exactly one"), std::string::npos);
  EXPECT_NE(Refusal({{"access_token", "x"}}).find("exactly one"), std::string::npos);
  EXPECT_NE(Refusal({{"orderId", kOrder}, {"all", "true"}}).find("exactly one"), std::string::npos);
  EXPECT_NE(Refusal({{"customerId", "a"}, {"courierId", "b"}}).find("exactly one"), std::string::npos);
}

TEST(SseRequestTest, UnknownParametersAreRefusedWithoutEchoingThem) {
  const auto error = Refusal({{"all", "true"}, {"<script>", "1"}});
  EXPECT_NE(error.find("Unknown query parameter"), std::string::npos);
  EXPECT_EQ(error.find("<script>"), std::string::npos);
  EXPECT_NE(Refusal({{"orderid", kOrder}}).find("Unknown"), std::string::npos) << "names are case-sensitive";
  EXPECT_NE(Refusal({{"all", "true"}, {"sinceVersion", "3"}}).find("Unknown"), std::string::npos);
}

TEST(SseRequestTest, SelectorValuesAreCheckedLikeTheWebSocketsOnes) {
  EXPECT_NE(Refusal({{"orderId", "not-a-uuid"}}), "");
  EXPECT_NE(Refusal({{"orderId", "0B5E3C1A-8A3E-4D2B-9F4E-2C1D5E6F7A8B"}}), "") << "upper case";
  EXPECT_NE(Refusal({{"customerId", ""}}), "");
  EXPECT_NE(Refusal({{"customerId", std::string(65, 'c')}}), "");
  EXPECT_NE(Refusal({{"courierId", "a b"}}), "");
  EXPECT_NE(Refusal({{"all", "1"}}), "");
  EXPECT_NE(Refusal({{"openDeliveries", "false"}}), "");
  EXPECT_NE(Refusal({{"topic", "order.nothing_like_this"}}), "");
  EXPECT_NE(Refusal({{"topic", ""}}), "");
}

TEST(SseRequestTest, LastEventIdOfTheOrderResumesAfterThatVersion) {
  const std::string id = std::string(kOrder) + ":7";
  EXPECT_EQ(Subscribe({{"orderId", kOrder}}, id),
            (json{{"type", "subscribe"}, {"orderId", kOrder}, {"sinceVersion", 7}}));
  EXPECT_EQ(Subscribe({{"orderId", kOrder}, {"lastEventId", id}}),
            (json{{"type", "subscribe"}, {"orderId", kOrder}, {"sinceVersion", 7}}));
  EXPECT_EQ(Subscribe({{"orderId", kOrder}, {"lastEventId", ""}}), (json{{"type", "subscribe"}, {"orderId", kOrder}}))
      << "an empty id is no id";
}

TEST(SseRequestTest, TheHeaderWinsOverTheQueryBecauseEventSourceReconnectsWithTheOriginalUrl) {
  EXPECT_EQ(Subscribe({{"orderId", kOrder}, {"lastEventId", std::string(kOrder) + ":2"}}, std::string(kOrder) + ":9"),
            (json{{"type", "subscribe"}, {"orderId", kOrder}, {"sinceVersion", 9}}));
}

TEST(SseRequestTest, AMalformedOrForeignLastEventIdOnAnOrderStreamIsRefused) {
  for (const std::string& bad : {std::string(kOrder), std::string(kOrder) + ":", std::string(kOrder) + ":-1",
                                 std::string(kOrder) + ":1x", std::string(kOrder) + ":99999999999999999999",
                                 std::string(kOther) + ":3", std::string("garbage"), std::string(kOrder) + ": 3"}) {
    EXPECT_NE(Refusal({{"orderId", kOrder}}, bad), "") << bad;
  }
  EXPECT_NE(Refusal({{"orderId", kOrder}, {"lastEventId", std::string(kOther) + ":3"}}), "");
}

TEST(SseRequestTest, ListAndTopicStreamsStartAfreshWhateverPlausibleIdTheyResumeFrom) {
  EXPECT_EQ(Subscribe({{"all", "true"}}, std::string(kOrder) + ":4"), (json{{"type", "subscribe"}, {"all", true}}));
  EXPECT_EQ(Subscribe({{"topic", "order.*"}}, "5d0c1f9e-aaaa-4bbb-8ccc-000000000001"),
            (json{{"type", "subscribe"}, {"topic", "order.*"}}));
  EXPECT_NE(Refusal({{"all", "true"}}, "with space"), "");
  EXPECT_NE(Refusal({{"all", "true"}}, std::string(kMaxLastEventIdBytes + 1, 'a')), "");
  EXPECT_NE(Refusal({{"all", "true"}, {"lastEventId", "tab\there"}}), "");
}

TEST(SseRequestTest, EveryAcceptedNonTopicRequestIsASubscribeTheWebSocketProtocolAccepts) {
  const std::vector<std::map<std::string, std::string>> queries = {
      {{"orderId", kOrder}},
      {{"orderId", kOrder}, {"lastEventId", std::string(kOrder) + ":0"}},
      {{"orderId", kOrder}, {"lastEventId", std::string(kOrder) + ":999999999999999999"}},
      {{"customerId", std::string(64, 'c')}},
      {{"courierId", "c.o_u-r"}},
      {{"all", "true"}, {"lastEventId", "anything-printable"}},
      {{"openDeliveries", "true"}},
  };
  for (const auto& query : queries) {
    const auto request = ParseEventsRequest(query, std::nullopt);
    ASSERT_EQ(request.error, "") << query.begin()->first;
    const auto message = ParseClientMessage(request.subscribe_message);
    EXPECT_EQ(message.type, ClientMessage::Type::kSubscribe) << request.subscribe_message << ": " << message.error;
  }
}

TEST(SseSettingsTest, DefaultsAreAFifteenSecondHeartbeatAndAThreeSecondRetry) {
  const auto result = LoadSseSettings({});
  ASSERT_TRUE(result.settings);
  EXPECT_EQ(result.settings->heartbeat, std::chrono::milliseconds(15000));
  EXPECT_EQ(result.settings->retry, std::chrono::milliseconds(3000));
  const auto tuned = LoadSseSettings({{"SSE_HEARTBEAT_MS", "200"}, {"SSE_RETRY_MS", "1000"}});
  ASSERT_TRUE(tuned.settings);
  EXPECT_EQ(tuned.settings->heartbeat, std::chrono::milliseconds(200));
  EXPECT_EQ(tuned.settings->retry, std::chrono::milliseconds(1000));
}

TEST(SseSettingsTest, EveryBadValueIsNamedInOneListOfProblems) {
  const auto result = LoadSseSettings({{"SSE_HEARTBEAT_MS", "5"}, {"SSE_RETRY_MS", "soon"}});
  EXPECT_FALSE(result.settings);
  ASSERT_EQ(result.problems.size(), 2u);
  EXPECT_NE(result.problems[0].find("SSE_HEARTBEAT_MS"), std::string::npos);
  EXPECT_NE(result.problems[1].find("SSE_RETRY_MS"), std::string::npos);
}

}  // namespace
}  // namespace orders::notifier
