// The /webhooks API's logic (WebhookAdmin) on the in-memory stores, with a
// fake URL check and fake secrets: validation, what each answer shows and
// what it must never show.
#include <gtest/gtest.h>

#include <orders/notifier/webhooks/memory_stores.hpp>
#include <orders/notifier/webhooks/webhook_admin.hpp>

namespace orders::notifier::webhooks {
namespace {

using Json = nlohmann::json;

class WebhookAdminTest : public ::testing::Test {
 protected:
  explicit WebhookAdminTest(std::size_t cap = 3) : store_(cap) {
    WebhookAdminLimits limits;
    limits.max_endpoints = cap;
    admin_ = std::make_unique<WebhookAdmin>(
        WebhookAdminDeps{store_.registry(), store_.ledger(),
                         [this](std::string_view url) -> std::string {
                           checked_.emplace_back(url);
                           return url.find("refused") != std::string_view::npos ? "is refused by the test policy" : "";
                         },
                         [this] { return "whsec_fake" + std::to_string(++secrets_); }, limits});
  }

  AdminAnswer Create(const Json& body) { return admin_->Create(body.dump()); }
  std::string CreatedId() {
    const auto answer = Create({{"url", "http://127.0.0.1:9/hook"}, {"events", {"order.*"}}});
    EXPECT_EQ(answer.status, 201);
    return answer.body.value("id", "");
  }

  static std::vector<std::string> ErrorFields(const AdminAnswer& answer) {
    std::vector<std::string> fields;
    if (answer.problem) {
      for (const auto& error : answer.problem->errors) fields.push_back(error.field);
    }
    return fields;
  }

  Delivery FailedDelivery(const std::string& endpoint_id, const std::string& event_id, WallClock::time_point at) {
    Delivery delivery;
    delivery.endpoint_id = endpoint_id;
    delivery.event_id = event_id;
    delivery.event_type = "order.placed";
    delivery.subject = "order-9";
    delivery.topic = "orders.events";
    delivery.body = "{}";
    delivery.event_time = at;
    delivery.status = DeliveryStatus::kFailed;
    delivery.attempts = 8;
    delivery.last_http_status = 503;
    delivery.last_error = "HTTP 503";
    return delivery;
  }

  MemoryWebhookStore store_;
  std::unique_ptr<WebhookAdmin> admin_;
  std::vector<std::string> checked_;
  int secrets_ = 0;
};

TEST_F(WebhookAdminTest, CreateAnswers201WithTheSecretFromTheGeneratorAndALocation) {
  const auto answer = Create(
      {{"url", "https://example.test/hook"}, {"events", {"order.*", "inventory.stock_set"}}, {"description", "ops"}});
  ASSERT_EQ(answer.status, 201) << (answer.problem ? answer.problem->detail : "");
  EXPECT_EQ(answer.body["secret"], "whsec_fake1");
  EXPECT_EQ(answer.body["url"], "https://example.test/hook");
  EXPECT_EQ(answer.body["events"], Json({"order.*", "inventory.stock_set"}));
  EXPECT_EQ(answer.body["description"], "ops");
  EXPECT_TRUE(answer.body["createdAt"].is_string());
  const std::string id = answer.body["id"];
  EXPECT_TRUE(IsEndpointId(id)) << id;
  ASSERT_EQ(answer.headers.size(), 1u);
  EXPECT_EQ(answer.headers[0], std::make_pair(std::string("Location"), "/webhooks/" + id));
  EXPECT_EQ(checked_, (std::vector<std::string>{"https://example.test/hook"}));
  EXPECT_EQ(store_.registry().Get(id)->secret, "whsec_fake1");
}

TEST_F(WebhookAdminTest, TheSecretIsNeverShownAgain) {
  const std::string id = CreatedId();
  const auto listed = admin_->List();
  ASSERT_EQ(listed.body["items"].size(), 1u);
  EXPECT_FALSE(listed.body["items"][0].contains("secret"));
  EXPECT_EQ(listed.body.dump().find("whsec_"), std::string::npos);
  const auto got = admin_->Get(id);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body.dump().find("whsec_"), std::string::npos);
}

TEST_F(WebhookAdminTest, BodiesThatAreNotAJsonObjectAre400) {
  for (const std::string body : {"", "not json", "[]", "\"text\"", "{\"url\":", "null", "{\"a\":1}{"}) {
    const auto answer = admin_->Create(body);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_EQ(ErrorFields(answer), (std::vector<std::string>{"body"})) << body;
  }
}

TEST_F(WebhookAdminTest, UnknownFieldsAreNamedAnd400) {
  const auto answer =
      Create({{"url", "http://127.0.0.1:9/"}, {"events", {"*"}}, {"secret", "mine"}, {"Events", {"*"}}});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(ErrorFields(answer), (std::vector<std::string>{"Events", "secret"}));
  EXPECT_TRUE(store_.registry().List().empty());
}

TEST_F(WebhookAdminTest, TheUrlMustBeAStringThePolicyAcceptsWithinBounds) {
  EXPECT_EQ(ErrorFields(Create({{"events", {"*"}}})), (std::vector<std::string>{"url"}));
  EXPECT_EQ(ErrorFields(Create({{"url", 42}, {"events", {"*"}}})), (std::vector<std::string>{"url"}));
  const auto refused = Create({{"url", "http://refused.test/"}, {"events", {"*"}}});
  ASSERT_EQ(ErrorFields(refused), (std::vector<std::string>{"url"}));
  EXPECT_EQ(refused.problem->errors[0].reason, "is refused by the test policy");
  EXPECT_EQ(ErrorFields(Create({{"url", "http://a.test/" + std::string(3000, 'a')}, {"events", {"*"}}})),
            (std::vector<std::string>{"url"}));
  for (const char* unprintable :
       {"http://a.test/\x01", "http://a b.test/", "http://a.test/\xc3\xa9", "http://a.test/\x7f"}) {
    EXPECT_EQ(ErrorFields(Create({{"url", unprintable}, {"events", {"*"}}})), (std::vector<std::string>{"url"}))
        << unprintable;
  }
  EXPECT_EQ(checked_, (std::vector<std::string>{"http://refused.test/"}))
      << "over-long or control text is never resolved";
}

TEST_F(WebhookAdminTest, EventsMustBeOneToFiftyKnownPatterns) {
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"}})), (std::vector<std::string>{"events"}));
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"}, {"events", Json::array()}})),
            (std::vector<std::string>{"events"}));
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"}, {"events", "order.*"}})),
            (std::vector<std::string>{"events"}));
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"}, {"events", std::vector<std::string>(51, "order.placed")}})),
            (std::vector<std::string>{"events"}));
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"},
                                {"events", {"order.placed", "user.created", 7, "order.*.v1", "order.placed"}}})),
            (std::vector<std::string>{"events[1]", "events[2]", "events[3]"}));
  const auto fifty = Create({{"url", "http://x.test/"}, {"events", std::vector<std::string>(50, "order.placed")}});
  ASSERT_EQ(fifty.status, 201);
  EXPECT_EQ(fifty.body["events"], Json({"order.placed"})) << "repeats are kept once";
}

TEST_F(WebhookAdminTest, DescriptionIsAnOptionalStringOfAtMost500Characters) {
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"}, {"events", {"*"}}, {"description", 5}})),
            (std::vector<std::string>{"description"}));
  EXPECT_EQ(ErrorFields(Create({{"url", "http://x.test/"}, {"events", {"*"}}, {"description", std::string(501, 'd')}})),
            (std::vector<std::string>{"description"}));
  EXPECT_EQ(
      ErrorFields(Create({{"url", "http://x.test/"}, {"events", {"*"}}, {"description", std::string("a\0b", 3)}})),
      (std::vector<std::string>{"description"}));
  EXPECT_EQ(Create({{"url", "http://x.test/"}, {"events", {"*"}}, {"description", std::string(500, 'd')}}).status, 201);
  std::string five_hundred_euros;
  for (int i = 0; i < 500; ++i) five_hundred_euros += "\u20ac";  // 1500 bytes, 500 characters
  EXPECT_EQ(Create({{"url", "http://x.test/"}, {"events", {"*"}}, {"description", five_hundred_euros}}).status, 201);
  EXPECT_EQ(
      ErrorFields(Create({{"url", "http://x.test/"}, {"events", {"*"}}, {"description", five_hundred_euros + "d"}})),
      (std::vector<std::string>{"description"}));
}

TEST_F(WebhookAdminTest, BodiesOver16KiBAre413BeforeAnyParsing) {
  const std::string huge =
      R"({"url":"http://x.test/","events":["*"],"description":")" + std::string(17000, 'd') + "\"}";
  EXPECT_EQ(admin_->Create(huge).status, 413);
  EXPECT_EQ(admin_->Replay(CreatedId(), std::string(16 * 1024 + 1, ' ')).status, 413);
}

TEST_F(WebhookAdminTest, PastTheCapCreateIs409NamingTheLimit) {
  for (int i = 0; i < 3; ++i) CreatedId();
  const auto answer = Create({{"url", "http://127.0.0.1:9/over"}, {"events", {"*"}}});
  EXPECT_EQ(answer.status, 409);
  ASSERT_TRUE(answer.problem);
  EXPECT_NE(answer.problem->detail.find("3"), std::string::npos);
}

TEST_F(WebhookAdminTest, UnknownOrMalformedIdsAre404Everywhere) {
  for (const std::string id :
       {"ep_00000000-0000-4000-8000-000000000000", "nope", "ep_", "EP_00000000-0000-4000-8000-000000000000", "%00"}) {
    EXPECT_EQ(admin_->Get(id).status, 404) << id;
    EXPECT_EQ(admin_->Delete(id).status, 404) << id;
    EXPECT_EQ(admin_->Deliveries(id, {}).status, 404) << id;
    EXPECT_EQ(admin_->Replay(id, R"({"from":"2026-12-05T00:00:00Z"})").status, 404) << id;
  }
}

TEST_F(WebhookAdminTest, DeleteIs204ThenTheEndpointIsGone) {
  const std::string id = CreatedId();
  EXPECT_EQ(admin_->Delete(id).status, 204);
  EXPECT_EQ(admin_->Get(id).status, 404);
  EXPECT_EQ(admin_->Delete(id).status, 404);
}

TEST_F(WebhookAdminTest, ListShowsDisabledEndpointsWithReasonAndFailingSince) {
  const std::string id = CreatedId();
  store_.registry().RecordHealth(id, false, WallClock::time_point(std::chrono::seconds(1'796'428'800)));
  store_.registry().Disable(id, "failing since 2026-12-05T00:00:00Z");
  const auto item = admin_->List().body["items"][0];
  EXPECT_EQ(item["disabled"], true);
  EXPECT_EQ(item["disabledReason"], "failing since 2026-12-05T00:00:00Z");
  EXPECT_EQ(item["failingSince"], "2026-12-05T00:00:00.000Z");
  const auto healthy = admin_->Get(CreatedId()).body;
  EXPECT_EQ(healthy["disabled"], false);
  EXPECT_TRUE(healthy["disabledReason"].is_null());
  EXPECT_TRUE(healthy["failingSince"].is_null());
}

TEST_F(WebhookAdminTest, DeliveriesArePagedWithTheirAttemptDetails) {
  const std::string id = CreatedId();
  const auto at = WallClock::time_point(std::chrono::seconds(1'796'428'800));
  for (int i = 0; i < 3; ++i) {
    store_.ledger().Keep(FailedDelivery(id, "evt-" + std::to_string(i), at + std::chrono::seconds(i)));
  }
  auto first = admin_->Deliveries(id, {{"status", "failed"}, {"limit", "2"}});
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(first.body["items"].size(), 2u);
  const auto item = first.body["items"][0];
  EXPECT_EQ(item["eventId"], "evt-2");
  EXPECT_EQ(item["eventType"], "order.placed");
  EXPECT_EQ(item["subject"], "order-9");
  EXPECT_EQ(item["status"], "failed");
  EXPECT_EQ(item["attempts"], 8);
  EXPECT_EQ(item["lastHttpStatus"], 503);
  EXPECT_EQ(item["lastError"], "HTTP 503");
  EXPECT_TRUE(item["nextAttemptAt"].is_null()) << "a failed delivery is not attempted again";
  EXPECT_FALSE(item.contains("body"));
  ASSERT_TRUE(first.body["nextCursor"].is_string());
  auto second = admin_->Deliveries(id, {{"status", "failed"}, {"limit", "2"}, {"cursor", first.body["nextCursor"]}});
  ASSERT_EQ(second.body["items"].size(), 1u);
  EXPECT_EQ(second.body["items"][0]["eventId"], "evt-0");
  EXPECT_FALSE(second.body.contains("nextCursor"));
  EXPECT_EQ(admin_->Deliveries(id, {{"status", "pending"}}).body["items"].size(), 0u);
}

TEST_F(WebhookAdminTest, BadDeliveryQueriesAre400NamingEachParameter) {
  const std::string id = CreatedId();
  const auto answer =
      admin_->Deliveries(id, {{"status", "lost"}, {"limit", "0"}, {"cursor", "garbage"}, {"sort", "asc"}});
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(ErrorFields(answer), (std::vector<std::string>{"cursor", "limit", "sort", "status"}));
  for (const char* limit : {"101", "-1", "1e2", "", "99999999999999999999", " 5"}) {
    EXPECT_EQ(admin_->Deliveries(id, {{"limit", limit}}).status, 400) << limit;
  }
  EXPECT_EQ(admin_->Deliveries(id, {{"limit", "100"}}).status, 200);
}

TEST_F(WebhookAdminTest, ReplayIs202CountingTheFailedDeliveriesFromTheGivenTime) {
  const std::string id = CreatedId();
  const auto at = WallClock::time_point(std::chrono::seconds(1'796'428'800));
  store_.ledger().Keep(FailedDelivery(id, "before", at - std::chrono::seconds(1)));
  store_.ledger().Keep(FailedDelivery(id, "after", at + std::chrono::seconds(1)));
  const auto answer = admin_->Replay(id, R"({"from":"2026-12-05T01:00:00+01:00"})");
  ASSERT_EQ(answer.status, 202);
  EXPECT_EQ(answer.body, Json({{"replayed", 1}}));
}

TEST_F(WebhookAdminTest, ReplayNeedsExactlyAnRfc3339From) {
  const std::string id = CreatedId();
  for (const std::string body : {R"({})", R"({"from":5})", R"({"from":"yesterday"})", R"({"from":"2026-12-05"})",
                                 R"({"from":"2026-02-30T00:00:00Z"})"}) {
    const auto answer = admin_->Replay(id, body);
    EXPECT_EQ(answer.status, 400) << body;
    EXPECT_EQ(ErrorFields(answer), (std::vector<std::string>{"from"})) << body;
  }
  EXPECT_EQ(ErrorFields(admin_->Replay(id, R"({"from":"2026-12-05T00:00:00Z","to":"x"})")),
            (std::vector<std::string>{"to"}));
}

}  // namespace
}  // namespace orders::notifier::webhooks
