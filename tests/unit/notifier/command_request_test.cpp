#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <orders/notifier/protocol.hpp>
#include <orders/testing/builders.hpp>

namespace orders::notifier {
namespace {

using nlohmann::json;

json Command(const std::string& name, json args, json request_id = "req-1") {
  return {{"type", "command"}, {"requestId", std::move(request_id)}, {"name", name}, {"args", std::move(args)}};
}

HttpCall Planned(const json& message, std::optional<std::string> subject = "rider-7") {
  const auto parse = ParseCommand(message);
  EXPECT_TRUE(parse.command) << parse.error;
  if (!parse.command) return {};
  const auto plan = PlanHttpCall(*parse.command, subject);
  EXPECT_TRUE(plan.call) << plan.error;
  return plan.call.value_or(HttpCall{});
}

const std::string kId = testing::kOrderId;

TEST(CommandRequest, EachNameMapsOntoItsRestCall) {
  const json order{{"customerId", "cust-1"}, {"items", {{{"productId", "p"}, {"quantity", 1}, {"unitPriceCents", 5}}}}};
  auto place = Planned(Command("placeOrder", order));
  EXPECT_EQ(place.method, "POST");
  EXPECT_EQ(place.target, "/orders");
  EXPECT_EQ(json::parse(*place.body), order) << "args are the body as they came";

  auto status = Planned(Command("changeStatus", {{"orderId", kId}, {"status", "cancelled"}, {"reason", "r"}}));
  EXPECT_EQ(status.method, "PUT");
  EXPECT_EQ(status.target, "/orders/" + kId + "/status");
  EXPECT_EQ(json::parse(*status.body), (json{{"status", "cancelled"}, {"reason", "r"}}));

  auto accept = Planned(Command("acceptDelivery", {{"orderId", kId}}));
  EXPECT_EQ(accept.method, "PUT");
  EXPECT_EQ(accept.target, "/orders/" + kId + "/courier");
  EXPECT_EQ(json::parse(*accept.body), (json{{"courierId", "rider-7"}})) << "the session's own courier id";

  auto decline = Planned(Command("declineDelivery", {{"orderId", kId}, {"reason", "too far"}}));
  EXPECT_EQ(decline.method, "POST");
  EXPECT_EQ(decline.target, "/orders/" + kId + "/delivery-declines");
  EXPECT_EQ(json::parse(*decline.body), (json{{"reason", "too far"}}));

  auto release = Planned(Command("releaseDelivery", {{"orderId", kId}}));
  EXPECT_EQ(release.method, "DELETE");
  EXPECT_EQ(release.target, "/orders/" + kId + "/courier");
  EXPECT_FALSE(release.body);
}

TEST(CommandRequest, APlacementsIdempotencyKeyBecomesItsHeaderAndNothingElseTakesOne) {
  auto message = Command("placeOrder", {{"items", json::array()}});
  message["idempotencyKey"] = "checkout-7781";
  EXPECT_EQ(Planned(message).idempotency_key, "checkout-7781");
  for (const json& bad :
       {json("two words"), json("line\r\nX-Evil: 1"), json(""), json(std::string(256, 'k')), json(7)}) {
    message["idempotencyKey"] = bad;
    EXPECT_FALSE(ParseCommand(message).command) << bad.dump();
  }
  auto status = Command("changeStatus", {{"orderId", kId}, {"status", "cancelled"}});
  status["idempotencyKey"] = "k";
  EXPECT_FALSE(ParseCommand(status).command) << "only POST /orders takes an Idempotency-Key";
}

TEST(CommandRequest, AcceptNamingACourierIsLeftToTheCommandApiToAllowOrRefuse) {
  auto assign = Planned(Command("acceptDelivery", {{"orderId", kId}, {"courierId", "rider-9"}}), "ops");
  EXPECT_EQ(json::parse(*assign.body), (json{{"courierId", "rider-9"}}));
  const auto without_token =
      PlanHttpCall(*ParseCommand(Command("acceptDelivery", {{"orderId", kId}})).command, std::nullopt);
  EXPECT_FALSE(without_token.call) << "no token and no courierId: nobody to accept for";
  EXPECT_FALSE(without_token.error.empty());
}

TEST(CommandRequest, BadCommandsAreRefusedWithAReasonAndTheRequestIdWhenItWasValid) {
  struct Case {
    json message;
    bool too_large;
    std::string request_id;  // echoed back
  };
  const std::vector<Case> cases = {
      {Command("launchRocket", json::object()), false, "req-1"},
      {Command("placeOrder", json::object(), nullptr), false, ""},
      {{{"type", "command"}, {"name", "placeOrder"}, {"args", json::object()}}, false, ""},
      {Command("placeOrder", json::object(), ""), false, ""},
      {Command("placeOrder", json::object(), std::string(kMaxRequestIdBytes + 1, 'r')), false, ""},
      {Command("placeOrder", json::object(), "line\nbreak"), false, ""},
      {Command("placeOrder", json::array()), false, "req-1"},
      {Command("placeOrder", "text"), false, "req-1"},
      {{{"type", "command"}, {"requestId", "req-1"}, {"name", "placeOrder"}}, false, "req-1"},
      {Command("placeOrder", {{"pad", std::string(kMaxCommandArgsBytes, 'x')}}), true, "req-1"},
      {Command("changeStatus", {{"status", "cancelled"}}), false, "req-1"},
      {Command("acceptDelivery", {{"orderId", "../../inventory/x"}}), false, "req-1"},
      {Command("releaseDelivery", {{"orderId", "6F1C2B7E-8A4D-4E3B-9C1A-2D3E4F5A6B7C"}}), false, "req-1"},
      {Command("acceptDelivery", {{"orderId", kId}, {"courierId", "a b"}}), false, "req-1"},
      {[] {
         auto message = Command("placeOrder", json::object());
         message["extra"] = 1;
         return message;
       }(),
       false, "req-1"},
  };
  for (const auto& test : cases) {
    const auto parse = ParseCommand(test.message);
    EXPECT_FALSE(parse.command) << test.message.dump().substr(0, 200);
    EXPECT_FALSE(parse.error.empty()) << test.message.dump().substr(0, 200);
    EXPECT_EQ(parse.too_large, test.too_large) << test.message.dump().substr(0, 200);
    EXPECT_EQ(parse.request_id, test.request_id) << test.message.dump().substr(0, 200);
  }
}

}  // namespace
}  // namespace orders::notifier
