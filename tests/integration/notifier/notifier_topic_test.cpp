// Topic subscriptions against the real broker: a command service with the
// fulfilment workflow writes order and inventory events for real commands, and
// WebSocket clients subscribed to `order.*`, `inventory.*` and `*` hear what
// their role may see, each frame checked against schemas/asyncapi.yaml.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

// A metric's value from /metrics (its first series), or -1 when absent.
double MetricValue(std::uint16_t port, const std::string& name) {
  const auto body = HttpRequest(port, "GET", "/metrics").body;
  std::size_t at = 0;
  while ((at = body.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || body[at - 1] == '\n') return std::stod(body.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

class NotifierTopicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("notif-topic");
    inventory_topic_ = UniqueName("notif-topic-inventory");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    ASSERT_EQ(CreateTopic(inventory_topic_, 6), "");
    command_ = std::make_unique<ServiceProcess>(
        CommandServiceBinary(), std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_},
                                                                   {"INVENTORY_TOPIC", inventory_topic_},
                                                                   {"WORKFLOW", "on"},
                                                                   {"PAYMENT_SIMULATOR_LATENCY_MS", "0"},
                                                                   {"CONSUMER_GROUP", UniqueName("notif-topic")}});
    ASSERT_TRUE(command_->Start()) << command_->LogText();
    notifier_ = std::make_unique<ServiceProcess>(
        NotifierBinary(), std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_},
                                                             {"INVENTORY_TOPIC", inventory_topic_},
                                                             {"COMMAND_API_URL", "http://127.0.0.1:9"}});
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    for (auto* service : {command_.get(), notifier_.get()}) {
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; },
                             std::chrono::seconds(30)))
          << service->LogText();
    }
    // Topic subscriptions are live: the inventory feed must be following before the commands run.
    ASSERT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_inventory_following") == 1; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
  }

  std::unique_ptr<WsClient> Open(const std::string& subject, const std::string& role) {
    auto client = std::make_unique<WsClient>();
    EXPECT_EQ(client->Connect(notifier_->port(), "/ws?access_token=" + TestToken(subject, role)), 101);
    return client;
  }
  void Say(WsClient& client, const std::string& text) {
    ASSERT_TRUE(client.SendText(text));
    lines_ += json{{"direction", "send"}, {"message", json::parse(text)}}.dump() + "\n";
  }
  json Hear(WsClient& client, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto message = client.ReceiveJson(timeout);
    if (!message.is_null() && !message.is_discarded()) {
      lines_ += json{{"direction", "receive"}, {"message", message}}.dump() + "\n";
    }
    return message;
  }
  // The topic messages a client hears until one named `last` (or nothing comes for 10 s).
  std::vector<json> HearUntil(WsClient& client, const std::string& last) {
    std::vector<json> heard;
    for (json message = Hear(client); message.is_object(); message = Hear(client)) {
      EXPECT_EQ(message["type"], "message") << message.dump();
      heard.push_back(message);
      if (message["topic"] == last) break;
    }
    return heard;
  }
  static std::vector<std::string> TopicsOf(const std::vector<json>& messages) {
    std::vector<std::string> topics;
    for (const auto& message : messages) topics.push_back(message["topic"]);
    return topics;
  }
  HttpResponse AsRole(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& subject, const std::string& role) {
    return HttpRequest(command_->port(), method, path, body,
                       {{"Authorization", "Bearer " + TestToken(subject, role)}, {"Content-Type", "application/json"}});
  }

  std::string topic_;
  std::string inventory_topic_;
  std::unique_ptr<ServiceProcess> command_;
  std::unique_ptr<ServiceProcess> notifier_;
  std::string lines_;  // every frame both ways, for tests/tools/check_asyncapi.py
};

TEST_F(NotifierTopicTest, OrderAndInventorySubscribersHearTheEventsOfRealCommandsAsTheirRoleMay) {
  auto staff = Open("ops", "staff");
  Say(*staff, R"({"type":"subscribe","topic":"inventory.*"})");
  auto customer = Open("customer-1", "customer");
  Say(*customer, R"({"type":"subscribe","topic":"order.*"})");
  Say(*customer, R"({"type":"subscribe","topic":"order.placed"})");  // overlaps order.*: still once per event
  auto stranger = Open("customer-2", "customer");
  Say(*stranger, R"({"type":"subscribe","topic":"*"})");
  // A pattern that is no event name is refused (only the answer goes into the transcript).
  ASSERT_TRUE(stranger->SendText(R"({"type":"subscribe","topic":"user.created"})"));
  const json refused = Hear(*stranger);
  EXPECT_EQ(refused["code"], "bad_request") << refused.dump();

  // The inventory writer may need a moment to own the product's partition (503 until then).
  ASSERT_TRUE(
      Eventually([&] { return AsRole("PUT", "/inventory/sku-1", R"({"onHand":10})", "ops", "staff").status == 200; },
                 std::chrono::seconds(30)))
      << command_->LogText();
  const auto placed = AsRole("POST", "/orders",
                             R"({"items":[{"productId":"sku-1","quantity":2,"unitPriceCents":1250}],"currency":"EUR"})",
                             "customer-1", "customer");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = json::parse(placed.body)["orderId"];

  // Staff: the stock level, then the workflow's reservation for the order.
  const auto stock = HearUntil(*staff, "inventory.stock_reserved");
  ASSERT_EQ(TopicsOf(stock), (std::vector<std::string>{"inventory.stock_set", "inventory.stock_reserved"}));
  EXPECT_EQ(stock[0]["payload"]["onHand"], 10);
  EXPECT_EQ(stock[1]["payload"]["orderId"], order_id);
  EXPECT_EQ(stock[1]["payload"]["quantity"], 2);

  // The customer: its order's events, in log order, each once.
  const auto events = HearUntil(*customer, "order.status_changed");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front()["topic"], "order.placed");
  EXPECT_EQ(events.back()["topic"], "order.status_changed");
  EXPECT_EQ(events.back()["payload"]["to"], "confirmed");
  std::set<std::string> ids;
  std::int64_t version = 0;
  for (const auto& message : events) {
    EXPECT_EQ(message["payload"]["orderId"], order_id) << message.dump();
    EXPECT_TRUE(ids.insert(message["id"].get<std::string>()).second) << "each event once: " << message.dump();
    EXPECT_GT(message["payload"]["version"].get<std::int64_t>(), version) << "in log order";
    version = message["payload"]["version"];
  }
  const auto topics = TopicsOf(events);
  EXPECT_NE(std::find(topics.begin(), topics.end(), "order.payment_authorized"), topics.end());

  // Another customer: the stock level (anyone may read it), nothing of customer-1's order.
  const json level = Hear(*stranger);
  EXPECT_EQ(level["topic"], "inventory.stock_set") << level.dump();
  EXPECT_FALSE(stranger->Receive(std::chrono::milliseconds(500))) << "nothing of another customer's order";
  EXPECT_FALSE(customer->Receive(std::chrono::milliseconds(300))) << "no duplicate for the overlapping pattern";

  // Unsubscribing from the stream stops it; the order.placed pattern stays.
  Say(*customer, R"({"type":"unsubscribe","topic":"order.*"})");
  Say(*customer, R"({"type":"ping"})");
  EXPECT_EQ(Hear(*customer)["type"], "pong");
  ASSERT_EQ(
      AsRole("PUT", "/orders/" + order_id + "/status", R"({"status":"cancelled"})", "customer-1", "customer").status,
      200);
  const auto second = AsRole("POST", "/orders", R"({"items":[{"productId":"sku-9","quantity":1,"unitPriceCents":5}]})",
                             "customer-1", "customer");
  ASSERT_EQ(second.status, 201) << second.body;
  const json next = Hear(*customer);
  EXPECT_EQ(next["topic"], "order.placed") << "the cancellation is not heard any more: " << next.dump();
  EXPECT_EQ(next["payload"]["orderId"], json::parse(second.body)["orderId"]);

  // Inventory events never reach the order cache: it holds the two orders only.
  EXPECT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_cached_orders") == 2; }));
  EXPECT_EQ(MetricValue(notifier_->port(), "orders_notifier_cached_orders"), 2);
  // stock_set to staff and the stranger, stock_reserved, at least three order events, the second placement.
  EXPECT_GE(MetricValue(notifier_->port(), "orders_notifier_topic_messages_total"), 7);
  const auto check = RunPythonTool("tests/tools/check_asyncapi.py", "schemas/asyncapi.yaml", lines_);
  EXPECT_EQ(check.exit_status, 0) << check.output << "\n" << lines_;
}

// The inventory topic is followed from its end: what it held before the notifier started is not
// replayed to topic subscribers as if it were happening now.
TEST_F(NotifierTopicTest, InventoryEventsFromBeforeTheStartAreNotReplayed) {
  ASSERT_TRUE(
      Eventually([&] { return AsRole("PUT", "/inventory/sku-h", R"({"onHand":5})", "ops", "staff").status == 200; },
                 std::chrono::seconds(30)));
  ASSERT_EQ(notifier_->Stop(), 0);
  ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
  ASSERT_TRUE(Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_inventory_following") == 1; },
                         std::chrono::seconds(30)));
  EXPECT_EQ(MetricValue(notifier_->port(), "orders_notifier_inventory_events_total"), 0) << "no history was read";
  auto staff = Open("ops", "staff");
  Say(*staff, R"({"type":"subscribe","topic":"inventory.*"})");
  ASSERT_EQ(AsRole("PUT", "/inventory/sku-h", R"({"onHand":6})", "ops", "staff").status, 200);
  const json first = Hear(*staff);
  EXPECT_EQ(first["topic"], "inventory.stock_set") << first.dump();
  EXPECT_EQ(first["payload"]["onHand"], 6) << "the level set before the start is history";
  EXPECT_EQ(first["payload"]["version"], 2);
  EXPECT_TRUE(
      Eventually([&] { return MetricValue(notifier_->port(), "orders_notifier_inventory_events_total") == 1; }));
}

// Without an inventory topic the notifier is ready and serves orders; following it is retried in
// the background, and a SIGTERM during a retry's backoff still ends the process at once.
TEST(NotifierInventoryTopicTest, AMissingInventoryTopicNeitherBlocksReadinessNorHoldsUpTheShutdown) {
  ORDERS_REQUIRE_KAFKA();
  const std::string topic = UniqueName("notif-topic");
  ASSERT_EQ(CreateTopic(topic, 3), "");
  ServiceProcess notifier(NotifierBinary(),
                          {{"ORDERS_TOPIC", topic}, {"INVENTORY_TOPIC", UniqueName("never-created")}});
  ASSERT_TRUE(notifier.Start()) << notifier.LogText();
  ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier.port(), "GET", "/readyz").status == 200; },
                         std::chrono::seconds(30)))
      << notifier.LogText();
  EXPECT_EQ(MetricValue(notifier.port(), "orders_notifier_inventory_following"), 0);
  // Backoffs double from 200 ms up to 5 s: wait for a long one.
  ASSERT_TRUE(Eventually([&] { return notifier.LogText().find("\"retryInMs\":3200") != std::string::npos; },
                         std::chrono::seconds(30)))
      << notifier.LogText();
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(notifier.Stop(), 0);
  const auto took = std::chrono::steady_clock::now() - stopping;
  EXPECT_LT(took, std::chrono::milliseconds(2500)) << "the shutdown waited for the backoff";
}

}  // namespace
}  // namespace orders::testing
