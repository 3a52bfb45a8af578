// The PostgreSQL store's own fence: a writer whose idea of the stored offsets is stale (a zombie
// after a rebalance, a consumer that missed a rebuild's switch) writes nothing, and learns where the
// store is. The applier's reaction is unit-tested over an in-memory store; this proves the real
// store refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <orders/codec/event_codec.hpp>
#include <orders/testing/builders.hpp>
#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"
#include "pg/pg_read_model_store.hpp"

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

}  // namespace
}  // namespace orders::projection
