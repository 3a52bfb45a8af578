// The fulfilment workflow against a real broker: orders reserve stock, get
// paid and confirm by themselves (or are cancelled with a reason), through the
// embedded simulator and through the HTTP gateway stub in its own process.
#include "command_fixture.hpp"

#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/testing/payment_gateway_stub.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

class WorkflowApiTest : public CommandServiceTest {
 protected:
  void SetUp() override {
    extra_env_["WORKFLOW"] = "on";
    extra_env_["PAYMENT_SIMULATOR_LATENCY_MS"] = "0";
    extra_env_["PAYMENT_SIMULATOR_DECLINE_ABOVE_CENTS"] = "100000";
    CommandServiceTest::SetUp();
  }

  std::string Place(const std::string& product, int quantity, std::int64_t unit_price = 100) {
    const auto body =
        json{{"customerId", "customer-1"},
             {"items", {{{"productId", product}, {"quantity", quantity}, {"unitPriceCents", unit_price}}}}};
    const auto response = Post(body.dump(), kJson);
    EXPECT_EQ(response.status, 201) << response.body;
    return json::parse(response.body, nullptr, false).value("orderId", "");
  }

  json Order(const std::string& id) { return json::parse(Get("/orders/" + id).body, nullptr, false); }

  // Waits for the order to leave pending; its final status.
  std::string Settled(const std::string& id) {
    std::string status;
    Eventually(
        [&] {
          status = Order(id).value("status", "");
          return status != "pending" && !status.empty();
        },
        std::chrono::seconds(20));
    return status;
  }

  // The reason of the order's last status change, from the log.
  std::string ReasonOf(const std::string& id) {
    std::string reason;
    for (const auto& record : ReadWholeTopic(topic_)) {
      if (record.key != id) continue;
      const auto* type = codec::FindHeader(record.headers, "ce_type");
      if (type && *type == "order.status_changed.v1") reason = json::parse(record.value).value("reason", "");
    }
    return reason;
  }

  std::vector<std::string> TypesOf(const std::string& id) {
    std::vector<std::string> types;
    for (const auto& record : ReadWholeTopic(topic_)) {
      if (record.key == id) types.push_back(*codec::FindHeader(record.headers, "ce_type"));
    }
    return types;
  }

  json Stock(const std::string& product) { return json::parse(Get("/inventory/" + product).body, nullptr, false); }
};

TEST_F(WorkflowApiTest, OrdersReserveStockGetPaidAndConfirmByThemselves) {
  AwaitInventoryWriter("sku-1", R"({"onHand":10})");
  const auto first = Place("sku-1", 2);
  const auto second = Place("untracked-1", 5);
  EXPECT_EQ(Settled(first), "confirmed");
  EXPECT_EQ(Settled(second), "confirmed");
  const auto order = Order(first);
  EXPECT_EQ(order["payment"],
            json::parse(R"({"status":"authorized","paymentId":"sim_)" + first + R"(","amountCents":200})"));
  EXPECT_EQ(TypesOf(first),
            (std::vector<std::string>{"order.placed.v1", "order.payment_authorized.v1", "order.status_changed.v1"}));
  EXPECT_EQ(Stock("sku-1").value("reserved", -1), 2);
  EXPECT_EQ(Stock("sku-1").value("available", -1), 8);

  const auto records = ReadWholeTopic(topic_);
  EXPECT_EQ(*codec::FindHeader(records.back().headers, "orders_actor"), "service:workflow");
  bool valid = false;
  EXPECT_TRUE((ValidateAgainstSchemas(records, valid), valid)) << ValidateAgainstSchemas(records, valid);
  const auto stock_records = ReadWholeTopic(inventory_topic_);
  EXPECT_TRUE((ValidateAgainstSchemas(stock_records, valid), valid)) << ValidateAgainstSchemas(stock_records, valid);
}

TEST_F(WorkflowApiTest, OrdersBeyondTheStockOrTheDeclineLimitAreCancelledWithTheirReason) {
  AwaitInventoryWriter("sku-2", R"({"onHand":3})");
  const auto fits = Place("sku-2", 3);
  ASSERT_EQ(Settled(fits), "confirmed");
  const auto too_many = Place("sku-2", 1);
  EXPECT_EQ(Settled(too_many), "cancelled");
  EXPECT_EQ(ReasonOf(too_many), "out_of_stock");
  EXPECT_EQ(Order(too_many)["payment"].value("status", ""), "pending") << "no payment was attempted";

  AwaitInventoryWriter("sku-3", R"({"onHand":5})");
  const auto too_dear = Place("sku-3", 1, 100001);
  EXPECT_EQ(Settled(too_dear), "cancelled");
  EXPECT_EQ(ReasonOf(too_dear), "payment_declined");
  EXPECT_EQ(Order(too_dear)["payment"].value("status", ""), "declined");
  ASSERT_TRUE(Eventually([&] { return Stock("sku-3").value("reserved", -1) == 0; }, std::chrono::seconds(10)))
      << "the declined order's reservation is released: " << Stock("sku-3");
}

TEST_F(WorkflowApiTest, DeliveringCommitsTheStockAndCancellingReleasesIt) {
  AwaitInventoryWriter("sku-4", R"({"onHand":10})");
  const auto delivered = Place("sku-4", 3);
  const auto cancelled = Place("sku-4", 4);
  ASSERT_EQ(Settled(delivered), "confirmed");
  ASSERT_EQ(Settled(cancelled), "confirmed");
  ASSERT_EQ(Put(delivered, R"({"status":"delivered"})", kJson).status, 200);
  ASSERT_EQ(Put(cancelled, R"({"status":"cancelled"})", kJson).status, 200);
  ASSERT_TRUE(Eventually([&] { return Order(cancelled)["payment"].value("status", "") == "refunded"; },
                         std::chrono::seconds(10)));
  ASSERT_TRUE(Eventually([&] { return Stock("sku-4").value("onHand", -1) == 7; }, std::chrono::seconds(10)))
      << Stock("sku-4");
  EXPECT_EQ(Stock("sku-4").value("reserved", -1), 0);
}

class SlowPaymentTest : public WorkflowApiTest {
 protected:
  void SetUp() override {
    extra_env_["PAYMENT_SIMULATOR_LATENCY_MS"] = "60000";  // every order stays pending for this test
    extra_env_["WORKFLOW"] = "on";
    CommandServiceTest::SetUp();
  }
};

TEST_F(SlowPaymentTest, APendingOrderMayBeCancelledByHandButNotConfirmed) {
  const auto id = Place("untracked-2", 1);
  for (const char* status : {"confirmed", "shipped", "delivered"}) {
    const auto refused = Put(id, json{{"status", status}}.dump(), kJson);
    EXPECT_EQ(refused.status, 409) << status;
    EXPECT_EQ(refused.Header("content-type"), "application/problem+json");
    EXPECT_EQ(json::parse(refused.body).value("type", ""), "urn:orders:problem:awaiting-payment") << refused.body;
  }
  EXPECT_EQ(Put(id, R"({"status":"cancelled","reason":"changed my mind"})", kJson).status, 200);
  EXPECT_EQ(TypesOf(id), (std::vector<std::string>{"order.placed.v1", "order.status_changed.v1"}));
}

class HttpGatewayWorkflowTest : public WorkflowApiTest {
 protected:
  void SetUp() override {
    ASSERT_NE(stub_.port(), 0);
    extra_env_["PAYMENT_GATEWAY"] = "http";
    extra_env_["PAYMENT_URL"] = stub_.Url();
    extra_env_["PAYMENT_REQUEST_TIMEOUT_MS"] = "300";
    extra_env_["PAYMENT_RETRY_INITIAL_MS"] = "20";
    extra_env_["PAYMENT_RETRY_MAX_MS"] = "100";
    WorkflowApiTest::SetUp();
  }
  PaymentGatewayStub stub_;
};

TEST_F(HttpGatewayWorkflowTest, TheGatewayChargesEachOrderOnceAndRefundsACancelledOne) {
  stub_.Script({{"mode", "fail"}, {"times", 2}, {"status", 503}});  // retried, then approved
  const auto id = Place("untracked-3", 2, 1500);
  ASSERT_EQ(Settled(id), "confirmed");
  auto calls = stub_.Calls();
  EXPECT_EQ(calls["charges"].value(id, 0), 1) << calls;
  EXPECT_GE(calls["requests"].value(id, 0), 3) << calls;
  EXPECT_EQ(Order(id)["payment"].value("amountCents", 0), 3000);

  ASSERT_EQ(Put(id, R"({"status":"cancelled"})", kJson).status, 200);
  ASSERT_TRUE(
      Eventually([&] { return Order(id)["payment"].value("status", "") == "refunded"; }, std::chrono::seconds(10)));
  calls = stub_.Calls();
  EXPECT_EQ(calls["refunds"].value(id + ":refund", 0), 1) << calls;
}

TEST_F(HttpGatewayWorkflowTest, AGatewayAnsweringGarbageIsAskedAgainUntilItAnswers) {
  stub_.Script({{"mode", "garbage"}, {"times", 3}});
  const auto id = Place("untracked-4", 1);
  ASSERT_EQ(Settled(id), "confirmed");
  EXPECT_EQ(stub_.Calls()["charges"].value(id, 0), 1);
  EXPECT_EQ(service_->LogText().find("garbage"), std::string::npos) << "no response body in the logs";
}

class DeadlineTest : public HttpGatewayWorkflowTest {
 protected:
  void SetUp() override {
    extra_env_["PAYMENT_TIMEOUT"] = "2s";
    HttpGatewayWorkflowTest::SetUp();
  }
};

TEST_F(DeadlineTest, AnOrderTheGatewayNeverAnswersIsCancelledAtTheDeadlineAndReleased) {
  stub_.Script({{"mode", "hang"}, {"ms", 60000}});
  AwaitInventoryWriter("sku-5", R"({"onHand":4})");
  const auto id = Place("sku-5", 4);
  EXPECT_EQ(Settled(id), "cancelled");
  EXPECT_EQ(ReasonOf(id), "payment_timeout");
  ASSERT_TRUE(Eventually([&] { return Stock("sku-5").value("available", -1) == 4; }, std::chrono::seconds(10)))
      << Stock("sku-5");
}

TEST_F(WorkflowApiTest, OrdersLeftPendingWhileTheWorkflowWasOffAreTakenUpAfterARestart) {
  ASSERT_EQ(StopService(), 0);
  extra_env_["WORKFLOW"] = "off";
  StartService();
  const auto id = Place("untracked-5", 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(Order(id).value("status", ""), "pending");
  ASSERT_EQ(StopService(), 0);
  extra_env_["WORKFLOW"] = "on";
  StartService();
  EXPECT_EQ(Settled(id), "confirmed");
}

}  // namespace
}  // namespace orders::testing
