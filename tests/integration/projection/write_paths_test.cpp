// The two ways a batch reaches PostgreSQL (batch_statements.hpp): as arrays in
// one prepared statement (small live batches) and through COPY into staging
// tables (replays, backlogs). The same batches written both ways, each into
// its own fresh schema, must leave identical tables, hostile text included.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "pg/batch_statements.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"

namespace orders::projection {
namespace {

using domain::Status;
using domain::Timestamp;

constexpr const char* kTopic = "orders.events";
const std::string kHostile = std::string("a\"b\\c{d},e NULL \t\n\r é ") + '\0' + "'; DROP TABLE orders; --";

Timestamp At(std::int64_t ms) { return Timestamp(std::chrono::milliseconds(ms)); }

domain::Order NewOrder(const std::string& id, const std::string& customer) {
  domain::Order order;
  order.order_id = id;
  order.customer_id = customer;
  order.items = {{"sku-" + kHostile, 2, 150}, {"{\"json\": [1, 2]}", 1, 7}};
  order.currency = "EUR";
  order.total_cents = 307;
  order.status = Status::kConfirmed;
  order.version = 2;
  order.created_at = At(1700000000123);
  order.updated_at = At(1700000000456);
  return order;
}

// Batch 1: two new orders (placed and confirmed), the second declined by a
// courier. Batch 2: the first moves on and is cancelled (a stored order
// changes), with reasons NULL and hostile; the second gets a courier, and is
// declined again by the same courier (nothing new) and by another one.
std::vector<BatchWrites> Batches() {
  const std::string first = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  const std::string second = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";
  BatchWrites placed;
  placed.topic = kTopic;
  placed.upserts = {NewOrder(first, kHostile), NewOrder(second, "NULL")};
  // The edges of the times an event may carry (years 0000-9999; PostgreSQL calls year 0 "1 BC").
  placed.upserts[1].created_at = At(-62167219200000);  // 0000-01-01T00:00:00.000Z
  placed.upserts[1].updated_at = At(253402300799999);  // 9999-12-31T23:59:59.999Z
  placed.stored_before = {false, false};
  for (const auto& id : {first, second}) {
    placed.history.push_back(
        {id, 1, Status::kPending, At(1700000000123), std::nullopt, "evt-" + id + "-1", "order.placed", std::nullopt});
    placed.history.push_back({id, 2, Status::kConfirmed, At(1700000000456), std::nullopt, "evt-" + id + "-2",
                              "order.status_changed", std::nullopt});
  }
  placed.upserts[1].version = 3;
  placed.history.push_back({second, 3, Status::kConfirmed, At(1700000000789), kHostile, "evt-decline-1",
                            "order.delivery_declined", kHostile});
  placed.declines.push_back({second, kHostile, 3, At(1700000000789)});
  placed.next_offsets = {{0, 4}, {3, 17}};

  BatchWrites moved;
  moved.topic = kTopic;
  auto cancelled = NewOrder(first, kHostile);
  cancelled.status = Status::kCancelled;
  cancelled.version = 4;
  cancelled.updated_at = At(1700000009999);
  auto assigned = NewOrder(second, "NULL");
  assigned.courier_id = "courier-b";
  assigned.version = 6;
  assigned.updated_at = At(253402300799999);  // the edge again, through the update
  moved.upserts = {cancelled, assigned};
  moved.stored_before = {true, true};
  moved.history.push_back(
      {first, 3, Status::kProcessing, At(1700000005000), std::nullopt, "evt-3", "order.status_changed", std::nullopt});
  moved.history.push_back(
      {first, 4, Status::kCancelled, At(1700000009999), kHostile, "evt-" + kHostile, "order.status_changed", {}});
  moved.history.push_back({second, 4, Status::kConfirmed, At(1700000006000), std::nullopt, "evt-decline-2",
                           "order.delivery_declined", kHostile});
  moved.history.push_back({second, 5, Status::kConfirmed, At(1700000006500), std::nullopt, "evt-decline-3",
                           "order.delivery_declined", "courier-a"});
  moved.history.push_back({second, 6, Status::kConfirmed, At(253402300799999), std::nullopt, "evt-assign",
                           "order.courier_assigned", "courier-b"});
  moved.declines.push_back({second, kHostile, 4, At(1700000006000)});
  moved.declines.push_back({second, "courier-a", 5, At(1700000006500)});
  moved.next_offsets = {{0, 6}};
  return {placed, moved};
}

class WritePathsTest : public ::testing::Test {
 protected:
  void SetUp() override { ORDERS_REQUIRE_POSTGRES(); }

  void TearDown() override {
    if (schemas_.empty()) return;
    pqxx::connection connection(testing::DatabaseUrl());
    pqxx::work tx(connection);
    for (const auto& schema : schemas_) tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
    tx.commit();
  }

  std::string NewSchema() {
    auto schema = testing::UniqueName("paths");
    std::replace(schema.begin(), schema.end(), '-', '_');
    schemas_.push_back(schema);
    pqxx::connection connection(ReadModelConnectionString(testing::DatabaseUrl(), schema));
    Migrate(connection, schema);
    return schema;
  }

  // Writes one batch in one transaction, the way the writer does.
  static void Write(const std::string& schema, const BatchWrites& writes, WriteMode mode, WritePath path) {
    pqxx::connection connection(ReadModelConnectionString(testing::DatabaseUrl(), schema));
    PrepareStatements(connection);
    pqxx::work tx(connection);
    PrepareBatch(tx, path);
    WriteBatch(tx, writes, mode, path);
    tx.commit();
  }

  std::string WriteAll(WriteMode mode, WritePath path) {
    const auto schema = NewSchema();
    for (const auto& writes : Batches()) Write(schema, writes, mode, path);
    return schema;
  }

  // Every row of the three tables, as text ("∅" for NULL), in a fixed order.
  static std::vector<std::string> Dump(const std::string& schema) {
    pqxx::connection connection(ReadModelConnectionString(testing::DatabaseUrl(), schema));
    pqxx::work tx(connection);
    std::vector<std::string> lines;
    for (const char* query :
         {"SELECT 'order', order_id::text, customer_id, items::text, currency, total_cents::text, status,"
          " version::text, created_at::text, updated_at::text, courier_id FROM orders ORDER BY order_id",
          "SELECT 'history', order_id::text, version::text, status, at::text, reason, event_id, event, courier_id"
          " FROM order_history ORDER BY order_id, version",
          "SELECT 'decline', order_id::text, courier_id, version::text, declined_at::text FROM order_declines"
          " ORDER BY order_id, courier_id",
          "SELECT 'offset', topic, partition::text, next_offset::text FROM consumer_offsets"
          " ORDER BY topic, partition"}) {
      for (const auto& row : tx.exec(query)) {
        std::string line;
        for (const auto& field : row) line += (field.is_null() ? std::string("∅") : field.as<std::string>()) + " | ";
        lines.push_back(line);
      }
    }
    return lines;
  }

  std::vector<std::string> schemas_;
};

TEST_F(WritePathsTest, ChoosesArraysOnlyForSmallBatchesWrittenFast) {
  EXPECT_EQ(ChooseWritePath(1, WriteMode::kFast), WritePath::kArrays);
  EXPECT_EQ(ChooseWritePath(kMaxRecordsWrittenAsArrays, WriteMode::kFast), WritePath::kArrays);
  EXPECT_EQ(ChooseWritePath(kMaxRecordsWrittenAsArrays + 1, WriteMode::kFast), WritePath::kStaging);
  EXPECT_EQ(ChooseWritePath(1, WriteMode::kTolerant), WritePath::kStaging);
}

TEST_F(WritePathsTest, ArraysCopyAndStagingLeaveIdenticalTablesEvenForHostileText) {
  const auto by_arrays = Dump(WriteAll(WriteMode::kFast, WritePath::kArrays));
  const auto by_copy = Dump(WriteAll(WriteMode::kFast, WritePath::kStaging));
  const auto by_tolerant_staging = Dump(WriteAll(WriteMode::kTolerant, WritePath::kStaging));
  EXPECT_EQ(by_arrays, by_copy);
  EXPECT_EQ(by_arrays, by_tolerant_staging);
  ASSERT_EQ(by_arrays.size(), 2u + 10u + 2u + 2u);  // orders, history rows, declines, offsets
  EXPECT_NE(by_arrays[1].find("0001-01-01 00:00:00+00 BC"), std::string::npos) << by_arrays[1];
  EXPECT_NE(by_arrays[1].find("9999-12-31 23:59:59.999+00"), std::string::npos) << by_arrays[1];

  pqxx::connection connection(ReadModelConnectionString(testing::DatabaseUrl(), schemas_.front()));
  pqxx::work tx(connection);
  // The text came through whole (NUL, which PostgreSQL text cannot hold, as U+FFFD) ...
  std::string expected_text = kHostile;
  expected_text.replace(expected_text.find('\0'), 1, "\xEF\xBF\xBD");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM orders WHERE customer_id = " + tx.quote(expected_text))[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM orders WHERE customer_id = 'NULL'")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT items->0->>'productId' FROM orders WHERE customer_id = 'NULL'")[0].as<std::string>(),
            "sku-" + expected_text);
  // ... a missing reason is NULL, a given one is kept, and the stored order moved on under the version guard.
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM order_history WHERE reason IS NULL")[0].as<int>(), 8);
  EXPECT_EQ(tx.exec1("SELECT reason FROM order_history WHERE version = 4 AND event = 'order.status_changed'")[0]
                .as<std::string>(),
            expected_text);
  EXPECT_EQ(tx.exec1("SELECT status || ' ' || version FROM orders WHERE customer_id <> 'NULL'")[0].as<std::string>(),
            "cancelled 4");
  EXPECT_EQ(
      tx.exec1("SELECT string_agg(partition || ':' || next_offset, ',' ORDER BY partition) FROM consumer_offsets")[0]
          .as<std::string>(),
      "0:6,3:17");
  // A stored order took its courier; each courier's decline is one row, the first (a repeat adds nothing).
  EXPECT_EQ(tx.exec1("SELECT courier_id || ' ' || version FROM orders WHERE customer_id = 'NULL'")[0].as<std::string>(),
            "courier-b 6");
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM orders WHERE courier_id IS NULL")[0].as<int>(), 1);
  EXPECT_EQ(tx.exec1("SELECT string_agg(version::text, ',' ORDER BY version) FROM order_declines")[0].as<std::string>(),
            "3,5");
  EXPECT_EQ(tx.exec1("SELECT courier_id FROM order_declines WHERE version = 3")[0].as<std::string>(), expected_text);
}

// A row that exists already (a placement repeated in the log, a read model edited by hand) makes the
// fast paths fail with a unique violation, writing nothing; the tolerant retry skips it.
TEST_F(WritePathsTest, AnExistingRowFailsTheFastPathsAndTheTolerantRetrySkipsIt) {
  for (const auto path : {WritePath::kArrays, WritePath::kStaging}) {
    const auto schema = WriteAll(WriteMode::kFast, path);
    const auto before = Dump(schema);
    auto repeated = Batches().front();
    repeated.next_offsets = {{0, 7}};
    EXPECT_THROW(Write(schema, repeated, WriteMode::kFast, path), pqxx::unique_violation);
    EXPECT_EQ(Dump(schema), before);
    Write(schema, repeated, WriteMode::kTolerant, WritePath::kStaging);
    auto after = Dump(schema);
    EXPECT_EQ(after.back(), "offset | orders.events | 3 | 17 | ");
    EXPECT_EQ(after[after.size() - 2], "offset | orders.events | 0 | 7 | ");
    after.pop_back(), after.pop_back();
    auto expected = before;
    expected.pop_back(), expected.pop_back();
    EXPECT_EQ(after, expected) << "existing orders and history rows are left as they were";
  }
}

}  // namespace
}  // namespace orders::projection

namespace orders::projection {
namespace {

// Payments in the read model (migration 004): a new order's payment and every change of it reach the
// orders row on each write path, and the writer's fold state reads them back, so a payment event in a
// later batch (an authorization after the placement, a refund after a cancellation) applies.
class PaymentWritePathsTest : public WritePathsTest {};

TEST_F(PaymentWritePathsTest, PaymentsReachTheOrdersRowOnEveryPathAndFoldStateReadsThemBack) {
  const std::string id = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
  for (const auto& [mode, path] :
       {std::pair{WriteMode::kFast, WritePath::kArrays}, std::pair{WriteMode::kFast, WritePath::kStaging},
        std::pair{WriteMode::kTolerant, WritePath::kStaging}}) {
    const auto schema = NewSchema();
    auto order = NewOrder(id, "customer-p");
    order.version = 1;
    order.status = Status::kPending;
    order.payment = domain::InitialPayment(order.total_cents);
    BatchWrites placed;
    placed.topic = kTopic;
    placed.upserts = {order};
    placed.stored_before = {false};
    placed.next_offsets = {{0, 1}};
    Write(schema, placed, mode, path);

    std::vector<domain::Payment> read_back;
    const auto read = [&] {
      pqxx::connection connection(ReadModelConnectionString(testing::DatabaseUrl(), schema));
      PrepareStatements(connection);
      pqxx::work tx(connection);
      read_back.push_back(LoadFoldState(tx, {id}).at(id).payment);
    };
    read();
    for (const auto& payment : {domain::Payment{domain::PaymentStatus::kAuthorized, "pay_" + kHostile, 307},
                                domain::Payment{domain::PaymentStatus::kRefunded, "pay_" + kHostile, 307}}) {
      ++order.version;
      order.payment = payment;
      BatchWrites changed;
      changed.topic = kTopic;
      changed.upserts = {order};
      changed.stored_before = {true};
      changed.next_offsets = {{0, order.version}};
      Write(schema, changed, mode, path);
      read();
    }
    std::string expected_id = "pay_" + kHostile;
    expected_id.replace(expected_id.find('\0'), 1, "\xEF\xBF\xBD");
    ASSERT_EQ(read_back.size(), 3u);
    EXPECT_EQ(read_back[0], (domain::Payment{domain::PaymentStatus::kPending, "", 307}));
    EXPECT_EQ(read_back[1], (domain::Payment{domain::PaymentStatus::kAuthorized, expected_id, 307}));
    EXPECT_EQ(read_back[2], (domain::Payment{domain::PaymentStatus::kRefunded, expected_id, 307}));
  }
}

}  // namespace
}  // namespace orders::projection
