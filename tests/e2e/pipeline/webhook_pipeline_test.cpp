// Webhooks from end to end, as a new user meets them: an endpoint registered
// at a real notifier for a real receiver process, orders placed and moved
// through a real command service, and every delivery checked the way the
// receiver's owner would: one POST per event, in the order's log order, the
// CloudEvent's id as webhook-id, the body the event itself, and each
// signature verified by the Standard Webhooks reference library.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/webhook_receiver.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class WebhookPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    const auto topic = UniqueName("webhook-e2e");
    const auto inventory = UniqueName("webhook-e2e-inventory");
    ASSERT_EQ(CreateTopic(topic, 3), "");
    ASSERT_EQ(CreateTopic(inventory, 3), "");
    const std::map<std::string, std::string> topics{{"ORDERS_TOPIC", topic}, {"INVENTORY_TOPIC", inventory}};
    command_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), topics);
    ASSERT_TRUE(command_->Start()) << command_->LogText();
    auto notifier_env = topics;
    notifier_env["CONSUMER_GROUP"] = UniqueName("webhook-e2e");
    notifier_env["LOG_LEVEL"] = "debug";
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), notifier_env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    for (auto* service : {command_.get(), notifier_.get()}) {
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; }, 30s))
          << service->LogText();
    }
  }

  std::unique_ptr<ServiceProcess> command_;
  std::unique_ptr<ServiceProcess> notifier_;
};

TEST_F(WebhookPipelineTest, AnOrdersEventsArriveSignedOncePerEventAndInLogOrder) {
  WebhookReceiver receiver({"--mode", "healthy"});
  ASSERT_NE(receiver.port(), 0);
  const auto registered = HttpRequest(notifier_->port(), "POST", "/webhooks",
                                      json{{"url", receiver.Url("/hook")}, {"events", {"order.*"}}}.dump(),
                                      WithToken({{"Content-Type", "application/json"}}));
  ASSERT_EQ(registered.status, 201) << registered.body;
  const auto endpoint = json::parse(registered.body);
  const std::string secret = endpoint["secret"];
  ASSERT_EQ(secret.rfind("whsec_", 0), 0u);
  // Every notifier instance re-reads the registrations within 3 s; events read before that are not its.
  std::this_thread::sleep_for(4s);

  const auto placed = HttpRequest(
      command_->port(), "POST", "/orders",
      json{{"customerId", "c-1"}, {"items", {{{"productId", "p-1"}, {"quantity", 2}, {"unitPriceCents", 250}}}}}.dump(),
      WithToken({{"Content-Type", "application/json"},
                 {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}));
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = json::parse(placed.body)["orderId"];
  for (const char* status : {"confirmed", "processing"}) {
    ASSERT_EQ(HttpRequest(command_->port(), "PUT", "/orders/" + order_id + "/status", json{{"status", status}}.dump(),
                          WithToken({{"Content-Type", "application/json"}}))
                  .status,
              200);
  }

  ASSERT_TRUE(Eventually([&] { return receiver.Received().size() >= 3; }, 20s)) << notifier_->LogText();
  std::this_thread::sleep_for(500ms);  // nothing more may come
  const auto received = receiver.Received();
  ASSERT_EQ(received.size(), 3u);
  int version = 0;
  for (const auto& request : received) {
    EXPECT_EQ(request["method"], "POST");
    EXPECT_EQ(request["path"], "/hook");
    const auto event = json::parse(request["body"].get<std::string>());
    EXPECT_EQ(event["specversion"], "1.0");
    EXPECT_EQ(event["subject"], order_id);
    EXPECT_EQ(event["datacontenttype"], "application/json");
    EXPECT_EQ(request["headers"]["webhook-id"], event["id"]) << "the event id, the same on every retry";
    EXPECT_EQ(event["data"]["version"], ++version) << "one order's events in log order";
    EXPECT_EQ(receiver.CountOf(event["id"]), 1);
  }
  EXPECT_EQ(json::parse(received[0]["body"].get<std::string>())["type"], "order.placed.v1");
  EXPECT_EQ(json::parse(received[2]["body"].get<std::string>())["type"], "order.status_changed.v1");

  const json deliveries = {{"secret", secret}, {"requests", received}};
  const auto check = RunPythonTool("tests/tools/verify_webhook_signatures.py", "", deliveries.dump());
  if (check.exit_status == 77 && !InfraRequired()) GTEST_SKIP() << check.output;
  EXPECT_EQ(check.exit_status, 0) << check.output;
  EXPECT_NE(check.output.find("3 verified, 0 failed"), std::string::npos) << check.output;

  // Nothing failed, and the client's trace reached the notifier's log with the order's updates.
  const auto failed =
      HttpRequest(notifier_->port(), "GET",
                  "/webhooks/" + endpoint["id"].get<std::string>() + "/deliveries?status=failed", "", WithToken());
  ASSERT_EQ(failed.status, 200) << failed.body;
  EXPECT_TRUE(json::parse(failed.body)["items"].empty()) << failed.body;
  EXPECT_NE(notifier_->LogText().find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos);
}

}  // namespace
}  // namespace orders::testing
