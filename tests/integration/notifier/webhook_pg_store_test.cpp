// The shared store behaviour (tests/unit/notifier/webhook_store_cases.hpp) on
// the PostgreSQL adapters, each test in a schema of its own; and what only a
// database shared by several notifiers can get wrong: the cap under
// concurrent creates, migrations racing, restarts.
#include <orders/notifier/webhooks/pg_webhook_store.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "webhook_store_cases.hpp"

namespace orders::notifier::webhooks {
namespace {

std::string UniqueSchema() {
  std::string name = testing::UniqueName("whstore");
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

struct PostgresStores {
  static void Require() { ORDERS_REQUIRE_POSTGRES(); }
  explicit PostgresStores(std::size_t max_endpoints)
      : options{testing::DatabaseUrl(), UniqueSchema(), max_endpoints},
        registry_(MakePgEndpointRegistry(options)),
        ledger_(MakePgDeliveryLedger(options)) {}
  EndpointRegistry& registry() { return *registry_; }
  DeliveryLedger& ledger() { return *ledger_; }
  PgStoreOptions options;
  std::unique_ptr<EndpointRegistry> registry_;
  std::unique_ptr<DeliveryLedger> ledger_;
};

using Kinds = ::testing::Types<PostgresStores>;
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, WebhookStoreBehaviour, Kinds);

class PgWebhookStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ORDERS_REQUIRE_POSTGRES(); }
  PgStoreOptions options_{testing::DatabaseUrl(), UniqueSchema(), 1000};
};

Endpoint AnEndpoint(int i) {
  Endpoint endpoint;
  endpoint.url = "http://127.0.0.1:9/" + std::to_string(i);
  endpoint.events = {"*"};
  endpoint.secret = "whsec_" + std::to_string(i);
  return endpoint;
}

TEST_F(PgWebhookStoreTest, ConcurrentCreatesOnSeparateConnectionsNeverPassTheCap) {
  options_.max_endpoints = 20;
  constexpr int kWriters = 6;
  constexpr int kAttemptsEach = 10;
  MigrateWebhookSchema(options_);
  std::atomic<int> accepted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto registry = MakePgEndpointRegistry(options_);  // a connection of its own, like another notifier
      registry->Get("warm-up");                          // connect before the race starts
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kAttemptsEach; ++i) {
        if (registry->Create(AnEndpoint(w * 100 + i))) ++accepted;
      }
    });
  }
  go = true;
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(accepted.load(), 20);
  EXPECT_EQ(MakePgEndpointRegistry(options_)->List().size(), 20u);
}

TEST_F(PgWebhookStoreTest, RegistrationsAndProgressOutliveTheAdaptersThatWroteThem) {
  std::string id;
  {
    auto registry = MakePgEndpointRegistry(options_);
    auto ledger = MakePgDeliveryLedger(options_);
    id = registry->Create(AnEndpoint(1))->id;
    ledger->SaveResumeOffset("orders.events", 4, 1234);
  }
  auto registry = MakePgEndpointRegistry(options_);
  auto ledger = MakePgDeliveryLedger(options_);
  ASSERT_TRUE(registry->Get(id));
  EXPECT_EQ(registry->Get(id)->secret, "whsec_1");
  EXPECT_EQ(ledger->ResumeOffset("orders.events", 4), 1234);
}

TEST_F(PgWebhookStoreTest, NotifiersMigratingAtOnceCreateTheSchemaOnce) {
  std::vector<std::thread> starters;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    starters.emplace_back([&] {
      try {
        MigrateWebhookSchema(options_);
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& starter : starters) starter.join();
  EXPECT_EQ(failures.load(), 0);
  pqxx::connection connection(testing::DatabaseUrl());
  pqxx::read_transaction tx(connection);
  // Each migration applied once, however many notifiers raced (one row per migration).
  const auto counts = tx.exec1("SELECT count(*), count(DISTINCT version), max(version) FROM " +
                               tx.quote_name(options_.schema) + ".schema_migrations");
  EXPECT_EQ(counts[0].as<int>(), counts[1].as<int>());
  EXPECT_EQ(counts[0].as<int>(), counts[2].as<int>()) << "versions 1..n, none missing";
}

// The stale owner's drop and the new owner's claim of the same park, in flight at once on two
// connections: the drop waits for the claim's row lock, then checks the claimed row and deletes nothing.
TEST_F(PgWebhookStoreTest, AStaleOwnersDropWaitingBehindAClaimInProgressDeletesNothing) {
  auto registry = MakePgEndpointRegistry(options_);
  auto stale_owner = MakePgDeliveryLedger(options_);
  const auto id = registry->Create(AnEndpoint(1))->id;
  Park park;
  park.endpoint_id = id;
  park.topic = "orders.events";
  park.partition = 2;
  park.from_offset = 40;
  park.ownership = stale_owner->ClaimParks("orders.events", {2}).ownership;
  stale_owner->SavePark(park);

  // The new owner's claim, as ClaimParks makes it, held open.
  pqxx::connection connection(testing::DatabaseUrl());
  pqxx::work claim(connection);
  claim.exec("SET LOCAL search_path TO " + claim.quote_name(options_.schema));
  const auto ownership = claim.exec1("SELECT nextval('park_ownerships')")[0].as<std::int64_t>();
  EXPECT_EQ(
      claim.exec_params("UPDATE parks SET ownership = $1 WHERE topic = 'orders.events' AND partition = 2", ownership)
          .affected_rows(),
      1u);
  std::atomic<bool> finished{false};
  bool dropped = true;
  std::thread drop([&] {
    dropped = stale_owner->DropPark(id, "orders.events", 2, park.ownership);
    finished = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(finished.load()) << "the drop waits for the claim's row lock";
  claim.commit();
  drop.join();
  EXPECT_FALSE(dropped);
  const auto next = MakePgDeliveryLedger(options_)->ClaimParks("orders.events", {2});
  ASSERT_EQ(next.parks.size(), 1u) << "the claimed park is still there";
  EXPECT_EQ(next.parks[0].from_offset, 40);
}

TEST_F(PgWebhookStoreTest, AnUnreachableDatabaseThrowsAndTheNextCallReconnects) {
  PgStoreOptions unreachable = options_;
  unreachable.database_url = "postgresql://orders@127.0.0.1:1/orders?connect_timeout=1";
  auto registry = MakePgEndpointRegistry(unreachable);
  EXPECT_ANY_THROW(registry->List());
  EXPECT_ANY_THROW(registry->List());
  auto reachable = MakePgEndpointRegistry(options_);
  EXPECT_TRUE(reachable->List().empty());
}

}  // namespace
}  // namespace orders::notifier::webhooks
