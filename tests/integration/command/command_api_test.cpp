#include "command_fixture.hpp"

#include <orders/codec/event_codec.hpp>
#include <orders/domain/evolve.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

TEST_F(CommandServiceTest, PostCreatesTheOrderAndAppendsOneSchemaValidEvent) {
  const auto response = Post(OrderBody());
  ASSERT_EQ(response.status, 201) << response.body;
  const auto order = json::parse(response.body);
  EXPECT_EQ(response.Header("etag"), "\"1\"");
  EXPECT_EQ(response.Header("location"), "/orders/" + order["orderId"].get<std::string>());
  EXPECT_EQ(order["status"], "pending");
  EXPECT_EQ(order["totalCents"], 2500);
  EXPECT_EQ(order["currency"], "EUR");

  const auto records = ReadWholeTopic(topic_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, order["orderId"]);
  bool valid = false;
  const auto report = ValidateAgainstSchemas(records, valid);
  EXPECT_TRUE(valid) << report;
}

TEST_F(CommandServiceTest, StatusChangesAppendGaplessSchemaValidEvents) {
  const auto id = PlaceOrder();
  EXPECT_EQ(Put(id, R"({"status":"confirmed"})").status, 200);
  EXPECT_EQ(Put(id, R"({"status":"confirmed"})").status, 200);  // no-op, no event
  const auto shipped = Put(id, R"({"status":"shipped","reason":"left the warehouse"})", {{"If-Match", "\"2\""}});
  ASSERT_EQ(shipped.status, 200) << shipped.body;
  EXPECT_EQ(json::parse(shipped.body)["version"], 3);
  EXPECT_EQ(shipped.Header("etag"), "\"3\"");

  const auto records = ReadWholeTopic(topic_);
  ASSERT_EQ(records.size(), 3u);
  std::optional<domain::Order> folded;
  for (const auto& record : records) {
    const auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    ASSERT_TRUE(decoded.decoded) << decoded.error;
    EXPECT_EQ(domain::Apply(folded, decoded.decoded->event), domain::ApplyOutcome::kApplied);
  }
  EXPECT_EQ(folded->status, domain::Status::kShipped);
  bool valid = false;
  const auto report = ValidateAgainstSchemas(records, valid);
  EXPECT_TRUE(valid) << report;
}

TEST_F(CommandServiceTest, GetReturnsTheAuthoritativeStateWithETag) {
  const auto id = PlaceOrder();
  ASSERT_EQ(Put(id, R"({"status":"processing"})").status, 200);
  const auto response = Get("/orders/" + id);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["status"], "processing");
  EXPECT_EQ(response.Header("etag"), "\"2\"");
  EXPECT_EQ(Get("/orders/00000000-0000-4000-8000-000000000000").status, 404);
}

TEST_F(CommandServiceTest, ContractErrorsHaveTheirStatusesAndAppendNothing) {
  const auto id = PlaceOrder();
  ASSERT_EQ(Put(id, R"({"status":"delivered"})").status, 200);
  const auto before = TotalEndOffset(topic_);

  EXPECT_EQ(Put(id, R"({"status":"cancelled"})").status, 409);
  EXPECT_EQ(Put(id, R"({"status":"shipped"})").status, 409);
  EXPECT_EQ(Put(id, R"({"status":"delivered"})", {{"If-Match", "\"1\""}}).status, 412);
  EXPECT_EQ(Put("00000000-0000-4000-8000-000000000000", R"({"status":"shipped"})").status, 404);
  auto duplicate = json::parse(OrderBody());
  duplicate["orderId"] = id;
  EXPECT_EQ(Post(duplicate.dump()).status, 409);
  EXPECT_EQ(HttpRequest(service_->port(), "DELETE", "/orders/" + id, {}, WithToken()).status, 405);
  EXPECT_EQ(TotalEndOffset(topic_), before);
}

struct BadRequest {
  const char* name;
  std::string method;
  std::string path;
  std::string body;
  std::map<std::string, std::string> headers;
  int status;
};

class CommandServiceBadInput : public CommandServiceTest, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(CommandServiceBadInput, IsRefusedWithProblemJsonAndAppendsNothing) {
  const auto& bad = GetParam();
  const auto before = TotalEndOffset(topic_);
  const std::string path = bad.path == "existing" ? "/orders/" + PlaceOrder() + "/status" : bad.path;
  const auto after_setup = TotalEndOffset(topic_);
  const auto response = HttpRequest(service_->port(), bad.method, path, bad.body, WithToken(bad.headers));
  EXPECT_EQ(response.status, bad.status) << response.body;
  EXPECT_EQ(response.Header("content-type"), "application/problem+json");
  const auto body = json::parse(response.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << response.body;
  EXPECT_EQ(body["status"], bad.status);
  for (const char* leak : {"what()", "exception", "std::", "nlohmann", "parse error", "rdkafka"}) {
    EXPECT_EQ(response.body.find(leak), std::string::npos) << leak << " leaked: " << response.body;
  }
  if (bad.status == 400 && body.contains("errors")) {
    EXPECT_FALSE(body["errors"].empty());
  }
  EXPECT_EQ(TotalEndOffset(topic_), after_setup);
  (void)before;
}

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

std::string Items(int count) {
  std::string items;
  for (int i = 0; i < count; ++i) {
    items +=
        std::string(i ? "," : "") + R"({"productId":"p)" + std::to_string(i) + R"(","quantity":1,"unitPriceCents":1})";
  }
  return items;
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, CommandServiceBadInput,
    ::testing::Values(
        BadRequest{"not_json", "POST", "/orders", "{customerId:", kJson, 400},
        BadRequest{"json_array", "POST", "/orders", "[1,2]", kJson, 400},
        BadRequest{"missing_fields", "POST", "/orders", "{}", kJson, 400},
        BadRequest{"wrong_types", "POST", "/orders", R"({"customerId":1,"items":"many"})", kJson, 400},
        BadRequest{
            "absurd_numbers", "POST", "/orders",
            R"({"customerId":"c","items":[{"productId":"p","quantity":1e308,"unitPriceCents":-99999999999999999999}]})",
            kJson, 400},
        BadRequest{"too_many_items", "POST", "/orders", R"({"customerId":"c","items":[)" + Items(101) + "]}", kJson,
                   400},
        BadRequest{"invalid_utf8", "POST", "/orders", "{\"customerId\":\"\xC3\x28\",\"items\":[]}", kJson, 400},
        BadRequest{"unknown_field", "POST", "/orders",
                   R"({"customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":1}],"discount":9})",
                   kJson, 400},
        BadRequest{
            "bad_order_id", "POST", "/orders",
            R"({"orderId":"../../etc","customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":1}]})",
            kJson, 400},
        BadRequest{"bad_idempotency_key",
                   "POST",
                   "/orders",
                   R"({"customerId":"c","items":[{"productId":"p","quantity":1,"unitPriceCents":1}]})",
                   {{"Content-Type", "application/json"}, {"Idempotency-Key", std::string(300, 'k')}},
                   400},
        BadRequest{"not_json_content_type", "POST", "/orders", "customerId=c", {{"Content-Type", "text/plain"}}, 415},
        BadRequest{"oversized_body", "POST", "/orders", std::string(200 * 1024, ' '), kJson, 413},
        BadRequest{"unknown_status", "PUT", "existing", R"({"status":"teleported"})", kJson, 400},
        BadRequest{"reason_too_long", "PUT", "existing",
                   R"({"status":"cancelled","reason":")" + std::string(281, 'r') + "\"}", kJson, 400},
        // Control characters in free text: stored as they are they broke the read model's equality with the fold.
        BadRequest{"escape_in_product_id", "POST", "/orders",
                   R"({"customerId":"c","items":[{"productId":"sku\u001b[31m","quantity":1,"unitPriceCents":1}]})",
                   kJson, 400},
        BadRequest{"nul_in_reason", "PUT", "existing", R"({"status":"cancelled","reason":"a\u0000b"})", kJson, 400},
        BadRequest{"c1_control_in_reason", "PUT", "existing", R"({"status":"cancelled","reason":"a\u0085b"})", kJson,
                   400},
        BadRequest{"garbage_if_match",
                   "PUT",
                   "existing",
                   R"({"status":"confirmed"})",
                   {{"Content-Type", "application/json"}, {"If-Match", "yesterday"}},
                   400},
        BadRequest{"bad_path_id", "PUT", "/orders/not-a-uuid/status", R"({"status":"confirmed"})", kJson, 400},
        BadRequest{"unknown_route", "GET", "/admin", "", {}, 404},
        BadRequest{"delete", "DELETE", "/orders/00000000-0000-4000-8000-000000000000", "", {}, 405}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(CommandServiceTest, LargestValidOrderFitsTheRequestLimit) {
  json order{{"customerId", std::string(64, 'c')}, {"currency", "EUR"}, {"items", json::array()}};
  for (int i = 0; i < 100; ++i) {
    std::string product = std::to_string(i);
    product += std::string(64 - product.size(), 'p');
    order["items"].push_back({{"productId", product}, {"quantity", 10000}, {"unitPriceCents", 100000000}});
  }
  const auto response = Post(order.dump(2));
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(json::parse(response.body)["totalCents"], 100LL * 10000 * 100000000);
}

TEST_F(CommandServiceTest, BrowsersMayCallTheApiAcrossOrigins) {
  const std::map<std::string, std::string> origin = {{"Origin", "http://127.0.0.1:8082"}};
  const auto preflight = HttpRequest(service_->port(), "OPTIONS", "/orders/x/status", "",
                                     {{"Origin", "http://127.0.0.1:8082"}, {"Access-Control-Request-Method", "PUT"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), "http://127.0.0.1:8082");
  EXPECT_NE(preflight.Header("access-control-allow-headers").find("If-Match"), std::string::npos);
  const auto created = Post(OrderBody(), origin);
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.Header("access-control-allow-origin"), "http://127.0.0.1:8082");
  EXPECT_NE(created.Header("access-control-expose-headers").find("ETag"), std::string::npos);
}

TEST_F(CommandServiceTest, MetricsAndHealthAreServed) {
  PlaceOrder();
  EXPECT_EQ(Get("/healthz").status, 200);
  const auto metrics = Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("orders_http_requests_total{route=\"POST /orders\",status=\"201\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("orders_append_seconds_bucket"), std::string::npos);
}

}  // namespace
}  // namespace orders::testing
