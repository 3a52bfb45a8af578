// One order followed through every service's log by its trace id, the way an
// operator would: the order is placed with a W3C traceparent, the fulfilment
// workflow takes it to confirmed, and the command service (workflow steps),
// the projection (each event applied), the notifier (each update) and its
// webhook dispatch (each attempt) all log that trace id, at debug level. The
// receiver sees it too, in the traceparent of every webhook POST.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/webhook_receiver.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr const char* kTraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// The log lines of `service` (JSON, one per line) whose message is `message` and whose traceId is kTraceId.
int TracedLines(ServiceProcess& service, const std::string& message) {
  int count = 0;
  const std::string text = service.LogText();
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const auto line = json::parse(text.substr(start, end - start), nullptr, false);
    if (line.is_object() && line.value("msg", "") == message && line.value("traceId", "") == kTraceId) {
      ++count;
    }
    start = end + 1;
  }
  return count;
}

class TraceThroughLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    const auto topic = UniqueName("trace-e2e");
    const auto inventory = UniqueName("trace-e2e-inventory");
    ASSERT_EQ(CreateTopic(topic, 3), "");
    ASSERT_EQ(CreateTopic(inventory, 3), "");
    const std::map<std::string, std::string> env = {
        {"ORDERS_TOPIC", topic},
        {"INVENTORY_TOPIC", inventory},
        {"READ_MODEL_SCHEMA", "trace_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand() % 100000)},
        {"CONSUMER_GROUP", UniqueName("trace-e2e")},
        {"DATABASE_URL", DatabaseUrl()},
        {"LOG_LEVEL", "debug"},
        {"WORKFLOW", "on"},
        {"PAYMENT_SIMULATOR_LATENCY_MS", "0"}};
    command_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), env);
    projection_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), env);
    notifier_ = std::make_unique<ServiceProcess>(NotifierBinary(), env);
    for (auto* service : {command_.get(), projection_.get(), notifier_.get()}) {
      ASSERT_TRUE(service->Start()) << service->LogText();
    }
    for (auto* service : {command_.get(), projection_.get(), notifier_.get()}) {
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; }, 30s))
          << service->LogText();
    }
  }

  std::unique_ptr<ServiceProcess> command_;
  std::unique_ptr<ServiceProcess> projection_;
  std::unique_ptr<ServiceProcess> notifier_;
};

TEST_F(TraceThroughLogsTest, AnOrdersTraceIdIsInEveryServicesLogForTheWorkItCausedAndInItsWebhooks) {
  WebhookReceiver receiver({"--mode", "healthy"});
  ASSERT_NE(receiver.port(), 0);
  const auto registered = HttpRequest(notifier_->port(), "POST", "/webhooks",
                                      json{{"url", receiver.Url("/hook")}, {"events", {"order.*"}}}.dump(),
                                      WithToken({{"Content-Type", "application/json"}}));
  ASSERT_EQ(registered.status, 201) << registered.body;
  std::this_thread::sleep_for(4s);  // every notifier picks registrations up within 3 s

  const auto placed = HttpRequest(
      command_->port(), "POST", "/orders",
      json{{"customerId", "c-trace"}, {"items", {{{"productId", "p-trace"}, {"quantity", 1}, {"unitPriceCents", 700}}}}}
          .dump(),
      WithToken({{"Content-Type", "application/json"}, {"traceparent", kTraceParent}}));
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string order_id = json::parse(placed.body)["orderId"];

  // placed, payment authorized, confirmed: three events, each with the placement's trace id.
  ASSERT_TRUE(Eventually([&] { return TracedLines(*projection_, "event applied") >= 3; }, 30s))
      << projection_->LogText();
  EXPECT_GE(TracedLines(*command_, "workflow step"), 2) << command_->LogText();  // authorize, confirm
  ASSERT_TRUE(Eventually([&] { return TracedLines(*notifier_, "update delivered") >= 3; }, 30s))
      << notifier_->LogText();
  ASSERT_TRUE(Eventually([&] { return receiver.Received().size() >= 3; }, 30s)) << notifier_->LogText();
  EXPECT_GE(TracedLines(*notifier_, "webhook attempt"), 3) << notifier_->LogText();
  for (const auto& delivery : receiver.Received()) {
    const std::string traceparent = delivery["headers"].value("traceparent", "");
    EXPECT_NE(traceparent.find(kTraceId), std::string::npos) << "a webhook POST without the order's trace id";
  }
}

}  // namespace
}  // namespace orders::testing
