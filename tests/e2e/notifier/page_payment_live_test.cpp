#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <orders/codec/event_codec.hpp>
#include <orders/platform/kafka_producer.hpp>
#include <orders/platform/uuid.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/payment_gateway_stub.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

bool BrowserAvailable() {
  return ::access(SourcePath("tests/e2e/browser/node_modules/playwright-core").c_str(), R_OK) == 0 &&
         ::access("/usr/bin/chromium", X_OK) == 0;
}

// A browser script whose output is read line by line while it runs, so the test can act between
// the steps it reports.
class BrowserScript {
 public:
  BrowserScript(const std::string& name, const std::string& arguments) {
    const std::string command = "node " + SourcePath("tests/e2e/browser/" + name) + " " + arguments + " 2>&1";
    pipe_ = ::popen(command.c_str(), "r");
  }
  ~BrowserScript() { Finish(); }

  // The next line that starts with `prefix`; false when the script ended first.
  bool WaitFor(const std::string& prefix) {
    char buffer[4096];
    while (pipe_ && std::fgets(buffer, sizeof buffer, pipe_)) {
      output_ += buffer;
      if (std::string(buffer).rfind(prefix, 0) == 0) return true;
    }
    return false;
  }
  // Reads the rest; the script's exit status.
  int Finish() {
    if (!pipe_) return status_;
    WaitFor("\x01never");
    status_ = ::pclose(pipe_);
    pipe_ = nullptr;
    return status_;
  }
  const std::string& output() const { return output_; }

 private:
  FILE* pipe_ = nullptr;
  std::string output_;
  int status_ = -1;
};

class PagePaymentLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    if (!BrowserAvailable()) {
      if (InfraRequired()) FAIL() << "playwright-core or chromium is missing (infra/lib/common.sh installs them)";
      GTEST_SKIP() << "playwright-core or chromium is missing; run through ./infra/test.sh";
    }
    topic_ = UniqueName("page-payment");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    auto producer = platform::KafkaProducer::Create({KafkaBrokers(), "page-payment-test", "", {}});
    ASSERT_TRUE(producer) << producer.error().message;
    producer_ = std::move(*producer);
    // No command API is needed: the events come straight from the log.
    notifier_ = std::make_unique<ServiceProcess>(
        NotifierBinary(), std::map<std::string, std::string>{
                              {"ORDERS_TOPIC", topic_}, {"PORT", "0"}, {"COMMAND_API_URL", "http://127.0.0.1:9"}});
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    ASSERT_TRUE(Eventually([&] { return HttpRequest(notifier_->port(), "GET", "/readyz").status == 200; },
                           std::chrono::seconds(30)))
        << notifier_->LogText();
  }

  void TearDown() override {
    if (notifier_) EXPECT_EQ(notifier_->Stop(), 0) << notifier_->LogText();
  }

  // Writes `event` to the topic as the command service would (the codec's CloudEvents record).
  void Produce(const domain::Event& event) {
    const auto record =
        codec::EncodeEvent(event, {platform::NewUuid(), "/tests/page-payment", std::nullopt, std::nullopt});
    std::atomic<bool> done{false};
    ASSERT_TRUE(producer_->Produce(topic_, record.key, record.value, record.headers,
                                   [&](const platform::DeliveryReport&) { done = true; }));
    ASSERT_TRUE(Eventually([&] { return done.load(); }));
  }

  std::string topic_;
  std::unique_ptr<platform::KafkaProducer> producer_;
  std::unique_ptr<ServiceProcess> notifier_;
};

// What the workflow does for a paid order (order.payment_authorized, then the status change to
// confirmed), written to Kafka one event at a time; the customer's page, in Chromium, shows the
// payment authorized while the order is still pending, then confirmed, each live.
TEST_F(PagePaymentLiveTest, CustomerSeesPaymentAuthorizedThenConfirmedLiveInChromium) {
  const std::string id = platform::NewUuid();
  auto placed = Placed(id, std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
  placed.customer_id = "browser-customer";
  Produce(placed);
  ::setenv("ORDERS_CUSTOMER_TOKEN", TestToken("browser-customer", "customer").c_str(), 1);

  BrowserScript script("payment_live.mjs",
                       std::to_string(notifier_->port()) + " " + id + " " + std::string(ORDERS_ARTIFACT_DIR));
  ASSERT_TRUE(script.WaitFor("ready:")) << script.output() << notifier_->LogText();
  Produce(domain::PaymentAuthorized{id, 2, placed.at, "pay_live_1", placed.total_cents});
  ASSERT_TRUE(script.WaitFor("seen: payment authorized")) << script.output() << notifier_->LogText();
  Produce(Changed(3, domain::Status::kPending, domain::Status::kConfirmed, id, placed.at));
  ASSERT_TRUE(script.WaitFor("seen: confirmed")) << script.output() << notifier_->LogText();
  EXPECT_EQ(script.Finish(), 0) << script.output();
  std::printf("%s", script.output().c_str());
}

// The same page with the real fulfilment workflow: the customer places an
// order through the command API; the page shows it awaiting payment (the
// gateway answers 503 until the page is ready), then the workflow's
// authorization and confirmation arrive live.
TEST_F(PagePaymentLiveTest, CustomerSeesTheWorkflowPayAndConfirmTheirOrderInChromium) {
  const auto inventory_topic = UniqueName("page-payment-inventory");
  ASSERT_EQ(CreateTopic(inventory_topic, 6), "");
  PaymentGatewayStub gateway;
  ASSERT_NE(gateway.port(), 0);
  gateway.Script({{"mode", "fail"}, {"times", 100000}, {"status", 503}});
  ServiceProcess command(CommandServiceBinary(), {{"ORDERS_TOPIC", topic_},
                                                  {"INVENTORY_TOPIC", inventory_topic},
                                                  {"PORT", "0"},
                                                  {"WORKFLOW", "on"},
                                                  {"PAYMENT_GATEWAY", "http"},
                                                  {"PAYMENT_URL", gateway.Url()},
                                                  {"PAYMENT_RETRY_ATTEMPTS", "1"}});
  ASSERT_TRUE(command.Start()) << command.LogText();
  ASSERT_TRUE(
      Eventually([&] { return HttpRequest(command.port(), "GET", "/readyz").status == 200; }, std::chrono::seconds(30)))
      << command.LogText();
  const auto token = TestToken("browser-customer", "customer");
  const auto placed = HttpRequest(command.port(), "POST", "/orders",
                                  R"({"items":[{"productId":"tea","quantity":2,"unitPriceCents":450}]})",
                                  {{"Content-Type", "application/json"}, {"Authorization", BearerOf(token)}});
  ASSERT_EQ(placed.status, 201) << placed.body;
  const auto id = nlohmann::json::parse(placed.body).value("orderId", "");
  ::setenv("ORDERS_CUSTOMER_TOKEN", token.c_str(), 1);

  BrowserScript script("payment_live.mjs",
                       std::to_string(notifier_->port()) + " " + id + " " + std::string(ORDERS_ARTIFACT_DIR) + " saga");
  ASSERT_TRUE(script.WaitFor("ready:")) << script.output() << notifier_->LogText();
  gateway.Script({{"mode", "approve"}});
  ASSERT_TRUE(script.WaitFor("seen: confirmed")) << script.output() << command.LogText();
  EXPECT_EQ(script.Finish(), 0) << script.output();
  std::printf("%s", script.output().c_str());
}

}  // namespace
}  // namespace orders::testing
