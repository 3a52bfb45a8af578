// The notifier's webhook API against schemas/notifier-openapi.yaml with Schemathesis (valid and
// invalid requests, every answer checked against the document; tests/tools/run_schemathesis.py),
// on a real notifier and PostgreSQL, auth on. Endpoints with failed deliveries exist beforehand so
// that the operations on one endpoint meet real ones.

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <orders/notifier/webhooks/pg_webhook_store.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;
namespace webhooks = notifier::webhooks;

constexpr int kMaxExamples = 30;

class NotifierSchemathesisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    topic_ = UniqueName("contract-notifier");
    ASSERT_EQ(CreateTopic(topic_, 1), "");
    schema_ = UniqueName("contract-webhooks");
    std::replace(schema_.begin(), schema_.end(), '-', '_');
    notifier_ = std::make_unique<ServiceProcess>(
        NotifierBinary(), std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_},
                                                             {"COMMAND_API_URL", "http://127.0.0.1:9"},
                                                             {"WEBHOOK_SCHEMA", schema_},
                                                             {"DATABASE_URL", DatabaseUrl()},
                                                             {"JWT_SECRET", kTestJwtSecret}});
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    SeedEndpoints();
  }

  std::string Register(const std::string& name) {
    const json body = {{"url", "http://127.0.0.1:9/" + name}, {"events", {"order.*"}}, {"description", name}};
    const auto answer = HttpRequest(notifier_->port(), "POST", "/webhooks", body.dump(),
                                    WithToken({{"Content-Type", "application/json"}}));
    EXPECT_EQ(answer.status, 201) << answer.body;
    return json::parse(answer.body, nullptr, false).value("id", "");
  }

  // Two endpoints with failed deliveries (what the dispatcher leaves after the last retry), and
  // disposable ones for DELETE.
  void SeedEndpoints() {
    auto ledger = webhooks::MakePgDeliveryLedger({DatabaseUrl(), schema_, 1000});
    const auto at = std::chrono::system_clock::now() - std::chrono::hours(1);
    for (int e = 0; e < 2; ++e) {
      const std::string id = Register("kept-" + std::to_string(e));
      webhooks_.push_back(id);
      for (int i = 0; i < 30; ++i) {
        webhooks::Delivery delivery;
        delivery.endpoint_id = id;
        delivery.event_id = "evt-" + std::to_string(i);
        delivery.event_type = "order.placed";
        delivery.subject = "order-" + std::to_string(i % 4);
        delivery.topic = topic_;
        delivery.offset = i;
        delivery.body = R"({"specversion":"1.0"})";
        delivery.event_time = at + std::chrono::seconds(i);
        delivery.status = i % 3 == 0 ? webhooks::DeliveryStatus::kPending : webhooks::DeliveryStatus::kFailed;
        delivery.attempts = i % 8;
        delivery.next_attempt_at = at + std::chrono::hours(2);
        delivery.last_http_status = i % 2 ? 500 : 0;
        delivery.last_error = i % 2 ? "HTTP 500" : "timeout";
        ledger->Keep(delivery);
      }
    }
    for (int d = 0; d < 10; ++d) disposable_.push_back(Register("disposable-" + std::to_string(d)));
  }

  void TearDown() override {
    if (notifier_) {
      EXPECT_EQ(notifier_->Stop(), 0) << notifier_->LogText();
    }
  }

  std::string topic_;
  std::string schema_;
  std::vector<std::string> webhooks_;
  std::vector<std::string> disposable_;
  std::unique_ptr<ServiceProcess> notifier_;
};

TEST_F(NotifierSchemathesisTest, WebhookApiAnswersAsItsOpenApiDocumentSays) {
  const json input = {{"jwtSecret", kTestJwtSecret}, {"webhooks", webhooks_}, {"disposableWebhooks", disposable_}};
  const auto result =
      RunPythonTool("tests/tools/run_schemathesis.py",
                    "schemas/notifier-openapi.yaml --url http://127.0.0.1:" + std::to_string(notifier_->port()) +
                        " --max-examples " + std::to_string(kMaxExamples),
                    input.dump());
  if (result.exit_status == 77 && !InfraRequired()) GTEST_SKIP() << result.output;
  EXPECT_EQ(result.exit_status, 0) << result.output;
}

}  // namespace
}  // namespace orders::testing
