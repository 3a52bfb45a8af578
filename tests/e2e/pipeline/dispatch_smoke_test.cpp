// A short run of the dispatch benchmark's load tool (tests/bench/dispatch_load.cpp)
// against a real command service and notifier, so the `dispatch` phase of
// ./infra/bench.sh cannot rot between benchmark runs: a few couriers race for
// a few orders over the openDeliveries feed, accepting over REST and over the
// WebSocket `acceptDelivery` command; every order gets exactly one winner and
// every courier's feed shows every order. No figure is judged here.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/service_process.hpp>
#include <orders/testing/test_env.hpp>
#include <orders/testing/tokens.hpp>

namespace orders::testing {
namespace {

using nlohmann::json;

class DispatchLoadSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_KAFKA();
    topic_ = UniqueName("dispatch");
    ASSERT_EQ(CreateTopic(topic_, 6), "");
    command_ = std::make_unique<ServiceProcess>(
        CommandServiceBinary(),
        std::map<std::string, std::string>{{"ORDERS_TOPIC", topic_}, {"CONSUMER_GROUP", UniqueName("dispatch")}});
    ASSERT_TRUE(command_->Start()) << command_->LogText();
    notifier_ = std::make_unique<ServiceProcess>(
        NotifierBinary(),
        std::map<std::string, std::string>{
            {"ORDERS_TOPIC", topic_}, {"COMMAND_API_URL", "http://127.0.0.1:" + std::to_string(command_->port())}});
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    for (auto* service : {command_.get(), notifier_.get()}) {
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; },
                             std::chrono::seconds(30)))
          << service->LogText();
    }
  }

  // Runs the tool; its JSON report (null when it printed none).
  json RunDispatch(const std::string& accept_via) {
    ::setenv("JWT_SECRET", kTestJwtSecret, 1);  // the tool signs the couriers' tokens
    ::setenv("ORDERS_TOKEN", TestToken("dispatch-smoke", "service").c_str(), 1);
    const std::string command = std::string(ORDERS_DISPATCH_LOAD) + " --command-port " +
                                std::to_string(command_->port()) + " --notifier-port " +
                                std::to_string(notifier_->port()) + " --couriers 5 --orders 30 --staff 2" +
                                " --timeout 30 --accept-via " + accept_via + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return json();
    std::string output;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    const int status = ::pclose(pipe);
    std::printf("%s", output.c_str());
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    // The report is the last line that is a JSON object (stderr may come before it).
    std::string report;
    for (std::size_t start = 0; start < output.size();) {
      const auto end = std::min(output.find('\n', start), output.size());
      if (output[start] == '{') report = output.substr(start, end - start);
      start = end + 1;
    }
    return json::parse(report, nullptr, false);
  }

  void ExpectOneWinnerPerOrderSeenByEveryCourier(const json& report) {
    ASSERT_TRUE(report.is_object() && report.contains("winners")) << report.dump();
    EXPECT_EQ(exit_status_, 0);
    EXPECT_EQ(report["winners"]["orders_with_exactly_one_winner"], 30) << report.dump(2);
    EXPECT_EQ(report["winners"]["winner_not_the_orders_courier"], 0) << report.dump(2);
    EXPECT_EQ(report["orders_seen_by_every_courier"], 30) << report.dump(2);
    EXPECT_EQ(report["accepts_answered"], 5 * 30) << "every courier accepted every order; the notifier's log:\n"
                                                  << notifier_->LogText();
    EXPECT_EQ(report["conflicts"], 4 * 30) << "the four losers of each race got 409";
    EXPECT_EQ(report["accept_errors"], 0);
    EXPECT_FALSE(report["timed_out"].get<bool>());
  }

  std::string topic_;
  std::unique_ptr<ServiceProcess> command_, notifier_;
  int exit_status_ = -1;
};

TEST_F(DispatchLoadSmoke, CouriersAcceptingOverRestGetOneWinnerPerOrder) {
  ExpectOneWinnerPerOrderSeenByEveryCourier(RunDispatch("rest"));
}

TEST_F(DispatchLoadSmoke, CouriersAcceptingOverTheWebSocketGetOneWinnerPerOrder) {
  ExpectOneWinnerPerOrderSeenByEveryCourier(RunDispatch("ws"));
}

}  // namespace
}  // namespace orders::testing
