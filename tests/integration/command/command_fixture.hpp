#pragma once
// A real command-service process on its own fresh topic of the real broker,
// with a state store (COMMAND_STATE_DIR) as ./infra/run.sh runs it: the
// fixture's own directory, so a restart (StartService again) is the same
// instance resuming from its store; removed with the fixture. A test names
// another directory in extra_env_, or sets replay_without_store_.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/run_tool.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>
#include <orders/testing/topic_reader.hpp>

namespace orders::testing {

class CommandServiceTest : public ::testing::Test {
 protected:
  ~CommandServiceTest() override {
    service_.reset();  // stops the process before its store goes
    if (!own_state_dir_.empty()) std::filesystem::remove_all(own_state_dir_);
  }

  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("cmd");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    inventory_topic_ = UniqueName("cmd-inventory");
    ASSERT_EQ(CreateTopic(inventory_topic_, 6), "");
    StartService();
  }

  void StartService() {
    auto env = extra_env_;
    env["ORDERS_TOPIC"] = topic_;
    env["INVENTORY_TOPIC"] = inventory_topic_;
    env["KAFKA_BROKERS"] = KafkaBrokers();
    if (replay_without_store_) {
      env = WithoutStateStore(std::move(env));
    } else if (!env.count("COMMAND_STATE_DIR")) {
      env["COMMAND_STATE_DIR"] = OwnStateDir();
    }
    service_ = std::make_unique<ServiceProcess>(CommandServiceBinary(), env);
    ASSERT_TRUE(service_->Start()) << service_->LogText();
    ASSERT_TRUE(Eventually([&] { return Get("/readyz").status == 200; }, std::chrono::seconds(30)))
        << service_->LogText();
  }

  int StopService() { return service_->Stop(); }

  // The directory every start of this fixture's service uses (made on first use).
  const std::string& OwnStateDir() {
    if (own_state_dir_.empty()) {
      static std::atomic<int> counter{0};
      own_state_dir_ = (std::filesystem::temp_directory_path() /
                        ("orders-test-command-fixture-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                           .string();
      std::filesystem::remove_all(own_state_dir_);
    }
    return own_state_dir_;
  }

  // Requests carry a service token unless they bring their own Authorization or send_token_ is off.
  HttpResponse Post(const std::string& body, std::map<std::string, std::string> headers = {}) {
    return HttpRequest(service_->port(), "POST", "/orders", body, Authorized(std::move(headers)));
  }
  HttpResponse Put(const std::string& id, const std::string& body, std::map<std::string, std::string> headers = {}) {
    return HttpRequest(service_->port(), "PUT", "/orders/" + id + "/status", body, Authorized(std::move(headers)));
  }
  HttpResponse Get(const std::string& path) { return HttpRequest(service_->port(), "GET", path, {}, Authorized({})); }
  std::map<std::string, std::string> Authorized(std::map<std::string, std::string> headers) const {
    return send_token_ ? WithToken(std::move(headers)) : headers;
  }

  static std::string OrderBody(const std::string& customer = "customer-1") {
    return R"({"customerId":")" + customer +
           R"(","items":[{"productId":"sku-1","quantity":2,"unitPriceCents":1250}],"currency":"EUR"})";
  }

  std::string PlaceOrder() {
    auto response = Post(OrderBody());
    EXPECT_EQ(response.status, 201) << response.body;
    return nlohmann::json::parse(response.body, nullptr, false).value("orderId", "");
  }

  // One JSON line describing an exchange, for CheckOpenApi.
  static std::string Observation(const std::string& method, const std::string& path, const HttpResponse& response) {
    return nlohmann::json{{"method", method},
                          {"path", path},
                          {"status", response.status},
                          {"contentType", response.Header("content-type")}}
               .dump() +
           "\n";
  }

  // Checks the observations against schemas/openapi.yaml (tests/tools/check_openapi.py).
  static ToolResult CheckOpenApi(const std::string& observations, const std::string& arguments) {
    return RunPythonTool("tests/tools/check_openapi.py", "schemas/openapi.yaml " + arguments, observations);
  }

  std::map<std::string, std::string> extra_env_;  // set before SetUp
  bool replay_without_store_ = false;             // no state store: every start replays both topics whole
  bool send_token_ = true;                        // off in tests of what happens without one
  // Stock levels: PUT /inventory/{productId} as the caller of `headers` (the service token by default).
  HttpResponse PutStock(const std::string& product, const std::string& body,
                        std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}}) {
    return HttpRequest(service_->port(), "PUT", "/inventory/" + product, body, Authorized(std::move(headers)));
  }

  // The inventory stream is not part of /readyz (orders work without its topic): waits until this
  // instance writes `product`'s partition by setting its level.
  void AwaitInventoryWriter(const std::string& product, const std::string& body = R"({"onHand":0})") {
    ASSERT_TRUE(Eventually([&] { return PutStock(product, body).status == 200; }, std::chrono::seconds(30)))
        << service_->LogText();
  }

  std::string topic_;
  std::string inventory_topic_;
  std::unique_ptr<ServiceProcess> service_;
  std::string own_state_dir_;
};

}  // namespace orders::testing
