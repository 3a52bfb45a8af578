// A read model written before couriers existed is upgraded in place by
// migration 3: its history rows get their event names, its orders no
// courier, and the projection goes on from there with courier events.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <orders/codec/event_codec.hpp>
#include <orders/testing/courier_builders.hpp>
#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"
#include "pg/pg_read_model_store.hpp"

namespace orders::projection {
namespace {

constexpr const char* kTopic = "orders.events";

class CourierMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_POSTGRES();
    schema_ = testing::UniqueName("upgrade");
    std::replace(schema_.begin(), schema_.end(), '-', '_');
  }

  void TearDown() override {
    if (schema_.empty() || IsSkipped()) return;
    pqxx::connection connection(testing::DatabaseUrl());
    pqxx::work tx(connection);
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema_) + " CASCADE");
    tx.commit();
  }

  std::string ConnectionString() const { return ReadModelConnectionString(testing::DatabaseUrl(), schema_); }

  // The read model as the previous release left it: migrations 1 and 2, and one order placed and confirmed.
  void WriteReadModelOfThePreviousRelease() {
    pqxx::connection connection(ConnectionString());
    pqxx::work tx(connection);
    tx.exec("CREATE SCHEMA " + tx.quote_name(schema_));
    tx.exec(
        "CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    for (const auto& migration : EmbeddedMigrations()) {
      if (migration.version >= 3) continue;
      tx.exec(std::string(migration.sql));
      tx.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version,
                     std::string(migration.name));
    }
    tx.exec_params(
        "INSERT INTO orders VALUES ($1::uuid, 'customer-1', '[]', 'USD', 0, 'confirmed', 2,"
        " '2025-11-24T16:00:00Z', '2025-11-24T16:00:01Z')",
        std::string(testing::kOrderId));
    tx.exec_params(
        "INSERT INTO order_history VALUES ($1::uuid, 1, 'pending', '2025-11-24T16:00:00Z', NULL, 'e1'),"
        " ($1::uuid, 2, 'confirmed', '2025-11-24T16:00:01Z', NULL, 'e2')",
        std::string(testing::kOrderId));
    tx.exec_params("INSERT INTO consumer_offsets VALUES ($1, 0, 2)", std::string(kTopic));
    tx.commit();
  }

  std::string schema_;
};

TEST_F(CourierMigrationTest, OldHistoryRowsGetTheirEventNamesAndTheProjectionGoesOnWithCouriers) {
  WriteReadModelOfThePreviousRelease();
  {
    pqxx::connection connection(ConnectionString());
    EXPECT_EQ(Migrate(connection, schema_), (std::vector<int>{3, 4, 5, 6}));
    pqxx::work tx(connection);
    EXPECT_EQ(tx.exec1("SELECT string_agg(event, ',' ORDER BY version) FROM order_history")[0].as<std::string>(),
              "order.placed,order.status_changed");
    EXPECT_EQ(tx.exec1("SELECT count(*) FROM order_history WHERE courier_id IS NULL")[0].as<int>(), 2);
    EXPECT_TRUE(tx.exec1("SELECT courier_id FROM orders")[0].is_null());
    // Every row written from now on names its event itself.
    EXPECT_TRUE(tx.exec1("SELECT column_default FROM information_schema.columns WHERE table_schema = " +
                         tx.quote(schema_) + " AND table_name = 'order_history' AND column_name = 'event'")[0]
                    .is_null());
  }

  PgReadModelStore store(ConnectionString());
  const auto position = store.LoadPosition(kTopic, {0});
  ASSERT_TRUE(position) << position.error().message;
  DecodedBatch batch;
  for (const domain::Event& event :
       {domain::Event(testing::Declined(3, "courier-2")), domain::Event(testing::Assigned(4, "courier-1"))}) {
    const auto record = codec::EncodeEvent(event, {"evt-new", "/test", std::nullopt, std::nullopt});
    AddRecord(batch, {kTopic, 0, 2 + static_cast<platform::Offset>(batch.events.size()), record.key, record.value,
                      record.headers, 0});
  }
  const auto outcome = store.Apply(batch, {position->generation, {{0, 2}}}, WriteMode::kFast);
  ASSERT_EQ(outcome.kind, ApplyOutcome::Kind::kApplied) << outcome.error;
  pqxx::connection connection(ConnectionString());
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec1("SELECT courier_id || ' ' || version || ' ' || status FROM orders")[0].as<std::string>(),
            "courier-1 4 confirmed");
  EXPECT_EQ(tx.exec1("SELECT string_agg(event || ':' || coalesce(courier_id, '-'), ',' ORDER BY version)"
                     " FROM order_history")[0]
                .as<std::string>(),
            "order.placed:-,order.status_changed:-,order.delivery_declined:courier-2,order.courier_assigned:courier-1");
  EXPECT_EQ(tx.exec1("SELECT courier_id FROM order_declines")[0].as<std::string>(), "courier-2");
}

// Migration 4 gives every order of an older read model its initial payment (none of them had a
// payment event), and the projection then records payments on them.
TEST_F(CourierMigrationTest, OlderOrdersGetTheirInitialPaymentAndTheProjectionGoesOnWithPayments) {
  WriteReadModelOfThePreviousRelease();
  const std::string paid = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
  {
    pqxx::connection connection(ConnectionString());
    pqxx::work tx(connection);
    tx.exec_params(
        "INSERT INTO orders VALUES ($1::uuid, 'customer-2', '[]', 'USD', 3000, 'pending', 1,"
        " '2025-11-24T16:00:00Z', '2025-11-24T16:00:00Z')",
        paid);
    tx.exec_params("INSERT INTO order_history VALUES ($1::uuid, 1, 'pending', '2025-11-24T16:00:00Z', NULL, 'p1')",
                   paid);
    tx.commit();
  }
  {
    pqxx::connection connection(ConnectionString());
    EXPECT_EQ(Migrate(connection, schema_), (std::vector<int>{3, 4, 5, 6}));
    pqxx::work tx(connection);
    EXPECT_EQ(tx.exec1("SELECT string_agg(payment_status || ' ' || payment_amount_cents || ' ' ||"
                       " coalesce(payment_id, '-'), ',' ORDER BY total_cents) FROM orders")[0]
                  .as<std::string>(),
              "not_required 0 -,pending 3000 -");
  }
  PgReadModelStore store(ConnectionString());
  const auto position = store.LoadPosition(kTopic, {0});
  ASSERT_TRUE(position) << position.error().message;
  DecodedBatch batch;
  const auto record = codec::EncodeEvent(domain::PaymentAuthorized{paid, 2, testing::At(), "pay-9", 3000},
                                         {"evt-pay", "/test", std::nullopt, std::nullopt});
  AddRecord(batch, {kTopic, 0, 2, record.key, record.value, record.headers, 0});
  const auto outcome = store.Apply(batch, {position->generation, {{0, 2}}}, WriteMode::kFast);
  ASSERT_EQ(outcome.kind, ApplyOutcome::Kind::kApplied) << outcome.error;
  EXPECT_TRUE(outcome.writes.parked.empty());
  pqxx::connection connection(ConnectionString());
  pqxx::work tx(connection);
  EXPECT_EQ(tx.exec1("SELECT payment_status || ' ' || payment_id || ' ' || version FROM orders WHERE order_id = " +
                     tx.quote(paid) + "::uuid")[0]
                .as<std::string>(),
            "authorized pay-9 2");
}

}  // namespace
}  // namespace orders::projection
