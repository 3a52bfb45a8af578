#include "command_fixture.hpp"

#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

class CommandAuthTest : public CommandServiceTest {
 protected:
  CommandAuthTest() {
    extra_env_ = {{"JWT_SECRET", kTestJwtSecret}};
    send_token_ = false;
  }

  static std::map<std::string, std::string> As(const std::string& token) {
    return {{"Content-Type", "application/json"}, {"Authorization", BearerOf(token)}};
  }
};

TEST_F(CommandAuthTest, CommandsWithoutAValidTokenOrOutsideTheRoleAreRefusedAndAppendNothing) {
  const auto before = TotalEndOffset(topic_);
  constexpr const char* kNoToken = "Bearer";
  constexpr const char* kBadToken = R"(Bearer error="invalid_token")";
  const std::map<std::string, std::pair<std::map<std::string, std::string>, std::string>> refused = {
      {"no token", {{{"Content-Type", "application/json"}}, kNoToken}},
      {"expired", {As(TestToken("ops", "staff", -std::chrono::seconds(1))), kBadToken}},
      {"forged",
       {As(TestToken("ops", "staff", std::chrono::hours(1), "some-other-secret-that-is-32-chars-long")), kBadToken}},
      {"garbage", {As("not-a-token"), kBadToken}},
      {"basic auth", {{{"Content-Type", "application/json"}, {"Authorization", "Basic b3BzOm9wcw=="}}, kNoToken}},
  };
  std::string observations;
  for (const auto& [what, refusal] : refused) {
    const auto& [headers, challenge] = refusal;
    const auto post = Post(OrderBody(), headers);
    EXPECT_EQ(post.status, 401) << what;
    EXPECT_EQ(post.Header("www-authenticate"), challenge) << what;
    EXPECT_EQ(post.Header("content-type"), "application/problem+json") << what;
    EXPECT_EQ(json::parse(post.body)["status"], 401) << what;
    observations += Observation("post", "/orders", post);
  }
  // Valid tokens whose role may not do this (courier_commands_test.cpp goes through the whole table).
  const auto customer = Post(OrderBody("customer-2"), As(TestToken("customer-1", "customer")));
  EXPECT_EQ(customer.status, 403) << "a customer places for itself only: " << customer.body;
  observations += Observation("post", "/orders", customer);
  const auto courier = Post(OrderBody(), As(TestToken("courier-1", "courier")));
  EXPECT_EQ(courier.status, 403) << courier.body;
  observations += Observation("post", "/orders", courier);
  const auto put =
      Put("00000000-0000-4000-8000-000000000000", R"({"status":"confirmed"})", As(TestToken("customer-1", "customer")));
  EXPECT_EQ(put.status, 404);
  observations += Observation("put", "/orders/{orderId}/status", put);
  const auto get = HttpRequest(service_->port(), "GET", "/orders/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(get.status, 401);
  observations += Observation("get", "/orders/{orderId}", get);

  EXPECT_EQ(TotalEndOffset(topic_), before) << "a refused command appends nothing";
  const auto check = CheckOpenApi(observations, "--observed-only");
  EXPECT_EQ(check.exit_status, 0) << check.output;
}

TEST_F(CommandAuthTest, StaffAndServiceTokensMayCommand) {
  const auto placed = Post(OrderBody(), As(TestToken("ops", "staff")));
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string id = json::parse(placed.body)["orderId"];
  const auto changed = Put(id, R"({"status":"confirmed"})", As(TestToken("billing", "service")));
  EXPECT_EQ(changed.status, 200) << changed.body;
  const auto read = HttpRequest(service_->port(), "GET", "/orders/" + id, {}, As(TestToken("ops", "staff")));
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(json::parse(read.body)["status"], "confirmed");
  // A lower-case scheme name is the same scheme.
  const auto lower = HttpRequest(service_->port(), "GET", "/orders/" + id, {},
                                 {{"Authorization", "bearer " + TestToken("ops", "staff")}});
  EXPECT_EQ(lower.status, 200) << lower.body;
}

TEST_F(CommandAuthTest, TheCommandApiTakesTokensOnlyFromTheAuthorizationHeader) {
  const auto placed = Post(OrderBody(), As(TestToken("ops", "staff")));
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string id = json::parse(placed.body)["orderId"];
  // URLs end up in logs and browser histories; only WebSocket upgrades may carry a token there.
  const auto read =
      HttpRequest(service_->port(), "GET", "/orders/" + id + "?access_token=" + TestToken("ops", "staff"));
  EXPECT_EQ(read.status, 401) << read.body;
  EXPECT_EQ(read.Header("www-authenticate"), "Bearer");
}

TEST_F(CommandAuthTest, OperationalEndpointsAndPreflightNeedNoToken) {
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(Get("/metrics").status, 200);
  const auto preflight = HttpRequest(service_->port(), "OPTIONS", "/orders", "",
                                     {{"Origin", "http://localhost:8082"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_NE(preflight.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
}

TEST_F(CommandAuthTest, TheTokenNeverAppearsInTheLog) {
  const std::string token = TestToken("ops", "staff");
  ASSERT_EQ(Post(OrderBody(), As(token)).status, 201);
  Post(OrderBody(), As(token + "x"));
  ASSERT_EQ(StopService(), 0);
  const std::string log = service_->LogText();
  EXPECT_EQ(log.find(token.substr(token.rfind('.') + 1)), std::string::npos);
}

}  // namespace
}  // namespace orders::testing
