// Two command-service instances share the orders' and the products'
// partitions while the workflow runs under load, each scenario ending with
// the invariant checker: a rebalance mid-saga (one instance SIGKILLed with
// orders in flight, later a third joining), and 200 orders racing at once for
// the last 50 units of one product, placed on both instances; orders placed
// right after their product's first stock count. Requests and
// answers between an order and its product travel through the log, so the
// product's single writer decides every reservation, whichever instance
// wrote the order.
#include <cstdio>
#include <map>

#include <orders/platform/uuid.hpp>
#include <orders/testing/eventually.hpp>
#include <orders/testing/http_client.hpp>
#include <orders/testing/tokens.hpp>

#include "order_stream.hpp"
#include "workflow_fixture.hpp"

namespace orders::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST_F(WorkflowUnderFaults, RebalanceMidSagaLeavesEveryOrderConfirmedOnceWithOneChargePerKey) {
  constexpr int kOrders = 120;
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(kTrackedProduct, 100000));
  Mark("stock set");
  gateway_->Script({{"mode", "slow"}, {"ms", 300}});  // authorizations stay in flight a while
  OrderStream load([this] { return LivePorts(); }, OrdersWithTrackedProduct(kOrders, 20));
  load.Start();

  ASSERT_TRUE(Eventually([&] { return load.stats().placed >= 30; }, 60s));
  // Its partitions move to the survivor once its session times out: the sagas it ran continue there.
  const auto killed_at = WallClockNow();
  KillInstance(1);
  Mark("instance 1 killed");
  ASSERT_TRUE(Eventually([&] { return load.stats().placed >= 80; }, 90s)) << load.stats().placed << " placed";
  const auto joined_at = WallClockNow();
  ASSERT_NO_FATAL_FAILURE(StartInstance());  // joins the group: the partitions are divided again

  ASSERT_TRUE(load.WaitUntilPlaced(90s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders)) << load.Surprises().size() << " unexpected answers";
  ASSERT_TRUE(WaitUntilSettled(ids, 90s)) << WhyUnsettled(ids);

  const auto outcome = ExpectEveryOrderConfirmedOnce(ids);
  const int in_flight_at_kill = outcome.InFlightAt(ids, killed_at);
  const int in_flight_at_join = outcome.InFlightAt(ids, joined_at);
  EXPECT_GE(in_flight_at_kill, 1) << "the kill must land mid-saga";
  EXPECT_GE(in_flight_at_join, 1) << "the join must land mid-saga";
  const auto calls = gateway_->Calls();
  ExpectOneChargePerOrder(ids, calls);
  ExpectReservedOnceEach(ids, kTrackedProduct);
  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  const auto stats = load.stats();
  std::printf(
      "rebalance mid-saga: %d in flight at the kill, %d at the join; %s of %d; placements refused %lld, "
      "unanswered %lld; gateway %s\n%s\n",
      in_flight_at_kill, in_flight_at_join, Describe(outcome, ids).c_str(), kOrders,
      static_cast<long long>(stats.unavailable), static_cast<long long>(stats.unanswered),
      SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

// A product's first stock count and an order for it, back to back, on two
// instances: when another instance writes the product, the order's writer
// must not take it for untracked (unlimited) before its inventory follower
// has read the count, or it would charge an order its product refuses.
TEST_F(WorkflowUnderFaults, AnOrderPlacedRightAfterItsProductsFirstStockCountIsNeverTakenForUntracked) {
  constexpr int kProducts = 40;
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  const std::string run = platform::NewUuid().substr(0, 8);
  std::vector<std::string> ids;
  std::vector<invariants::Acknowledged> acks;
  std::map<std::uint16_t, int> placed_by_port;
  for (int i = 0; i < kProducts; ++i) {
    const std::string product = "sku-wf-first-count-" + run + "-" + std::to_string(i);
    ASSERT_TRUE(SetStock(product, 0));
    const std::string id = platform::NewUuid();
    const auto body = json{
        {"orderId", id},
        {"customerId", "customer-first-count"},
        {"items", json::array({{{"productId", product}, {"quantity", 1}, {"unitPriceCents", 900}}})},
        {"currency",
         "EUR"}}.dump();
    // Straight away, on whichever instance writes the order. Marked as already forwarded, so the other
    // instance answers 503 instead of forwarding it: the order's writer is the instance that took it.
    bool placed = false;
    for (int attempt = 0; attempt < 200 && !placed; ++attempt) {
      const auto ports = LivePorts();
      const auto port = ports[static_cast<std::size_t>(attempt) % ports.size()];
      const auto response = HttpRequest(
          port, "POST", "/orders", body,
          WithToken({{"Content-Type", "application/json"}, {"Orders-Forwarded-By", "http://127.0.0.1:9"}}), 5s);
      if (response.status == 503) continue;
      ASSERT_EQ(response.status, 201) << response.body;
      const auto answer = json::parse(response.body);
      acks.push_back({id, answer.value("version", std::int64_t{0}), answer.value("status", ""), ""});
      ++placed_by_port[port];
      placed = true;
    }
    ASSERT_TRUE(placed) << "no instance took order " << id;
    ids.push_back(id);
  }
  Mark("every order placed");
  EXPECT_EQ(placed_by_port.size(), 2u) << "both instances must write some of the orders";
  ASSERT_TRUE(WaitUntilSettled(ids, 60s)) << WhyUnsettled(ids);

  const auto outcome = ReadOrdersOutcome(topic_);
  EXPECT_EQ(outcome.Count(ids, domain::Status::kCancelled, "out_of_stock"), kProducts) << Describe(outcome, ids);
  const auto calls = gateway_->Calls();
  for (const auto& id : ids) {
    EXPECT_EQ(outcome.orders.at(id).authorized, 0) << id << ": out of stock, never charged";
    EXPECT_EQ(calls["requests"].value(id, 0), 0) << id << ": out of stock, the gateway was never asked";
  }
  const auto report = CheckInvariants(acks);
  EXPECT_TRUE(report.ok()) << report.Summary();
}

TEST_F(WorkflowUnderFaults, TwoHundredOrdersRacingForTheLastFiftyUnitsReserveExactlyFiftyAndNeverOversell) {
  constexpr int kOrders = 200, kUnits = 50;
  const std::string product = "sku-wf-last-units";
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_NO_FATAL_FAILURE(StartInstance());
  ASSERT_TRUE(SetStock(product, kUnits));
  Mark("stock set");
  OrderStream::Options options;
  options.orders = kOrders;
  options.clients = kOrders;  // all at once, spread over both instances
  options.per_second = 0;
  options.items = json::array({{{"productId", product}, {"quantity", 1}, {"unitPriceCents", 2500}}});
  OrderStream load([this] { return LivePorts(); }, options);
  load.Start();
  ASSERT_TRUE(load.WaitUntilPlaced(60s)) << load.stats().placed << " placed";
  Mark("every order placed");
  const auto ids = load.PlacedIds();
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders)) << load.Surprises().size() << " unexpected answers";
  const auto by_port = load.PlacedByPort();
  EXPECT_EQ(by_port.size(), 2u) << "both instances must write some of the racing orders";
  ASSERT_TRUE(WaitUntilSettled(ids, 90s)) << WhyUnsettled(ids);

  const auto outcome = ReadOrdersOutcome(topic_);
  EXPECT_EQ(outcome.Count(ids, domain::Status::kConfirmed), kUnits) << Describe(outcome, ids);
  EXPECT_EQ(outcome.Count(ids, domain::Status::kCancelled, "out_of_stock"), kOrders - kUnits) << Describe(outcome, ids);
  std::vector<std::string> confirmed;
  const auto calls = gateway_->Calls();
  for (const auto& id : ids) {
    const auto& order = outcome.orders.at(id);
    if (order.status == domain::Status::kConfirmed) {
      confirmed.push_back(id);
      EXPECT_EQ(order.authorized, 1) << id;
    } else {
      EXPECT_EQ(order.authorized + order.declined, 0) << id << ": out of stock, never charged";
      EXPECT_EQ(calls["requests"].value(id, 0), 0) << id << ": out of stock, the gateway was never asked";
    }
  }
  ExpectOneChargePerOrder(confirmed, calls);

  const auto stock = GetStock(product);
  EXPECT_EQ(stock.value("onHand", -1), kUnits) << stock.dump();
  EXPECT_EQ(stock.value("reserved", -1), kUnits) << stock.dump();
  EXPECT_EQ(stock.value("available", -1), 0) << stock.dump();
  const auto inventory = ReadInventoryOutcome(inventory_topic_);
  for (const auto& violation : inventory.violations) ADD_FAILURE() << "inventory log: " << violation;
  const auto& ledger = inventory.products.at(product);
  auto events = [&](const std::string& name) { return ledger.events.count(name) ? ledger.events.at(name) : 0; };
  EXPECT_EQ(events("inventory.stock_reserved"), kUnits);
  EXPECT_EQ(events("inventory.reservation_refused"), kOrders - kUnits);
  EXPECT_EQ(events("inventory.stock_released"), 0) << "a refused order held nothing to release";
  EXPECT_EQ(ledger.max_reserved, kUnits) << "reserved at its highest";
  EXPECT_LE(ledger.max_over_on_hand, 0) << "oversold at some offset";
  for (const auto& id : confirmed) EXPECT_EQ(ledger.reservations_per_order.count(id), 1u) << id;

  const auto report = CheckInvariants(load.Acknowledged());
  EXPECT_TRUE(report.ok()) << report.Summary();
  std::printf(
      "last %d units, %d orders: %s; stock %s; inventory log %d reserved, %d refused, highest reserved "
      "%lld; gateway %s\n%s\n",
      kUnits, kOrders, Describe(outcome, ids).c_str(), stock.dump().c_str(), events("inventory.stock_reserved"),
      events("inventory.reservation_refused"), static_cast<long long>(ledger.max_reserved),
      SummarizeCalls(calls).dump().c_str(), report.Summary().c_str());
}

}  // namespace
}  // namespace orders::testing
