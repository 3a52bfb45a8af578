#pragma once
// A real command-service process on its own fresh topic of the real broker.

#include <gtest/gtest.h>

#include <memory>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/topic_reader.hpp>

namespace orders::testing {

class CommandServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("cmd");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    StartService();
  }

  void StartService() {
    service_ = std::make_unique<ServiceProcess>(
        CommandServiceBinary(), std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_},
                                                                   {"KAFKA_BROKERS", KafkaBrokers()}});
    ASSERT_TRUE(service_->Start()) << service_->LogText();
    ASSERT_TRUE(Eventually([&] { return Get("/readyz").status == 200; }, std::chrono::seconds(30)))
        << service_->LogText();
  }

  int StopService() { return service_->Stop(); }

  HttpResponse Post(const std::string& body, std::map<std::string, std::string> headers = {}) {
    return HttpRequest(service_->port(), "POST", "/orders", body, headers);
  }
  HttpResponse Put(const std::string& id, const std::string& body, std::map<std::string, std::string> headers = {}) {
    return HttpRequest(service_->port(), "PUT", "/orders/" + id + "/status", body, headers);
  }
  HttpResponse Get(const std::string& path) { return HttpRequest(service_->port(), "GET", path); }

  static std::string OrderBody(const std::string& customer = "customer-1") {
    return R"({"customerId":")" + customer +
           R"(","items":[{"productId":"sku-1","quantity":2,"unitPriceCents":1250}],"currency":"EUR"})";
  }

  std::string PlaceOrder() {
    auto response = Post(OrderBody());
    EXPECT_EQ(response.status, 201) << response.body;
    return nlohmann::json::parse(response.body, nullptr, false).value("orderId", "");
  }

  std::string topic_;
  std::unique_ptr<ServiceProcess> service_;
};

}  // namespace orders::testing
