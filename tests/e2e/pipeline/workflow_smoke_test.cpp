// A short run of the workflow benchmark's load tool (tests/bench/workflow_load.cpp)
// against a real command service and notifier, so the `workflow` phase of
// ./infra/bench.sh cannot rot between benchmark runs: a few orders placed,
// closed and open loop, each seen `confirmed` on the WebSocket, and the
// tracked products' reservations checked. Also that the tool reports what it
// did not see (orders never confirmed, orders cancelled out of stock) as a
// failure, so a broken workflow cannot pass as a fast one. No figure is judged.
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

class WorkflowLoadSmoke : public ::testing::Test {
 protected:
  void SetUp() override { ORDERS_REQUIRE_KAFKA(); }

  // A command service (WORKFLOW=on|off, payment simulator at 0 ms) and a notifier on fresh topics.
  void StartStack(const std::string& workflow) {
    const auto topic = UniqueName("wf-bench");
    const auto inventory = UniqueName("wf-bench-inventory");
    ASSERT_EQ(CreateTopic(topic, 6), "");
    ASSERT_EQ(CreateTopic(inventory, 6), "");
    command_ = std::make_unique<ServiceProcess>(
        CommandServiceBinary(), std::map<std::string, std::string>{{"ORDERS_TOPIC", topic},
                                                                   {"INVENTORY_TOPIC", inventory},
                                                                   {"WORKFLOW", workflow},
                                                                   {"PAYMENT_SIMULATOR_LATENCY_MS", "0"},
                                                                   {"CONSUMER_GROUP", UniqueName("wf-bench")}});
    ASSERT_TRUE(command_->Start()) << command_->LogText();
    notifier_ =
        std::make_unique<ServiceProcess>(NotifierBinary(), std::map<std::string, std::string>{{"ORDERS_TOPIC", topic}});
    ASSERT_TRUE(notifier_->Start()) << notifier_->LogText();
    for (auto* service : {command_.get(), notifier_.get()}) {
      ASSERT_TRUE(Eventually([&] { return HttpRequest(service->port(), "GET", "/readyz").status == 200; },
                             std::chrono::seconds(30)))
          << service->LogText();
    }
  }

  // Runs the tool; its JSON report (null when it printed none).
  json RunLoad(const std::string& arguments) {
    ::setenv("ORDERS_TOKEN", TestToken("workflow-smoke", "service").c_str(), 1);
    const std::string command = std::string(ORDERS_WORKFLOW_LOAD) + " --command-port " +
                                std::to_string(command_->port()) + " --notifier-port " +
                                std::to_string(notifier_->port()) + " --products 10 --connections 4 " + arguments +
                                " 2>&1";
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

  void ExpectEveryOrderDone(const json& report) {
    ASSERT_TRUE(report.is_object() && report.contains("orders_done")) << report.dump();
    EXPECT_EQ(exit_status_, 0) << report.dump(2);
    EXPECT_TRUE(report["ok"].get<bool>()) << report.dump(2);
    EXPECT_GT(report["orders_placed"].get<int>(), 0);
    EXPECT_EQ(report["orders_done"], report["orders_placed"]) << report.dump(2);
    EXPECT_EQ(report["latency"]["count"], report["orders_placed"]);
    EXPECT_EQ(report["orders_cancelled"], 0);
    EXPECT_EQ(report["orders_never_done"], 0);
    EXPECT_EQ(report["post_errors"], 0);
  }

  std::unique_ptr<ServiceProcess> command_, notifier_;
  int exit_status_ = -1;
};

TEST_F(WorkflowLoadSmoke, ClosedLoopConfirmsEveryOrderAndReservesItsTrackedLine) {
  StartStack("on");
  const auto report = RunLoad("--until confirmed --tracked --in-flight 8 --duration 2 --timeout 30");
  ExpectEveryOrderDone(report);
  EXPECT_EQ(report["tracked_products"], 5);
  EXPECT_TRUE(report["stock_check"]["ok"].get<bool>()) << report.dump(2);
  EXPECT_EQ(report["stock_check"]["reservations_made"], report["orders_placed"])
      << "every order has one line on a tracked product";
}

TEST_F(WorkflowLoadSmoke, OpenLoopPlacesEveryOrderDueAndSeesItConfirmed) {
  StartStack("on");
  const auto report = RunLoad("--until confirmed --tracked --rate 20 --duration 2 --timeout 30");
  ExpectEveryOrderDone(report);
  EXPECT_EQ(report["mode"], "open");
  EXPECT_EQ(report["orders_placed"], 40);
  EXPECT_EQ(report["stock_check"]["reservations_made"], 40);
}

TEST_F(WorkflowLoadSmoke, PlacementBaselineCountsEachOrdersFirstUpdateWithTheWorkflowOff) {
  StartStack("off");
  const auto report = RunLoad("--until placed --in-flight 8 --duration 2 --timeout 30");
  ExpectEveryOrderDone(report);
  EXPECT_TRUE(report["stock_check"].is_null()) << "no product is tracked in the baseline";
}

TEST_F(WorkflowLoadSmoke, PlacementRunOnTrackedProductsDoesNotJudgeReservationsStillToCome) {
  StartStack("on");
  // The run ends at the last placement's update; reservations follow later and are not its business.
  const auto report = RunLoad("--until placed --tracked --in-flight 32 --duration 2 --timeout 30");
  ExpectEveryOrderDone(report);
  EXPECT_TRUE(report["stock_check"].is_null()) << report.dump(2);
}

TEST_F(WorkflowLoadSmoke, OrdersNeverConfirmedFailTheRun) {
  StartStack("off");  // nothing confirms them
  const auto report = RunLoad("--until confirmed --rate 10 --duration 1 --timeout 3");
  ASSERT_TRUE(report.is_object() && report.contains("orders_done")) << report.dump();
  EXPECT_EQ(exit_status_, 1);
  EXPECT_FALSE(report["ok"].get<bool>());
  EXPECT_EQ(report["orders_placed"], 10);
  EXPECT_EQ(report["orders_done"], 0);
  EXPECT_EQ(report["orders_never_done"], 10);
  EXPECT_TRUE(report["timed_out"].get<bool>());
}

TEST_F(WorkflowLoadSmoke, OrdersCancelledOutOfStockFailTheRun) {
  StartStack("on");
  const auto report = RunLoad("--until confirmed --tracked --stock 0 --rate 10 --duration 1 --timeout 30");
  ASSERT_TRUE(report.is_object() && report.contains("orders_done")) << report.dump();
  EXPECT_EQ(exit_status_, 1);
  EXPECT_EQ(report["orders_cancelled"], 10) << report.dump(2);
  EXPECT_EQ(report["orders_done"], 0);
  ASSERT_FALSE(report["failure_samples"].empty());
  EXPECT_EQ(report["failure_samples"][0], "cancelled: out_of_stock");
}

}  // namespace
}  // namespace orders::testing
