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
  gateway_->Script({{"mode", "slow"}, {"ms", 400}});  // under the request timeout; about 8 sagas in flight
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();
  ASSERT_TRUE(Eventually([&] { return load.stats().placed >= 30; }, 60s));
  const auto killed_at = WallClockNow();
  kafka_->Kill();
  Mark("broker killed");
  // The outage is seen (the service says it is not ready, placements are refused) before the broker comes back.
  const auto refused_before = load.stats().unavailable + load.stats().unanswered;
  EXPECT_TRUE(Eventually([&] { return HttpRequest(LivePorts().at(0), "GET", "/readyz").status == 503; }, 30s));
  Mark("the command service says it is not ready");
  EXPECT_TRUE(Eventually([&] { return load.stats().unavailable + load.stats().unanswered > refused_before; }, 30s));
  Mark("placements refused");
  std::string error;
  ASSERT_TRUE(kafka_->Start(error)) << error;
  Mark("broker restarted");

  ASSERT_TRUE(load.WaitUntilPlaced(120s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders)) << load.Surprises().size() << " unexpected answers";
  ASSERT_TRUE(WaitUntilSettled(ids, 120s)) << WhyUnsettled(ids);

  const auto outcome = ExpectEveryOrderConfirmedOnce(ids);
  const int in_flight = outcome.InFlightAt(ids, killed_at);
  EXPECT_GE(in_flight, 1) << "the kill must land mid-saga";
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  ExpectReservedOnceEach(ids, kTrackedProduct);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  const auto stats = load.stats();
  std::printf(
      "broker killed mid-saga: %d in flight; %s of %d; placements refused %lld, unanswered %lld; "
      "gateway %s\n%s\n",
      in_flight, Describe(outcome, ids).c_str(), kOrders, static_cast<long long>(stats.unavailable),
      static_cast<long long>(stats.unanswered), SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

}  // namespace
}  // namespace orders::testing
