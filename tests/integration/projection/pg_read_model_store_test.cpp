// The PostgreSQL store's own fence: a writer whose idea of the stored offsets is stale (a zombie
// after a rebalance, a consumer that missed a rebuild's switch) writes nothing, and learns where the
// store is. The applier's reaction is unit-tested over an in-memory store; this proves the real
// store refuses. The store's statements are prepared once per session: a switch made after they
// were prepared, and a session lost under them, are covered too.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include <orders/codec/event_codec.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"
#include "pg/pg_read_model_store.hpp"
#include "pg/schema_switch.hpp"

namespace orders::projection {
namespace {

using domain::Status;

constexpr const char* kTopic = "orders.events";

platform::ConsumedRecord Record(const domain::Event& event, platform::Offset offset) {
  auto encoded = codec::EncodeEvent(event, {"evt-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {kTopic, 0, offset, encoded.key, encoded.value, encoded.headers, 0};
}

class PgReadModelStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_POSTGRES();
    schema_ = testing::UniqueName("store");
    std::replace(schema_.begin(), schema_.end(), '-', '_');
    pqxx::connection connection(ConnectionString());
    Migrate(connection, schema_);
  }

  std::string ConnectionString() const { return ReadModelConnectionString(testing::DatabaseUrl(), schema_); }

  long long Count(const std::string& query) {
    pqxx::connection connection(ConnectionString());
    pqxx::work tx(connection);
    return tx.exec1(query)[0].as<long long>();
  }

  // The store's session, findable in pg_stat_activity by its application_name (the schema's name).
  std::string NamedStoreConnectionString() const { return ConnectionString() + "&application_name=" + schema_; }

  long long StoreSessions() {
    pqxx::connection connection(ConnectionString());
    pqxx::nontransaction tx(connection);
    return tx.exec_params1("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", schema_)[0]
        .as<long long>();
  }

  std::string schema_;
};

TEST_F(PgReadModelStoreTest, AWriterWithStaleOffsetsWritesNothingAndLearnsWhereTheStoreIs) {
  PgReadModelStore current(ConnectionString());
  PgReadModelStore zombie(ConnectionString());
  const auto start = current.LoadPosition(kTopic, {0});
  ASSERT_TRUE(start.ok()) << start.error().message;
  ASSERT_TRUE(start->offsets.empty());
  // Both believe nothing is stored for partition 0.
  const Fence stale_fence{start->generation, {{0, std::nullopt}}};

  const auto applied = current.Apply(DecodeBatch({Record(testing::Placed(), 0)}), stale_fence, WriteMode::kFast);
  ASSERT_EQ(applied.kind, ApplyOutcome::Kind::kApplied) << applied.error;

  // The zombie writes the next event of the same order on top of what it believes.
  const auto refused = zombie.Apply(DecodeBatch({Record(testing::Changed(2, Status::kPending, Status::kConfirmed), 1)}),
                                    stale_fence, WriteMode::kFast);
  EXPECT_EQ(refused.kind, ApplyOutcome::Kind::kStoreMoved);
  EXPECT_EQ(refused.stored.offsets, (platform::PartitionOffsets{{0, 1}})) << "where the store really is";
  EXPECT_EQ(Count("SELECT count(*) FROM order_history"), 1) << "the refused batch wrote a history row";
  EXPECT_EQ(Count("SELECT version FROM orders"), 1) << "the refused batch moved the order";
  EXPECT_EQ(Count("SELECT next_offset FROM consumer_offsets WHERE partition = 0"), 1);
}

TEST_F(PgReadModelStoreTest, AWriterFromAnotherGenerationWritesNothing) {
  PgReadModelStore store(ConnectionString());
  const auto start = store.LoadPosition(kTopic, {0});
  ASSERT_TRUE(start.ok()) << start.error().message;
  const Fence other_generation{start->generation + "-before-a-rebuild", {{0, std::nullopt}}};
  const auto refused = store.Apply(DecodeBatch({Record(testing::Placed(), 0)}), other_generation, WriteMode::kFast);
  EXPECT_EQ(refused.kind, ApplyOutcome::Kind::kStoreMoved);
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM consumer_offsets"), 0);
}

TEST_F(PgReadModelStoreTest, AStoreWhoseSessionWasKilledPreparesItsStatementsAgainAndAppliesTheNextBatch) {
  PgReadModelStore store(NamedStoreConnectionString());
  const auto start = store.LoadPosition(kTopic, {0});
  ASSERT_TRUE(start.ok()) << start.error().message;
  const auto placed = store.Apply(DecodeBatch({Record(testing::Placed(), 0)}), {start->generation, {{0, std::nullopt}}},
                                  WriteMode::kFast);
  ASSERT_EQ(placed.kind, ApplyOutcome::Kind::kApplied) << placed.error;

  {
    pqxx::connection connection(ConnectionString());
    pqxx::nontransaction tx(connection);
    ASSERT_EQ(tx.exec_params1("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                              " WHERE application_name = $1",
                              schema_)[0]
                  .as<long long>(),
              1);
  }
  for (int i = 0; i < 100 && StoreSessions() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(StoreSessions(), 0) << "the killed session is still there";

  // The applier retries a failed batch; the first attempt may meet the dead session (the store then
  // drops it), the retry runs on a new session, whose statements are not prepared yet.
  const Fence fence{start->generation, {{0, 1}}};
  const auto confirmed = DecodeBatch({Record(testing::Changed(2, Status::kPending, Status::kConfirmed), 1)});
  auto outcome = store.Apply(confirmed, fence, WriteMode::kFast);
  if (outcome.kind == ApplyOutcome::Kind::kFailed) outcome = store.Apply(confirmed, fence, WriteMode::kFast);
  ASSERT_EQ(outcome.kind, ApplyOutcome::Kind::kApplied) << outcome.error;
  EXPECT_EQ(Count("SELECT version FROM orders"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM order_history"), 2);
  EXPECT_EQ(Count("SELECT sum(orders) FROM report_status_counts WHERE status = 'confirmed'"), 1)
      << "the summary statement did not run on the new session";
  EXPECT_EQ(Count("SELECT next_offset FROM consumer_offsets WHERE partition = 0"), 2);
}

// The fence statement was prepared (and planned) against the tables of the
// schema the store's search_path named before a rebuild's switch renamed it
// away; the store must still read the switched-in schema's generation.
TEST_F(PgReadModelStoreTest, AStoreWhoseStatementsWerePreparedBeforeASwitchSeesTheSwitchedInSchema) {
  PgReadModelStore store(ConnectionString());
  const auto start = store.LoadPosition(kTopic, {0});
  ASSERT_TRUE(start.ok()) << start.error().message;
  const auto placed = store.Apply(DecodeBatch({Record(testing::Placed(), 0)}), {start->generation, {{0, std::nullopt}}},
                                  WriteMode::kFast);
  ASSERT_EQ(placed.kind, ApplyOutcome::Kind::kApplied) << placed.error;

  const auto rebuilt = schema_ + "_rebuilt", retired = schema_ + "_retired";
  {
    pqxx::connection connection(testing::DatabaseUrl());
    CreateFreshSchema(connection, rebuilt);
  }
  SchemaSwitch(testing::DatabaseUrl(), schema_, rebuilt, {kTopic}, std::chrono::milliseconds(900)).Commit(retired);

  const auto refused = store.Apply(DecodeBatch({Record(testing::Changed(2, Status::kPending, Status::kConfirmed), 1)}),
                                   {start->generation, {{0, 1}}}, WriteMode::kFast);
  EXPECT_EQ(refused.kind, ApplyOutcome::Kind::kStoreMoved) << refused.error;
  EXPECT_NE(refused.stored.generation, start->generation);
  EXPECT_TRUE(refused.stored.offsets.empty()) << "read from the retired schema";
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), 0) << "the switched-in schema";
  EXPECT_EQ(Count("SELECT version FROM " + retired + ".orders"), 1) << "the retired schema was written to";
  pqxx::connection connection(testing::DatabaseUrl());
  pqxx::work tx(connection);
  tx.exec("DROP SCHEMA " + retired + " CASCADE");
  tx.commit();
}

}  // namespace
}  // namespace orders::projection
