// Property-based contract tests: Schemathesis generates requests from each OpenAPI document, valid and
// invalid ones, and checks every answer against the document (tests/tools/run_schemathesis.py says
// which checks). Both services run with auth on; the runner sends a `service` token.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <pqxx/pqxx>

namespace orders::testing {
namespace {

using nlohmann::json;

// Requests per operation and mode; with both services on two cores each run stays well under a minute.
constexpr int kMaxExamples = 30;

class SchemathesisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    topic_ = UniqueName("contract");
    schema_ = "contract_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand() % 100000);
    ASSERT_EQ(CreateTopic(topic_, 3), "");
    inventory_topic_ = UniqueName("contract-inventory");
    ASSERT_EQ(CreateTopic(inventory_topic_, 3), "");
    const std::map<std::string, std::string> env = {
        {"ORDERS_TOPIC", topic_},        {"INVENTORY_TOPIC", inventory_topic_},
        {"READ_MODEL_SCHEMA", schema_},  {"CONSUMER_GROUP", UniqueName("contract-group")},
        {"DATABASE_URL", DatabaseUrl()}, {"JWT_SECRET", kTestJwtSecret}};
    command_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), env);
    projection_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), env);
    for (auto* service : {command_.get(), projection_.get()}) {
      ASSERT_TRUE(service->Start()) << service->LogText();
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; },
                             std::chrono::seconds(30)))
          << service->LogText();
    }
    SeedOrders();
    SeedStock();
  }

  // A tracked product, which also waits for the inventory writer: /readyz does not cover the
  // inventory stream, and a valid PUT answered 503 would count as valid data refused.
  void SeedStock() {
    const std::map<std::string, std::string> headers = {{"Authorization", BearerOf(TestToken("seed", "service"))},
                                                        {"Content-Type", "application/json"}};
    ASSERT_TRUE(Eventually(
        [&] {
          return HttpRequest(command_->port(), "PUT", "/inventory/sku-0", R"({"onHand":5})", headers).status == 200;
        },
        std::chrono::seconds(30)))
        << command_->LogText();
  }

  void TearDown() override {
    for (auto* service : {command_.get(), projection_.get()}) {
      if (service) EXPECT_EQ(service->Stop(), 0) << service->LogText();
    }
    if (!schema_.empty() && PostgresReachable()) {
      pqxx::connection connection(DatabaseUrl());
      pqxx::work work(connection);
      work.exec0("DROP SCHEMA IF EXISTS " + work.quote_name(schema_) + " CASCADE");
      work.commit();
    }
  }

  // Orders in several statuses and two currencies, in both services, so that the generated requests
  // meet real orders and the reports have rows.
  void SeedOrders() {
    const std::map<std::string, std::string> auth = {{"Authorization", BearerOf(TestToken("seed", "service"))},
                                                     {"Content-Type", "application/json"}};
    const std::vector<std::vector<std::string>> paths = {
        {}, {"confirmed"}, {"confirmed", "processing", "shipped", "out_for_delivery", "delivered"}, {"cancelled"}};
    for (std::size_t i = 0; i < paths.size(); ++i) {
      const json body = {
          {"customerId", "customer-" + std::to_string(i)},
          {"items", {{{"productId", "sku-" + std::to_string(i)}, {"quantity", 2}, {"unitPriceCents", 250}}}},
          {"currency", i % 2 ? "EUR" : "USD"}};
      auto response = HttpRequest(command_->port(), "POST", "/orders", body.dump(), auth);
      ASSERT_EQ(response.status, 201) << response.body;
      json order = json::parse(response.body);
      for (const auto& status : paths[i]) {
        response = HttpRequest(command_->port(), "PUT", "/orders/" + order["orderId"].get<std::string>() + "/status",
                               json{{"status", status}}.dump(), auth);
        ASSERT_EQ(response.status, 200) << response.body;
        order = json::parse(response.body);
      }
      orders_.push_back({{"orderId", order["orderId"]}, {"version", order["version"]}});
    }
    for (const auto& order : orders_) {
      const auto path = "/orders/" + order["orderId"].get<std::string>() +
                        "?minVersion=" + std::to_string(order["version"].get<int>());
      const auto response = HttpRequest(projection_->port(), "GET", path, "", auth);
      ASSERT_EQ(response.status, 200) << path << " " << response.body;
    }
  }

  ToolResult RunSchemathesis(const std::string& document, std::uint16_t port) {
    const json input = {{"jwtSecret", kTestJwtSecret}, {"orders", orders_}};
    return RunPythonTool("tests/tools/run_schemathesis.py",
                         document + " --url http://127.0.0.1:" + std::to_string(port) + " --max-examples " +
                             std::to_string(kMaxExamples),
                         input.dump());
  }

  // 77: Schemathesis is not installed (./infra/test.sh installs it).
  void Expect(const ToolResult& result) {
    if (result.exit_status == 77 && !InfraRequired()) GTEST_SKIP() << result.output;
    EXPECT_EQ(result.exit_status, 0) << result.output;
  }

  std::string topic_;
  std::string inventory_topic_;
  std::string schema_;
  json orders_ = json::array();
  std::unique_ptr<ServiceProcess> command_, projection_;
};

TEST_F(SchemathesisTest, CommandApiAnswersAsItsOpenApiDocumentSays) {
  Expect(RunSchemathesis("schemas/openapi.yaml", command_->port()));
}

TEST_F(SchemathesisTest, QueryApiAnswersAsItsOpenApiDocumentSays) {
  Expect(RunSchemathesis("schemas/query-openapi.yaml", projection_->port()));
}

}  // namespace
}  // namespace orders::testing
