// Twenty couriers race for open deliveries over real HTTP while the command
// service is SIGKILLed and restarted, twice, each time with accepts in flight.
// Afterwards every order is delivered, by exactly one courier: one
// order.courier_assigned per order in the log, one courier answered 200 per
// order, and that courier is the one the log has; every acceptance answered
// 200 is in the log; the invariant checker (courier rules included) holds.
// A private broker: the shared one is never touched.
#include <cstdio>
#include <cstdlib>

#include <orders/invariants/sources.hpp>
#include <orders/testing/private_kafka.hpp>

#include "command_fixture.hpp"
#include "courier_crowd.hpp"

namespace orders::testing {
namespace {

using namespace std::chrono_literals;

class CommandServiceOnPrivateBroker : public CommandServiceTest {
 protected:
  void SetUp() override {
    std::string error;
    kafka_ = PrivateKafka::Create(error);
    ASSERT_TRUE(kafka_) << error;
    saved_brokers_ = KafkaBrokers();
    ::setenv("KAFKA_BROKERS", kafka_->Brokers().c_str(), 1);  // the fixture's topic and the checker's reads
    extra_env_["JWT_SECRET"] = kTestJwtSecret;
    CommandServiceTest::SetUp();
  }
  void TearDown() override {
    service_.reset();
    ::setenv("KAFKA_BROKERS", saved_brokers_.c_str(), 1);
  }

  // SIGKILL, then the same binary again. A fresh writer group: the dead member
  // would hold its partitions in the old group until its session times out;
  // the service rebuilds what it owns from the log, never from the group.
  // Empty on success, else what went wrong.
  std::string KillAndRestart() {
    service_->Kill();
    auto env = extra_env_;
    env["ORDERS_TOPIC"] = topic_;
    env["KAFKA_BROKERS"] = KafkaBrokers();
    env["CONSUMER_GROUP"] = UniqueName("courier-race");
    service_->SetEnvironment(env);
    if (!service_->Start()) return "no restart: " + service_->LogText();
    if (!Eventually([&] { return Get("/readyz").status == 200; }, 60s)) return "never ready: " + service_->LogText();
    return {};
  }

  std::unique_ptr<PrivateKafka> kafka_;
  std::string saved_brokers_;
};

TEST_F(CommandServiceOnPrivateBroker, TwentyCouriersRacingThroughRestartsGiveEachDeliveryExactlyOneCourier) {
  constexpr int kOrders = 60, kKills = 2;
  CourierCrowd crowd([this] { return service_->port(); }, {20, kOrders, 60ms});
  crowd.Start();
  int killed_with_accepts_in_flight = 0;
  std::string restart_error;
  for (int kill = 0; kill < kKills; ++kill) {
    // Let some deliveries go through first, then kill while couriers wait for an answer to an accept.
    const auto accepted_before = crowd.stats().accepted;
    ASSERT_TRUE(Eventually([&] { return crowd.stats().accepted >= accepted_before + 8; }, 60s))
        << "the couriers made no progress: " << crowd.stats().accepted << " accepted; "
        << (crowd.Surprises().empty() ? std::string("no unexpected answer") : crowd.Surprises().front());
    ASSERT_TRUE(Eventually(
        [&] {
          if (crowd.AcceptsInFlight() < 1) return false;
          killed_with_accepts_in_flight += 1;
          restart_error = KillAndRestart();
          return true;
        },
        30s, 0ms))
        << "no accept was ever in flight";
    ASSERT_EQ(restart_error, "");
  }
  const bool delivered = crowd.WaitUntilDelivered(120s);
  const auto stats = crowd.stats();
  std::printf("courier race: %lld accepted, %lld conflicts (409), %lld unanswered, %lld 503, %lld delivered of %d\n",
              static_cast<long long>(stats.accepted), static_cast<long long>(stats.conflicts),
              static_cast<long long>(stats.unanswered), static_cast<long long>(stats.unavailable),
              static_cast<long long>(stats.delivered), kOrders);
  ASSERT_TRUE(delivered) << stats.delivered << " of " << kOrders << " delivered";
  for (const auto& surprise : crowd.Surprises()) ADD_FAILURE() << "unexpected answer: " << surprise;
  EXPECT_EQ(stats.other, 0);
  EXPECT_EQ(killed_with_accepts_in_flight, kKills);
  EXPECT_GE(stats.unanswered, 1) << "no request was cut by a kill";
  EXPECT_GE(stats.conflicts, kOrders) << "the couriers did not race (too few 409s)";

  // Exactly one courier per delivered order: in the log and in what the couriers were told.
  invariants::Report report;
  const auto fold = invariants::CheckLog(invariants::ReadLog(topic_), report);
  const auto winners = crowd.Winners();
  for (const auto& id : crowd.OrderIds()) {
    ASSERT_TRUE(fold.orders.count(id)) << id;
    const auto& order = fold.orders.at(id);
    EXPECT_EQ(order.status, domain::Status::kDelivered) << id;
    EXPECT_EQ(fold.assignments.count(id) ? fold.assignments.at(id) : 0, 1) << id << ": couriers assigned in the log";
    ASSERT_TRUE(winners.count(id)) << id << ": no courier was told it won";
    EXPECT_EQ(winners.at(id), std::set<std::string>{order.courier_id}) << id << ": couriers told they won";
  }
  EXPECT_EQ(report.counts["delivery_moves"], 2 * kOrders);
  EXPECT_EQ(report.counts["delivery_moves_without_actor"], 0) << "the log must say who moved each order";

  // Every acknowledged command, acceptances included, is in the log; every invariant holds.
  const auto acks = crowd.Acknowledged();
  const auto everything = invariants::CheckEverything(topic_, "", "", acks, {});
  std::printf("%s\n", everything.Summary().c_str());
  EXPECT_TRUE(everything.ok()) << everything.Summary();
  EXPECT_EQ(everything.counts.at("acknowledged_acceptances"), 3 * kOrders) << "accept, pickup, delivery per order";
}

}  // namespace
}  // namespace orders::testing
