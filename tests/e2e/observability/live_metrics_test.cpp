// The dashboard and the alert rules of infra/observability against the services as they run: the three
// services on a fresh topic and schema, an order placed and confirmed by the workflow and delivered to a
// webhook receiver (the per-endpoint webhook counters exist only once an endpoint was tried), requests
// refused by the rate limiter (that counter exists only once something was refused), then every metric, label
// and `by` label the queries name must be in their /metrics (tests/tools/check_observability_metrics.py);
// and each service's /metrics must be Prometheus text that promtool accepts.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/webhook_receiver.hpp>
#include <pqxx/pqxx>

namespace orders::testing {
namespace {

using nlohmann::json;

constexpr const char* kCheckTool = "tests/tools/check_observability_metrics.py";
constexpr const char* kQueries = "infra/observability/grafana-dashboard.json infra/observability/alerts.yml";

class LiveMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    ORDERS_REQUIRE_POSTGRES();
    const auto topic = UniqueName("observability");
    const auto inventory_topic = UniqueName("observability-inventory");
    schema_ = "observability_" + std::to_string(::getpid()) + "_" + std::to_string(std::rand() % 100000);
    ASSERT_EQ(CreateTopic(topic, 3), "");
    ASSERT_EQ(CreateTopic(inventory_topic, 3), "");
    // The workflow confirms orders by itself (its metrics exist only when it runs); anonymous callers
    // get one request a second, so a second one in a row is refused.
    const std::map<std::string, std::string> env = {{"ORDERS_TOPIC", topic},
                                                    {"INVENTORY_TOPIC", inventory_topic},
                                                    {"READ_MODEL_SCHEMA", schema_},
                                                    {"CONSUMER_GROUP", UniqueName("observability-group")},
                                                    {"DATABASE_URL", DatabaseUrl()},
                                                    {"WORKFLOW", "on"},
                                                    {"PAYMENT_SIMULATOR_LATENCY_MS", "0"},
                                                    {"RATE_LIMIT", "on"},
                                                    {"RATE_LIMIT_ANONYMOUS", "1/1"}};
    command_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), env);
    projection_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), env);
    for (auto* service : {command_.get(), projection_.get()}) ASSERT_TRUE(service->Start()) << service->LogText();
    auto notifier_env = env;
    notifier_env["COMMAND_API_URL"] = "http://127.0.0.1:" + std::to_string(command_->port());
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

  // Registers an endpoint at a healthy receiver for every order event, and waits until the notifier
  // picked it up (registrations are re-read every few seconds): the order placed next reaches it.
  void RegisterAWebhook() {
    receiver_ = std::make_unique<WebhookReceiver>(std::vector<std::string>{"--mode", "healthy"});
    ASSERT_NE(receiver_->port(), 0);
    const auto registered = HttpRequest(notifier_->port(), "POST", "/webhooks",
                                        json{{"url", receiver_->Url("/hook")}, {"events", {"order.*"}}}.dump(),
                                        WithToken({{"Content-Type", "application/json"}}));
    ASSERT_EQ(registered.status, 201) << registered.body;
    std::this_thread::sleep_for(std::chrono::seconds(4));
  }

  // Places an order and waits until the read model has it confirmed (the workflow's steps and the
  // projection's apply lag then have observations).
  void PlaceAnOrderAndSeeItConfirmed() {
    const auto placed =
        HttpRequest(command_->port(), "POST", "/orders",
                    R"({"customerId":"alice","items":[{"productId":"tea","quantity":2,"unitPriceCents":450}]})",
                    WithToken({{"Content-Type", "application/json"}}));
    ASSERT_EQ(placed.status, 201) << placed.body;
    const auto id = json::parse(placed.body)["orderId"].get<std::string>();
    ASSERT_TRUE(Eventually(
        [&] {
          const auto read = HttpRequest(projection_->port(), "GET", "/orders/" + id, {}, WithToken());
          return read.status == 200 && json::parse(read.body)["status"] == "confirmed";
        },
        std::chrono::seconds(30)))
        << command_->LogText();
  }

  // Anonymous requests in a row until one is answered 429.
  static void BeRateLimited(std::uint16_t port, const std::string& path) {
    int status = 0;
    for (int attempt = 0; attempt < 5 && status != 429; ++attempt) status = HttpRequest(port, "GET", path).status;
    ASSERT_EQ(status, 429) << "anonymous requests over RATE_LIMIT_ANONYMOUS=1/1 on port " << port;
  }

  std::string AllMetrics() {
    std::string text;
    for (auto* service : {command_.get(), projection_.get(), notifier_.get()}) {
      const auto metrics = HttpRequest(service->port(), "GET", "/metrics");
      EXPECT_EQ(metrics.status, 200);
      text += metrics.body;
    }
    return text;
  }

  std::string schema_;
  std::unique_ptr<ServiceProcess> command_, projection_, notifier_;
  std::unique_ptr<WebhookReceiver> receiver_;
};

// `promtool check metrics` (tests/tools/run_promtool.sh) on `text`: its exit status (77: no promtool)
// and output.
std::pair<int, std::string> PromtoolCheckMetrics(const std::string& text) {
  const std::string input = "/tmp/" + UniqueName("metrics") + ".txt";
  std::ofstream(input) << text;
  const std::string command = SourcePath("tests/tools/run_promtool.sh") + " " + SourcePath("infra/observability") +
                              " check metrics < " + input + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {-1, "cannot run " + command};
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  std::remove(input.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// Every line of `text` except the samples (and HELP/TYPE lines) of the metric `name`.
std::string Without(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line, kept;
  while (std::getline(lines, line)) {
    const bool sample = line.rfind(name + "{", 0) == 0 || line.rfind(name + " ", 0) == 0;
    const bool comment = line.find(" " + name + " ") != std::string::npos && line.rfind("#", 0) == 0;
    if (!sample && !comment) kept += line + "\n";
  }
  return kept;
}

TEST_F(LiveMetrics, EveryMetricAndLabelTheDashboardAndAlertRulesQueryIsExportedByTheRunningServices) {
  RegisterAWebhook();
  PlaceAnOrderAndSeeItConfirmed();
  ASSERT_TRUE(Eventually([&] { return !receiver_->Received().empty(); }, std::chrono::seconds(20)))
      << notifier_->LogText();
  BeRateLimited(command_->port(), "/orders/00000000-0000-4000-8000-000000000000");
  BeRateLimited(projection_->port(), "/orders");
  const auto text = AllMetrics();

  const auto result = RunPythonTool(kCheckTool, kQueries, text);
  EXPECT_EQ(result.exit_status, 0) << result.output << "\n---- /metrics of the three services:\n" << text;

  // The same check refuses a metric the services do not export: the consumer lag's samples taken out.
  const auto without_lag = RunPythonTool(kCheckTool, kQueries, Without(text, "projection_consumer_lag"));
  EXPECT_EQ(without_lag.exit_status, 1) << without_lag.output;
  EXPECT_NE(without_lag.output.find("projection_consumer_lag is not exported"), std::string::npos)
      << without_lag.output;
}

// What Prometheus scrapes must parse and pass its linter (names, HELP/TYPE once per family, histogram
// and counter conventions), one service at a time as Prometheus sees them.
TEST_F(LiveMetrics, EachServicesMetricsPassPromtoolsLinter) {
  PlaceAnOrderAndSeeItConfirmed();
  BeRateLimited(projection_->port(), "/orders");
  for (auto* service : {command_.get(), projection_.get(), notifier_.get()}) {
    const auto metrics = HttpRequest(service->port(), "GET", "/metrics");
    ASSERT_EQ(metrics.status, 200);
    const auto [status, output] = PromtoolCheckMetrics(metrics.body);
    if (status == 77) GTEST_SKIP() << output;
    EXPECT_EQ(status, 0) << "port " << service->port() << ": " << output << "\n----\n" << metrics.body;
  }
}

}  // namespace
}  // namespace orders::testing
