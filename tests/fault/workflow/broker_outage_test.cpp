// The broker SIGKILLed mid-saga under load and started again (a private
// broker: the run's is never touched), ending with the invariant checker:
// once the broker is back the workflow finishes every order, from what the
// log says, with one charge per order at the gateway.
#include <cstdio>

#include <orders/testing/eventually.hpp>

#include "order_stream.hpp"
#include "workflow_fixture.hpp"

namespace orders::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(WorkflowOnPrivateBroker, BrokerKilledMidSagaThenRestartedFinishesEveryOrderOnce) {
  constexpr int kOrders = 100;
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  Mark("stock set");
  gateway_->Script({{"mode", "slow"}, {"ms", 200}});
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();
  ASSERT_TRUE(Eventually([&] { return load.stats().placed >= 30; }, 60s));
  const int in_flight = StillPending(load.PlacedIds());
  kafka_->Kill();
  Mark("broker killed with " + std::to_string(in_flight) + " orders in flight");
  // The outage is seen by the load (placements refused or unanswered) before the broker comes back.
  const auto refused_before = load.stats().unavailable + load.stats().unanswered;
  EXPECT_TRUE(
      Eventually([&] { return load.stats().unavailable + load.stats().unanswered >= refused_before + 10; }, 30s));
  std::string error;
  ASSERT_TRUE(kafka_->Start(error)) << error;
  Mark("broker restarted");

  ASSERT_TRUE(load.WaitUntilPlaced(120s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders)) << load.Surprises().size() << " unexpected answers";
  ASSERT_TRUE(WaitUntilSettled(ids, 120s)) << Describe(ReadOrdersOutcome(topic_), ids);

  EXPECT_GE(in_flight, 1) << "the kill must land mid-saga";
  const auto outcome = ExpectEveryOrderConfirmedOnce(ids);
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  ExpectReservedOnceEach(ids, kTrackedProduct);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  const auto stats = load.stats();
  std::printf("broker killed mid-saga: %d in flight; %s of %d; placements refused %lld, unanswered %lld; "
              "gateway %s\n%s\n",
              in_flight, Describe(outcome, ids).c_str(), kOrders, static_cast<long long>(stats.unavailable),
              static_cast<long long>(stats.unanswered), SummarizeCalls(calls).dump().c_str(),
              report.Summary().c_str());
}

}  // namespace
}  // namespace orders::testing
