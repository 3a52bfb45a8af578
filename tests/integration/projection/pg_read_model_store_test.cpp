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

#include "pg/batch_statements.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"
#include "pg/pg_read_model_store.hpp"
#include "pg/schema_switch.hpp"

namespace orders::projection {
namespace {

using domain::Status;

constexpr const char* kTopic = "orders.events";

platform::ConsumedRecord Record(const domain::Event& event, platform::Offset offset,
                                platform::Partition partition = 0) {
  auto encoded = codec::EncodeEvent(
      event, {"evt-" + std::to_string(partition) + "-" + std::to_string(offset), "/test", std::nullopt, std::nullopt});
  return {kTopic, partition, offset, encoded.key, encoded.value, encoded.headers, 0};
}

std::string OrderId(int n) {
  const auto digits = std::to_string(n);
  return "00000000-0000-4000-8000-" + std::string(12 - digits.size(), '0') + digits;
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

  bool StoreWaitsForALock() {
    pqxx::connection connection(ConnectionString());
    pqxx::nontransaction tx(connection);
    return tx.exec_params1(
                 "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
                 " AND wait_event_type = 'Lock'",
                 schema_)[0]
               .as<long long>() > 0;
  }

  void ExpectTheSwitchedInSchemaIsSeen(bool store_waits_for_the_switch) {
    PgReadModelStore store(NamedStoreConnectionString());
    const auto start = store.LoadPosition(kTopic, {0});
    ASSERT_TRUE(start.ok()) << start.error().message;
    const auto placed = store.Apply(DecodeBatch({Record(testing::Placed(), 0)}),
                                    {start->generation, {{0, std::nullopt}}}, WriteMode::kFast);
    ASSERT_EQ(placed.kind, ApplyOutcome::Kind::kApplied) << placed.error;

    const auto rebuilt = schema_ + "_rebuilt", retired = schema_ + "_retired";
    {
      pqxx::connection connection(testing::DatabaseUrl());
      CreateFreshSchema(connection, rebuilt);
    }
    SchemaSwitch switch_in(testing::DatabaseUrl(), schema_, rebuilt, {kTopic}, std::chrono::milliseconds(900));
    ApplyOutcome refused;
    const auto confirm = [&] {
      refused = store.Apply(DecodeBatch({Record(testing::Changed(2, Status::kPending, Status::kConfirmed), 1)}),
                            {start->generation, {{0, 1}}}, WriteMode::kFast);
    };
    if (store_waits_for_the_switch) {
      std::thread writer(confirm);
      for (int i = 0; i < 250 && !StoreWaitsForALock(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      EXPECT_TRUE(StoreWaitsForALock()) << "the store's fence did not wait for the switch";
      switch_in.Commit(retired);
      writer.join();
    } else {
      switch_in.Commit(retired);
      confirm();
    }
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

// The order is stored already (here by the writer of another partition, as
// after a hand edit): the store's first transaction on its session fails on it
// and rolls back, the staging tables it created included; the tolerant retry,
// on the same session, creates them again and runs the prepared statements
// against them.
TEST_F(PgReadModelStoreTest, ABigBatchThatMeetsAStoredOrderIsWrittenAgainTolerantlyOnTheSameSession) {
  PgReadModelStore other(ConnectionString());
  const auto other_start = other.LoadPosition(kTopic, {1});
  ASSERT_TRUE(other_start.ok()) << other_start.error().message;
  const auto stored = other.Apply(DecodeBatch({Record(testing::Placed(OrderId(0)), 0, 1)}),
                                  {other_start->generation, {{1, std::nullopt}}}, WriteMode::kFast);
  ASSERT_EQ(stored.kind, ApplyOutcome::Kind::kApplied) << stored.error;

  PgReadModelStore store(ConnectionString());
  const auto start = store.LoadPosition(kTopic, {0});
  ASSERT_TRUE(start.ok()) << start.error().message;
  std::vector<platform::ConsumedRecord> records;
  const int orders = static_cast<int>(kMaxRecordsWrittenAsArrays) + 1;
  for (int i = 0; i < orders; ++i) records.push_back(Record(testing::Placed(OrderId(i)), i));
  const auto batch = DecodeBatch(records);
  ASSERT_EQ(ChooseWritePath(batch.Size(), WriteMode::kFast), WritePath::kStaging);
  const Fence fence{start->generation, {{0, std::nullopt}}};

  const auto fast = store.Apply(batch, fence, WriteMode::kFast);
  ASSERT_EQ(fast.kind, ApplyOutcome::Kind::kRowsExist) << fast.error;
  const auto tolerant = store.Apply(batch, fence, WriteMode::kTolerant);
  ASSERT_EQ(tolerant.kind, ApplyOutcome::Kind::kApplied) << tolerant.error;
  EXPECT_EQ(Count("SELECT count(*) FROM orders"), orders);
  EXPECT_EQ(Count("SELECT count(*) FROM order_history"), orders);
  EXPECT_EQ(Count("SELECT sum(placed) FROM report_daily"), orders) << "the stored placement counted twice, or none";
  EXPECT_EQ(Count("SELECT next_offset FROM consumer_offsets WHERE partition = 0"), orders);
}

// The report summaries need what came before a batch: a writer that did not
// write an order's earlier events (another one did, before a restart) loads
// them from the store, then keeps them for the order's later batches.
TEST_F(PgReadModelStoreTest, ADeliveryCountsForItsCourierAndStepsWhateverWriterSawTheEarlierEvents) {
  const auto at = [](int minute) { return testing::At(1764000000000 + minute * 60000LL); };
  const auto apply = [&](PgReadModelStore& store, std::vector<platform::ConsumedRecord> records) {
    const auto start = store.LoadPosition(kTopic, {0});
    ASSERT_TRUE(start.ok()) << start.error().message;
    const auto stored = start->offsets.find(0);
    const std::optional<platform::Offset> expected =
        stored == start->offsets.end() ? std::nullopt : std::optional(stored->second);
    const auto outcome =
        store.Apply(DecodeBatch(std::move(records)), {start->generation, {{0, expected}}}, WriteMode::kFast);
    ASSERT_EQ(outcome.kind, ApplyOutcome::Kind::kApplied) << outcome.error;
  };
  // Two orders: the first writer saw only the placement of `learnt` (the second writer loads it with its
  // confirmation, then remembers it), and everything of `loaded` but its delivery (loaded with its history).
  const std::string learnt = testing::kOrderId, loaded = OrderId(2);
  {
    PgReadModelStore first(ConnectionString());
    apply(first, {Record(testing::Placed(learnt, at(0)), 0), Record(testing::Placed(loaded, at(0)), 1),
                  Record(testing::Changed(2, Status::kPending, Status::kConfirmed, loaded, at(3)), 2),
                  Record(domain::CourierAssigned{loaded, 3, at(10), "courier-1"}, 3)});
  }
  PgReadModelStore restarted(ConnectionString());
  apply(restarted, {Record(testing::Changed(2, Status::kPending, Status::kConfirmed, learnt, at(3)), 4),
                    Record(domain::CourierAssigned{learnt, 3, at(10), "courier-1"}, 5)});
  apply(restarted, {Record(testing::Changed(4, Status::kConfirmed, Status::kShipped, learnt, at(20)), 6),
                    Record(testing::Changed(5, Status::kShipped, Status::kDelivered, learnt, at(55)), 7),
                    Record(testing::Changed(4, Status::kConfirmed, Status::kShipped, loaded, at(20)), 8),
                    Record(testing::Changed(5, Status::kShipped, Status::kDelivered, loaded, at(55)), 9)});

  EXPECT_EQ(Count("SELECT sum(placed) FROM report_daily"), 2);
  EXPECT_EQ(Count("SELECT sum(delivered) FROM report_daily"), 2);
  EXPECT_EQ(Count("SELECT sum(revenue_cents)::bigint FROM report_daily"), 6000) << "the placements' totals";
  EXPECT_EQ(Count("SELECT sum(quantity) FROM report_products WHERE product_id = 'sku-1'"), 4);
  EXPECT_EQ(Count("SELECT deliveries FROM report_couriers WHERE courier_id = 'courier-1'"), 2)
      << "the assignment before each delivery, seen in an earlier batch or loaded";
  EXPECT_EQ(Count("SELECT minutes[19] FROM report_couriers WHERE courier_id = 'courier-1'"), 2)
      << "45 minutes from the assignment: the bucket [45, 50)";
  EXPECT_EQ(Count("SELECT sum(m) FROM report_step_minutes, unnest(minutes) AS m WHERE step = 'placed_to_confirmed'"),
            2);
  EXPECT_EQ(Count("SELECT minutes[20] FROM report_step_minutes WHERE step = 'confirmed_to_delivered'"), 2)
      << "52 minutes from the first confirmation: the bucket [50, 55)";
  EXPECT_EQ(Count("SELECT orders FROM report_status_counts WHERE status = 'delivered'"), 2);
  EXPECT_EQ(Count("SELECT coalesce(sum(orders), 0) FROM report_status_counts WHERE status <> 'delivered'"), 0);
}

// The fence statement was prepared (and planned) against the tables of the
// schema the store's search_path named before a rebuild's switch renamed it
// away; the store must still read the switched-in schema's generation, both
// after the switch and when its fence waited for the switch's locks.
TEST_F(PgReadModelStoreTest, AStoreWhoseStatementsWerePreparedBeforeASwitchSeesTheSwitchedInSchema) {
  ExpectTheSwitchedInSchemaIsSeen(false);
}

TEST_F(PgReadModelStoreTest, AStoreWhoseFenceWaitedForASwitchSeesTheSwitchedInSchema) {
  ExpectTheSwitchedInSchemaIsSeen(true);
}

}  // namespace
}  // namespace orders::projection
