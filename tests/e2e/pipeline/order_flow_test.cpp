#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <pqxx/pqxx>

#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/loopback.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/ws_client.hpp>

namespace orders::testing {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The whole platform: command-service, projection-service and notifier on one
// fresh topic and one fresh read-model schema.
class OrderFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    topic_ = UniqueName("e2e");
    schema_ = "e2e_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand() % 100000);
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    inventory_topic_ = UniqueName("e2e-inventory");
    ASSERT_EQ(CreateTopic(inventory_topic_, 6), "");
    // These stories confirm orders by hand (on the board, or PUT status): the fulfilment workflow is
    // off for every service, so the notifier's page offers the manual confirm too.
    const std::map<std::string, std::string> env = {{"ORDERS_TOPIC", topic_},
                                                    {"READ_MODEL_SCHEMA", schema_},
                                                    {"CONSUMER_GROUP", UniqueName("e2e-group")},
                                                    {"DATABASE_URL", DatabaseUrl()},
                                                    {"INVENTORY_TOPIC", inventory_topic_},
                                                    {"WORKFLOW", "off"}};
    // Each side names the other's origin: the APIs allow the page's origin (PAGE_PORT), and the page may
    // call the command API's test port (PAGE_API_ORIGINS), so the notifier's port is chosen first.
    const std::uint16_t page_port = FreePort();
    auto api_env = env;
    api_env["PAGE_PORT"] = std::to_string(page_port);
    command_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), api_env);
    projection_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), api_env);
    for (auto* service : {command_.get(), projection_.get()}) {
      ASSERT_TRUE(service->Start()) << service->LogText();
    }
    // The page may call the command API only on its own host's service ports
    // or on configured origins; here the command service has a test port.
    auto notifier_env = env;
    notifier_env["PORT"] = std::to_string(page_port);
    // The staff board's stock panel calls the query API (the projection's test port) too.
    notifier_env["PAGE_API_ORIGINS"] = "http://127.0.0.1:" + std::to_string(command_->port()) +
                                       ",http://127.0.0.1:" + std::to_string(projection_->port());
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), notifier_env);
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    for (auto* service : {command_.get(), projection_.get(), notifier_.get()}) {
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; },
                             std::chrono::seconds(30)))
          << service->LogText();
    }
  }

  void TearDown() override {
    for (auto* service : {command_.get(), projection_.get(), notifier_.get()}) {
      if (service) {
        EXPECT_EQ(service->Stop(), 0) << service->LogText();
      }
    }
    if (!schema_.empty() && PostgresReachable()) {
      pqxx::connection connection(DatabaseUrl());
      pqxx::work work(connection);
      work.exec0("DROP SCHEMA IF EXISTS " + work.quote_name(schema_) + " CASCADE");
      work.commit();
    }
  }

  std::string topic_;
  std::string inventory_topic_;
  std::string schema_;
  std::unique_ptr<ServiceProcess> command_, projection_, notifier_;
};

TEST_F(OrderFlowTest, OrderFlowsFromHttpToWebSocketAndReadModelWithinASecond) {
  WsClient board;
  ASSERT_EQ(board.Connect(notifier_->port(), "/ws", WithToken({}, "staff")), 101);
  board.SendText(R"({"type":"subscribe","all":true})");
  ASSERT_EQ(board.ReceiveJson()["type"], "snapshot");

  // How long a live update may take before the test calls it lost. A liveness bound, not a speed
  // target (latency is measured by ./infra/bench.sh; the figures below are only printed).
  constexpr auto kLiveness = std::chrono::seconds(10);

  // Place an order: the staff board sees it live.
  const auto placed_at = Clock::now();
  const auto created =
      HttpRequest(command_->port(), "POST", "/orders",
                  R"({"customerId":"alice","items":[{"productId":"tea","quantity":2,"unitPriceCents":450}]})",
                  WithToken({}, "staff"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = json::parse(created.body)["orderId"];
  const auto placed_update = board.ReceiveJson(kLiveness);
  const double placed_ms = MillisecondsSince(placed_at);
  ASSERT_EQ(placed_update["type"], "update") << placed_update.dump();
  EXPECT_EQ(placed_update["orderId"], id);
  EXPECT_EQ(placed_update["version"], 1);
  EXPECT_TRUE(placed_update["previousStatus"].is_null());

  // A customer subscribes right after the POST returned: snapshot, no not_found.
  WsClient customer;
  // As the tracking page does: the customer's token in the query (browsers cannot set WebSocket headers).
  const std::string alice = TestToken("alice", "customer");
  ASSERT_EQ(customer.Connect(notifier_->port(), "/ws?access_token=" + alice), 101);
  customer.SendText(json{{"type", "subscribe"}, {"orderId", id}}.dump());
  const auto snapshot = customer.ReceiveJson(kLiveness);
  ASSERT_EQ(snapshot["type"], "snapshot") << snapshot.dump();
  EXPECT_EQ(snapshot["order"]["status"], "pending");

  // Advance the order: the customer sees the status change live.
  const auto confirmed_at = Clock::now();
  const auto confirmed =
      HttpRequest(command_->port(), "PUT", "/orders/" + id + "/status", R"({"status":"confirmed","reason":"paid"})",
                  WithToken({{"If-Match", "\"1\""}}, "staff"));
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  const auto update = customer.ReceiveJson(kLiveness);
  const double confirmed_ms = MillisecondsSince(confirmed_at);
  ASSERT_EQ(update["type"], "update") << update.dump();
  EXPECT_EQ(update["version"], 2);
  EXPECT_EQ(update["status"], "confirmed");
  EXPECT_EQ(update["previousStatus"], "pending");
  EXPECT_EQ(update["reason"], "paid");

  // The read model has it, through the query API and in the tables.
  const auto read_at = Clock::now();
  const auto read = HttpRequest(projection_->port(), "GET", "/orders/" + id + "?minVersion=2", {},
                                {{"Authorization", BearerOf(alice)}});
  const double read_ms = MillisecondsSince(read_at);
  ASSERT_EQ(read.status, 200) << read.body;
  const auto order = json::parse(read.body);
  EXPECT_EQ(order["status"], "confirmed");
  EXPECT_EQ(order["totalCents"], 900);
  ASSERT_EQ(order["history"].size(), 2u);
  EXPECT_EQ(order["history"][1]["reason"], "paid");

  pqxx::connection connection(DatabaseUrl());
  pqxx::work work(connection);
  const auto row = work.exec1("SELECT status, version, customer_id FROM " + work.quote_name(schema_) +
                              ".orders WHERE order_id = " + work.quote(id));
  EXPECT_EQ(row[0].as<std::string>(), "confirmed");
  EXPECT_EQ(row[1].as<int>(), 2);
  EXPECT_EQ(row[2].as<std::string>(), "alice");

  // Steady state: one more change, read back through minVersion.
  const auto shipped_at = Clock::now();
  ASSERT_EQ(HttpRequest(command_->port(), "PUT", "/orders/" + id + "/status", R"({"status":"shipped"})",
                        WithToken({}, "staff"))
                .status,
            200);
  const auto shipped = HttpRequest(projection_->port(), "GET", "/orders/" + id + "?minVersion=3", {},
                                   {{"Authorization", BearerOf(alice)}});
  const double shipped_ms = MillisecondsSince(shipped_at);
  ASSERT_EQ(shipped.status, 200);
  EXPECT_EQ(json::parse(shipped.body)["status"], "shipped");

  std::printf(
      "e2e: POST->board update %.1f ms, PUT->customer update %.1f ms, read model at v2 after %.1f ms, "
      "PUT->read model at v3 %.1f ms\n",
      placed_ms, confirmed_ms, read_ms, shipped_ms);
}

bool BrowserAvailable() {
  return ::access(SourcePath("tests/e2e/browser/node_modules/playwright-core").c_str(), R_OK) == 0 &&
         ::access("/usr/bin/chromium", X_OK) == 0;
}

#define ORDERS_REQUIRE_BROWSER()                                                                                   \
  do {                                                                                                             \
    if (!BrowserAvailable()) {                                                                                     \
      if (InfraRequired()) FAIL() << "playwright-core or chromium is missing (infra/lib/common.sh installs them)"; \
      GTEST_SKIP() << "playwright-core or chromium is missing; run through ./infra/test.sh";                       \
    }                                                                                                              \
  } while (false)

// Runs a script of tests/e2e/browser with node; its exit status and output.
std::pair<int, std::string> RunBrowserScript(const std::string& name, const std::string& arguments) {
  const std::string command = "node " + SourcePath("tests/e2e/browser/" + name) + " " + arguments + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  return {::pclose(pipe), output};
}

TEST_F(OrderFlowTest, PageCreatesAndAdvancesAnOrderAndTheCustomerViewFollowsInChromium) {
  ORDERS_REQUIRE_BROWSER();
  const std::string screenshot = std::string(ORDERS_ARTIFACT_DIR) + "/page-customer-view.png";
  // Tokens travel in the environment, as secrets should, not on the command line.
  ::setenv("ORDERS_STAFF_TOKEN", TestToken("ops", "staff").c_str(), 1);
  ::setenv("ORDERS_CUSTOMER_TOKEN", TestToken("browser-customer", "customer").c_str(), 1);
  // A tracked product for the board's stock panel (read from the query API).
  ASSERT_TRUE(Eventually(
      [&] {
        return HttpRequest(command_->port(), "PUT", "/inventory/e2e-tea", R"({"onHand":7})",
                           WithToken({{"Content-Type", "application/json"}}, "staff"))
                   .status == 200;
      },
      std::chrono::seconds(30)))
      << command_->LogText();
  std::string levels;
  ASSERT_TRUE(Eventually(
      [&] {
        levels = HttpRequest(projection_->port(), "GET", "/inventory", {}, WithToken({}, "staff")).body;
        return levels.find("e2e-tea") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << levels << projection_->LogText();
  const auto [status, output] =
      RunBrowserScript("page_flow.mjs", std::to_string(command_->port()) + " " + std::to_string(notifier_->port()) +
                                            " " + screenshot + " " + std::to_string(projection_->port()));
  EXPECT_EQ(status, 0) << output << command_->LogText() << notifier_->LogText();
  std::printf("%s", output.c_str());
  EXPECT_EQ(::access(screenshot.c_str(), R_OK), 0);
}

// The delivery story through the page, one browser context per person: a customer places an order with
// several lines, staff confirm it on the board, a courier sees it open, accepts, picks it up and delivers
// it, and the customer's view follows each step; a declined delivery leaves the courier's open list, and
// staff assign it from the board. Screenshots of each view go to the artifacts folder.
TEST_F(OrderFlowTest, PageDeliveryStoryCustomerCourierAndStaffEachSeeEveryStepInChromium) {
  ORDERS_REQUIRE_BROWSER();
  ::setenv("ORDERS_STAFF_TOKEN", TestToken("ops", "staff").c_str(), 1);
  ::setenv("ORDERS_CUSTOMER_TOKEN", TestToken("browser-customer", "customer").c_str(), 1);
  ::setenv("ORDERS_COURIER_TOKEN", TestToken("browser-courier", "courier").c_str(), 1);
  const auto [status, output] =
      RunBrowserScript("delivery_flow.mjs", std::to_string(command_->port()) + " " + std::to_string(notifier_->port()) +
                                                " " + ORDERS_ARTIFACT_DIR);
  EXPECT_EQ(status, 0) << output << command_->LogText() << notifier_->LogText();
  std::printf("%s", output.c_str());
  EXPECT_EQ(::access((std::string(ORDERS_ARTIFACT_DIR) + "/delivery-customer.png").c_str(), R_OK), 0);
}

// A network that blocks WebSockets: the page falls back to server-sent events (GET /events), shows it, and
// still follows an order placed and advanced through the command API live, tracking it with lastEventId.
TEST_F(OrderFlowTest, PageFallsBackToServerSentEventsWhereWebSocketsAreBlockedInChromium) {
  ORDERS_REQUIRE_BROWSER();
  ::setenv("ORDERS_STAFF_TOKEN", TestToken("ops", "staff").c_str(), 1);
  ::setenv("ORDERS_CUSTOMER_TOKEN", TestToken("browser-customer", "customer").c_str(), 1);
  const auto [status, output] =
      RunBrowserScript("sse_fallback.mjs", std::to_string(command_->port()) + " " + std::to_string(notifier_->port()) +
                                               " " + ORDERS_ARTIFACT_DIR);
  EXPECT_EQ(status, 0) << output << command_->LogText() << notifier_->LogText();
  std::printf("%s", output.c_str());
}

TEST_F(OrderFlowTest, PageRefusesAForeignApiOriginAndNoRequestLeavesForItInChromium) {
  ORDERS_REQUIRE_BROWSER();
  ::setenv("ORDERS_STAFF_TOKEN", TestToken("ops", "staff").c_str(), 1);
  const auto [status, output] = RunBrowserScript("page_api_origin.mjs", std::to_string(notifier_->port()));
  EXPECT_EQ(status, 0) << output << notifier_->LogText();
  std::printf("%s", output.c_str());
}

}  // namespace
}  // namespace orders::testing
