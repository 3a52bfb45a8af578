#include <gtest/gtest.h>

#include <orders/codec/event_topics.hpp>

namespace orders::codec {
namespace {

TEST(EventTopics, KnowsEveryEventOfBothStreamsByItsUnversionedName) {
  const auto names = EventNames();
  EXPECT_EQ(names.size(), 13u);
  EXPECT_NE(std::find(names.begin(), names.end(), "order.status_changed"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "inventory.stock_committed"), names.end());
  EXPECT_EQ(EventNameOfType("order.payment_refunded.v1"), "order.payment_refunded");
}

TEST(EventTopics, AcceptsKnownNamesStreamWildcardsAndEverything) {
  EXPECT_TRUE(IsEventPattern("order.placed"));
  EXPECT_TRUE(IsEventPattern("order.*"));
  EXPECT_TRUE(IsEventPattern("inventory.*"));
  EXPECT_TRUE(IsEventPattern("*"));
}

TEST(EventTopics, RefusesUnknownNamesPartialWildcardsAndVersionedTypes) {
  for (const char* bad : {"", "order", "order.", "order.plac*", "*.placed", "user.created", "order.placed.v1",
                          "ORDER.PLACED", "order.**", "inventory.*.x"})
    EXPECT_FALSE(IsEventPattern(bad)) << bad;
  EXPECT_FALSE(IsEventPattern(std::string(1000, 'o')));
}

TEST(EventTopics, AWildcardMatchesOnlyItsOwnStream) {
  EXPECT_TRUE(MatchesEventPattern("order.*", "order.placed"));
  EXPECT_FALSE(MatchesEventPattern("order.*", "inventory.stock_set"));
  EXPECT_TRUE(MatchesEventPattern("inventory.*", "inventory.stock_set"));
  EXPECT_TRUE(MatchesEventPattern("*", "inventory.stock_set"));
  EXPECT_TRUE(MatchesEventPattern("order.status_changed", "order.status_changed"));
  EXPECT_FALSE(MatchesEventPattern("order.status_changed", "order.placed"));
}

TEST(EventTopics, ARecordBecomesAStructuredCloudEventCarryingItsPayloadAsData) {
  const Headers headers = {{"ce_specversion", "1.0"},
                           {"ce_id", "e-1"},
                           {"ce_type", "order.placed.v1"},
                           {"ce_source", "/command-service"},
                           {"ce_time", "2026-12-05T00:00:00.000Z"},
                           {"ce_subject", "o-1"},
                           {"content-type", "application/json"}};
  const auto body = StructuredCloudEvent(R"({"orderId":"o-1","version":1})", headers);
  ASSERT_TRUE(body.has_value());
  const Json event = Json::parse(*body);
  EXPECT_EQ(event["specversion"], "1.0");
  EXPECT_EQ(event["id"], "e-1");
  EXPECT_EQ(event["type"], "order.placed.v1");
  EXPECT_EQ(event["source"], "/command-service");
  EXPECT_EQ(event["time"], "2026-12-05T00:00:00.000Z");
  EXPECT_EQ(event["subject"], "o-1");
  EXPECT_EQ(event["datacontenttype"], "application/json");
  EXPECT_EQ(event["data"]["orderId"], "o-1");
}

TEST(EventTopics, AStructuredCloudEventIsTheSameBytesAsADumpOfTheEventObject) {
  const Headers headers = {{"ce_id", "e-1"},
                           {"ce_type", "order.placed.v1"},
                           {"ce_source", "/command-service"},
                           {"ce_time", "2026-12-05T00:00:00.000Z"},
                           {"ce_subject", "o-1"}};
  const std::string payload = DumpJson(Json{{"orderId", "o-1"}, {"version", 1}, {"note", "caf\u00e9 \"x\""}});
  Json expected = {{"specversion", "1.0"},
                   {"id", "e-1"},
                   {"type", "order.placed.v1"},
                   {"source", "/command-service"},
                   {"time", "2026-12-05T00:00:00.000Z"},
                   {"subject", "o-1"},
                   {"datacontenttype", "application/json"}};
  expected["data"] = Json::parse(payload);
  EXPECT_EQ(StructuredCloudEvent(payload, headers), DumpJson(expected));
}

TEST(EventTopics, AttributesThatAreNotPlainTextAreEscapedInTheCloudEvent) {
  const Headers headers = {{"ce_id", "e-\"1\""},
                           {"ce_type", "order.placed.v1"},
                           {"ce_source", "/a\\b"},
                           {"ce_time", "2026-12-05T00:00:00.000Z"},
                           {"ce_subject", std::string("o-\xff\n")}};
  const auto body = StructuredCloudEvent(R"( {"orderId": "o-1"} )", headers);
  ASSERT_TRUE(body.has_value());
  const Json event = Json::parse(*body);
  EXPECT_EQ(event["id"], "e-\"1\"");
  EXPECT_EQ(event["source"], "/a\\b");
  EXPECT_EQ(event["subject"], "o-\xef\xbf\xbd\n") << "invalid UTF-8 replaced, as the JSON writer does";
  EXPECT_EQ(event["data"]["orderId"], "o-1");
}

TEST(EventTopics, ARecordWithoutItsIdentityOrWithABrokenPayloadIsNoCloudEvent) {
  const Headers no_id = {{"ce_type", "order.placed.v1"},
                         {"ce_source", "/command-service"},
                         {"ce_time", "2026-12-05T00:00:00.000Z"},
                         {"ce_subject", "o-1"}};
  EXPECT_FALSE(StructuredCloudEvent("{}", no_id).has_value());
  Headers complete = no_id;
  complete.emplace_back("ce_id", "e-1");
  EXPECT_FALSE(StructuredCloudEvent("{not json", complete).has_value());
  EXPECT_FALSE(StructuredCloudEvent("{\"a\":1} trailing", complete).has_value());
  EXPECT_FALSE(StructuredCloudEvent(std::string("\"\xff\""), complete).has_value()) << "invalid UTF-8";
}

}  // namespace
}  // namespace orders::codec
