// The read model equals the fold of the log whatever redeliveries, poison
// records and crashes happen.
#include <signal.h>

#include <future>

#include <orders/testing/builders.hpp>
#include <orders/testing/tokens.hpp>
#include "pg/migrations.hpp"

#include "projection_fixture.hpp"

namespace orders::testing {
namespace {

TEST_F(ProjectionTest, ReadModelEqualsTheFoldAndOffsetsAreStored) {
  for (const auto& event : RandomEvents(300, 1)) Produce(event);
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  ExpectReadModelEqualsFold();
  ExpectHistoryEqualsFold();
  ExpectSummariesEqualTheStoredHistory();
  EXPECT_EQ(Count("poison_events"), 0);
  // Every record's append-to-commit lag was observed once.
  const auto metrics = MetricsWhen([&](const std::string& page) {
    return MetricValue(page, "projection_apply_lag_seconds_count") >= static_cast<double>(produced_);
  });
  EXPECT_EQ(MetricValue(metrics, "projection_apply_lag_seconds_count"), static_cast<double>(produced_)) << metrics;
  EXPECT_GT(MetricValue(metrics, "projection_apply_lag_seconds_sum"), 0) << metrics;
  // Stored offsets are exactly the partitions' ends.
  auto connection = Connect();
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + Table("consumer_offsets"))[0].as<int>(), 6);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + Table("schema_migrations"))[0].as<std::size_t>(),
            projection::EmbeddedMigrations().size());
}

TEST_F(ProjectionTest, RedeliveryAndFullReplayAreNoOps) {
  const auto events = RandomEvents(100, 2);
  for (const auto& event : events) Produce(event);
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  const auto before = ReadOrders();

  // The same events again, as a stale fetch or a producer retry would deliver them.
  for (const auto& event : events) Produce(event);
  Flush();
  WaitUntilCaughtUp();
  EXPECT_EQ(ReadOrders(), before);
  ExpectReadModelEqualsFold();
  ExpectSummariesEqualTheStoredHistory();

  // Forget every offset and restart: the whole log is applied again.
  ASSERT_EQ(service_->Stop(), 0);
  {
    auto connection = Connect();
    pqxx::work tx(connection);
    tx.exec("DELETE FROM " + Table("consumer_offsets"));
    tx.commit();
  }
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  EXPECT_EQ(ReadOrders(), before);
  ExpectReadModelEqualsFold();
  ExpectSummariesEqualTheStoredHistory();
  EXPECT_EQ(Count("poison_events"), 0);
}

TEST_F(ProjectionTest, PoisonRecordIsParkedAndOthersStillApplied) {
  const auto events = RandomEvents(20, 3);
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i == 5) {
      ProduceRaw("6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c", "{\"orderId\":", {{"ce_type", "order.placed.v1"}});
      ProduceRaw(std::string("bin\0\xff", 5), std::string("\x00\x01\xfe", 3), {});
    }
    Produce(events[i]);
  }
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  ExpectReadModelEqualsFold();
  auto connection = Connect();
  pqxx::work tx(connection);
  const auto rows =
      tx.exec("SELECT record_key, length(payload), error FROM " + Table("poison_events") + " ORDER BY length(payload)");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "bin??");
  EXPECT_EQ(rows[0][1].as<int>(), 3);
  EXPECT_FALSE(rows[1][2].as<std::string>().empty());
  const std::string parked = "projection_events_parked_total{reason=\"poison\"} 2";
  const auto metrics = MetricsWhen([&](const std::string& page) { return page.find(parked) != std::string::npos; });
  EXPECT_NE(metrics.find(parked), std::string::npos) << metrics;
}

// Records with headers the read model cannot store as they are (a ce_id with a
// NUL byte, malformed UTF-8, 10 kB) used to fail the batch's SQL again and
// again: the projection froze. They are parked; the events after them apply.
TEST_F(ProjectionTest, RecordsWithHostileHeadersAreParkedAndTheProjectionStaysLive) {
  extra_env_["JWT_SECRET"] = kTestJwtSecret;
  StartService();
  WaitReady();
  const auto events = RandomEvents(12, 8);
  for (std::size_t i = 0; i < 6; ++i) Produce(events[i]);
  int n = 0;
  for (const std::string& hostile_id :
       {std::string("0b6e1a52\0-7d0c", 14), std::string("0b6e1a52-\xC3\x28"), std::string(10 * 1024, 'a')}) {
    // A new order each time: its event would be written, not skipped as a redelivery.
    const auto order_id = "0000000" + std::to_string(++n) + "-0000-4000-8000-00000000dead";
    auto record = codec::EncodeEvent(Placed(order_id), {hostile_id, "/command-service", std::nullopt, std::nullopt});
    ProduceRaw(record.key, record.value, record.headers);
  }
  for (std::size_t i = 6; i < events.size(); ++i) Produce(events[i]);
  Flush();
  WaitUntilCaughtUp();
  ExpectReadModelEqualsFold();
  auto connection = Connect();
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + Table("poison_events"))[0].as<int>(), 3);
  const std::string parked = "projection_events_parked_total{reason=\"poison\"} 3";
  const auto metrics = MetricsWhen([&](const std::string& page) { return page.find(parked) != std::string::npos; });
  EXPECT_NE(metrics.find(parked), std::string::npos) << metrics;
}

TEST_F(ProjectionTest, SigkillMidStreamThenRestartStillEqualsTheFold) {
  StartService();
  WaitReady();
  // Kill while the service is part-way through a stream it is consuming.
  for (const auto& event : RandomEvents(4000, 4)) Produce(event);
  std::int64_t at_kill = -1;
  ASSERT_TRUE(Eventually(
      [&] {
        const auto stored = StoredOffsetsTotal();
        if (stored <= 0 || stored >= produced_) return false;
        service_->Kill();
        at_kill = stored;
        return true;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(1)))
      << service_->LogText();
  Flush();
  // More events while it is down.
  for (const auto& event : RandomEvents(100, 5, 1765000000000)) Produce(event);
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  ExpectReadModelEqualsFold();
  ExpectSummariesEqualTheStoredHistory();
  EXPECT_LT(at_kill, produced_);
  EXPECT_EQ(Count("poison_events"), 0);
}

TEST_F(ProjectionTest, SigtermExitsWithZero) {
  for (const auto& event : RandomEvents(50, 6)) Produce(event);
  Flush();
  StartService();
  WaitReady();
  WaitUntilCaughtUp();
  EXPECT_EQ(service_->Stop(), 0) << service_->LogText();
  service_.reset();
}

// Two instances start at once against a schema that does not exist yet, and
// both are held inside their migration at the same moment: the test creates
// the schema in a transaction it keeps open, so the first instance waits on
// that row and the second on the first (seen as a chain of two backends
// blocked behind the test's). The transaction is rolled back, so the schema is
// still fresh when they go on. Both must become ready, the migrations must be
// applied exactly once (by one instance), and the read model must be the fold.
TEST_F(ProjectionTest, TwoInstancesStartingAtOnceRaceToMigrateAFreshSchema) {
  auto blocker = Connect();
  pqxx::work hold(blocker);
  const auto blocker_pid = hold.exec1("SELECT pg_backend_pid()")[0].as<int>();
  hold.exec("CREATE SCHEMA " + hold.quote_name(schema_));

  service_ = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), Environment());
  auto second = std::make_unique<ServiceProcess>(ProjectionServiceBinary(), Environment());
  auto first_started = std::async(std::launch::async, [&] { return service_->Start(std::chrono::seconds(90)); });
  auto second_started = std::async(std::launch::async, [&] { return second->Start(std::chrono::seconds(90)); });

  // Backends blocked, directly or through another, behind the test's transaction.
  const auto blocked_behind_test = [&] {
    auto observer = Connect();
    pqxx::nontransaction tx(observer);
    return tx
        .exec_params1(
            "WITH RECURSIVE blocked(pid) AS ("
            " SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
            " UNION SELECT a.pid FROM pg_stat_activity a JOIN blocked b ON b.pid = ANY(pg_blocking_pids(a.pid)))"
            " SELECT count(*) FROM blocked",
            blocker_pid)[0]
        .as<int>();
  };
  int blocked = 0;
  const bool both_inside = Eventually([&] { return (blocked = blocked_behind_test()) == 2; }, std::chrono::seconds(30));
  hold.abort();  // the schema was never created: both go on against a fresh one
  ASSERT_TRUE(both_inside) << blocked << " instance(s) waiting inside the migration, not 2\n"
                           << service_->LogText() << second->LogText();

  ASSERT_TRUE(first_started.get()) << service_->LogText();
  ASSERT_TRUE(second_started.get()) << second->LogText();
  WaitReady();
  ASSERT_TRUE(
      Eventually([&] { return HttpRequest(second->port(), "GET", "/readyz").status == 200; }, std::chrono::seconds(30)))
      << second->LogText();

  {
    auto connection = Connect();
    pqxx::work tx(connection);
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM " + Table("schema_migrations"))[0].as<std::size_t>(),
              projection::EmbeddedMigrations().size());
  }
  const auto migrated = [](ServiceProcess& process) {
    return process.LogText().find("migration applied") != std::string::npos;
  };
  EXPECT_EQ(migrated(*service_) + migrated(*second), 1) << "the migrations are applied by exactly one instance\n"
                                                        << service_->LogText() << second->LogText();

  for (const auto& event : RandomEvents(100, 7)) Produce(event);
  Flush();
  WaitUntilCaughtUp();
  ExpectReadModelEqualsFold();
  EXPECT_EQ(second->Stop(), 0) << second->LogText();
}

}  // namespace
}  // namespace orders::testing
