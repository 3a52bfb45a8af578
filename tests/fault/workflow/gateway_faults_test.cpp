// The payment gateway failing under load, each scenario ending with the
// invariant checker: 500s for a while, a gateway that hangs past the request
// timeout, one that answers after the order's deadline, and the command
// service killed between the gateway's answer and the event's append. The
// gateway is the HTTP stub (its own process); it counts requests and charges
// per Idempotency-Key (= orderId), so "one charge per order" is measured at the
// gateway, not inferred from the log.
#include <algorithm>
#include <cstdio>
#include <set>

#include <orders/testing/eventually.hpp>

#include "order_stream.hpp"
#include "workflow_fixture.hpp"

namespace orders::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::set<std::string> Keys(const json& counts) {
  std::set<std::string> keys;
  for (const auto& [key, count] : counts.items()) keys.insert(key);
  return keys;
}

TEST_F(WorkflowUnderFaults, GatewayAnswering500sThenRecoveringConfirmsEveryOrderWithOneChargePerKey) {
  constexpr int kOrders = 80;
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  Mark("stock set");
  gateway_->Script({{"mode", "fail"}, {"status", 500}});
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();
  // The outage lasts until the gateway has refused at least 20 requests of at least 10 orders (the
  // open circuit lets about one through every PAYMENT_BREAKER_OPEN_MS).
  ASSERT_TRUE(Eventually(
      [&] {
        const auto calls = gateway_->Calls();
        return calls.value("total", 0) >= 20 && calls["requests"].size() >= 10;
      },
      60s, 50ms))
      << gateway_->Calls().dump();
  const auto refused = gateway_->Calls();
  gateway_->Script({{"mode", "approve"}});
  Mark("the gateway recovered");

  ASSERT_TRUE(load.WaitUntilPlaced(60s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders)) << load.Surprises().size() << " unexpected answers";
  ASSERT_TRUE(WaitUntilSettled(ids, 90s)) << WhyUnsettled(ids);

  const auto outcome = ExpectEveryOrderConfirmedOnce(ids);
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  EXPECT_EQ(refused["charges"].size(), 0u) << "nothing was charged while the gateway answered 500";
  ExpectReservedOnceEach(ids, kTrackedProduct);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf("gateway 500s: %d requests refused for %zu orders during the outage; then %s of %d; gateway %s\n%s\n",
              refused.value("total", 0), refused["requests"].size(), Describe(outcome, ids).c_str(), kOrders,
              SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

TEST_F(WorkflowUnderFaults, GatewayHangingPastTheRequestTimeoutThenRecoveringConfirmsEveryOrderWithOneChargePerKey) {
  constexpr int kOrders = 60;
  command_env_["PAYMENT_REQUEST_TIMEOUT_MS"] = "400";
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  Mark("stock set");
  // Accepts every request and answers nothing for 5 s: each attempt ends at the adapter's timeout.
  gateway_->Script({{"mode", "hang"}, {"ms", 5000}});
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();
  ASSERT_TRUE(Eventually(
      [&] {
        const auto calls = gateway_->Calls();
        return calls.value("total", 0) >= 20 && calls["requests"].size() >= 10;
      },
      60s, 50ms))
      << gateway_->Calls().dump();
  const auto hung = gateway_->Calls();
  gateway_->Script({{"mode", "approve"}});

  ASSERT_TRUE(load.WaitUntilPlaced(60s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
  ASSERT_TRUE(WaitUntilSettled(ids, 90s)) << WhyUnsettled(ids);

  const auto outcome = ExpectEveryOrderConfirmedOnce(ids);
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  EXPECT_EQ(hung["charges"].size(), 0u);
  ExpectReservedOnceEach(ids, kTrackedProduct);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf("gateway hanging: %d requests timed out for %zu orders; then %s of %d; gateway %s\n%s\n",
              hung.value("total", 0), hung["requests"].size(), Describe(outcome, ids).c_str(), kOrders,
              SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

// The gateway takes longer than the order's deadline to authorize: every
// order is cancelled payment_timeout (and its stock released), and the late
// authorization, once it arrives, is recorded and refunded exactly once.
TEST_F(WorkflowUnderFaults, GatewayAnsweringAfterTheDeadlineCancelsEveryOrderAndRefundsEachLateAuthorizationOnce) {
  constexpr int kOrders = 40;
  payment_timeout_ = 2s;
  command_env_["PAYMENT_REQUEST_TIMEOUT_MS"] = "10000";
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  Mark("stock set");
  gateway_->Script({{"mode", "slow"}, {"ms", 3500}});  // 1.5 s past the deadline
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();
  ASSERT_TRUE(load.WaitUntilPlaced(60s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
  ASSERT_TRUE(WaitUntilSettled(ids, 90s)) << WhyUnsettled(ids);
  // Cancelled before the gateway answered: settled once every late authorization is in and refunded.
  Eventually(
      [&] {
        const auto outcome = ReadOrdersOutcome(topic_);
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
          return outcome.orders.count(id) && outcome.orders.at(id).refunded >= 1;
        });
      },
      30s, 250ms);

  const auto outcome = ReadOrdersOutcome(topic_);
  EXPECT_EQ(outcome.Count(ids, domain::Status::kCancelled, "payment_timeout"), kOrders) << Describe(outcome, ids);
  for (const auto& id : ids) {
    const auto& order = outcome.orders.at(id);
    EXPECT_EQ(order.cancellations, 1) << id;
    EXPECT_EQ(order.confirmations, 0) << id;
    EXPECT_EQ(order.authorized, 1) << id << ": the late authorization is recorded";
    EXPECT_EQ(order.refunded, 1) << id << ": and refunded once";
  }
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  for (const auto& id : ids) EXPECT_EQ(calls["refunds"].value(id + ":refund", 0), 1) << id << ": refunds";
  const auto inventory = ReadInventoryOutcome(inventory_topic_);
  for (const auto& violation : inventory.violations) ADD_FAILURE() << "inventory log: " << violation;
  const auto& ledger = inventory.products.at(kTrackedProduct);
  EXPECT_EQ(ledger.stock->reserved, 0) << "every cancelled order's stock is released";
  EXPECT_EQ(ledger.events.count("inventory.stock_released") ? ledger.events.at("inventory.stock_released") : 0,
            kOrders);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf("gateway answering after the %llds deadline: %s of %d; gateway %s\n%s\n",
              static_cast<long long>(payment_timeout_.count()), Describe(outcome, ids).c_str(), kOrders,
              SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

// The gateway charges, but every answer is lost to the request timeout until
// the order's deadline cancels it (payment_timeout) with its payment still
// pending in the log. The workflow asks the gateway again for a cancelled
// order that reached the payment step; the same key returns the charge,
// which is then refunded once, like a late authorization that does arrive
// (the test above). Without that second question the customer would stay
// charged for a cancelled order.
TEST_F(WorkflowUnderFaults, GatewayChargingButAnswerLostUntilTheDeadlineLeavesNoCancelledOrderCharged) {
  constexpr int kOrders = 20;
  payment_timeout_ = 2s;
  command_env_["PAYMENT_REQUEST_TIMEOUT_MS"] = "500";
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  gateway_->Script({{"mode", "slow"}, {"ms", 800}});  // charges, then answers after the adapter gave up
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();
  ASSERT_TRUE(load.WaitUntilPlaced(60s)) << load.stats().placed << " placed";
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
  ASSERT_TRUE(WaitUntilSettled(ids, 60s)) << WhyUnsettled(ids);
  gateway_->Script({{"mode", "approve"}});  // the gateway recovers: a refund would now go through
  // Every order the gateway charged is refunded once (the open circuit may have kept some from being charged).
  auto every_charge_refunded = [&](const json& calls) {
    for (const auto& [key, count] : calls["charges"].items()) {
      if (calls["refunds"].value(key + ":refund", 0) != 1) return false;
    }
    return true;
  };
  const bool refunded = Eventually([&] { return every_charge_refunded(gateway_->Calls()); }, 20s, 250ms);

  const auto outcome = ReadOrdersOutcome(topic_);
  const auto calls = gateway_->Calls();
  EXPECT_EQ(outcome.Count(ids, domain::Status::kCancelled, "payment_timeout"), kOrders) << Describe(outcome, ids);
  EXPECT_GE(calls["charges"].size(), 1u) << "no answer was lost: the scenario did not happen";
  EXPECT_EQ(SummarizeCalls(calls)["maxChargesPerKey"], 1);
  EXPECT_TRUE(refunded) << "charged orders cancelled without a refund: " << SummarizeCalls(calls).dump();
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf("answers lost until the %llds deadline: %s of %d; gateway %s\n%s\n",
              static_cast<long long>(payment_timeout_.count()), Describe(outcome, ids).c_str(), kOrders,
              SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

// The command service dies after the gateway authorized and before the event
// is in the log, deterministically: the network to the broker is cut while
// authorizations are at the gateway, the gateway answers (the answers reach
// the service, whose appends cannot leave), the service is SIGKILLed, the
// network restored and the service started again. It asks again with the same
// key; the gateway, idempotent, charges nothing more.
TEST_F(WorkflowOnPrivateBroker, CommandServiceKilledBetweenTheGatewaysAnswerAndTheAppendChargesEachOrderOnce) {
  constexpr int kOrders = 60;
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  Mark("stock set");
  gateway_->Script({{"mode", "slow"}, {"ms", 1500}});
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 30));
  load.Start();
  ASSERT_TRUE(Eventually([&] { return gateway_->Calls()["requests"].size() >= 10; }, 60s, 20ms));
  proxy_->Cut();  // from now on nothing reaches the broker
  const auto at_cut = gateway_->Calls();
  const auto asked_before_cut = Keys(at_cut["requests"]);
  const auto charged_before_cut = Keys(at_cut["charges"]);
  // The gateway answers what it was asked before the cut; give the answers time to reach the service.
  ASSERT_TRUE(Eventually([&] { return gateway_->Calls()["charges"].size() >= asked_before_cut.size(); }, 10s, 20ms));
  std::this_thread::sleep_for(300ms);
  const auto killed_at = WallClockNow();
  KillInstance(0);
  const auto at_kill = gateway_->Calls();
  std::set<std::string> answered_not_appended;  // charged while no append could reach the broker
  for (const auto& key : Keys(at_kill["charges"])) {
    if (!charged_before_cut.count(key)) answered_not_appended.insert(key);
  }
  proxy_->Restore();
  gateway_->Script({{"mode", "approve"}});
  ASSERT_NO_FATAL_FAILURE(
      RestartInstance(0, group_ + "-after-kill"));  // a fresh group: the dead member would hold its partitions
  // The instance keeps a state store across the kill (service_process.hpp): both folds resume from its last
  // persisted checkpoints, and the invariants below hold for the stock it loaded too.
  const auto restart_log = InstanceLog(0);
  EXPECT_NE(restart_log.find("inventory state loaded from the state store"), std::string::npos) << restart_log;
  EXPECT_NE(restart_log.find("command state loaded from the state store"), std::string::npos) << restart_log;

  ASSERT_TRUE(load.WaitUntilPlaced(60s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
  ASSERT_TRUE(WaitUntilSettled(ids, 90s)) << WhyUnsettled(ids);

  const auto outcome = ExpectEveryOrderConfirmedOnce(ids);
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  EXPECT_GE(answered_not_appended.size(), 5u) << "the kill must land between answers and appends";
  const int in_flight = outcome.InFlightAt(ids, killed_at);
  for (const auto& key : answered_not_appended) {
    EXPECT_GE(calls["requests"].value(key, 0), 2) << key << ": asked again after the restart, with the same key";
  }
  ExpectReservedOnceEach(ids, kTrackedProduct);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf(
      "killed between answer and append: %d orders in flight, %zu of them authorized at the gateway but "
      "not in the log; then %s of %d; gateway %s\n%s\n",
      in_flight, answered_not_appended.size(), Describe(outcome, ids).c_str(), kOrders,
      SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

}  // namespace
}  // namespace orders::testing
