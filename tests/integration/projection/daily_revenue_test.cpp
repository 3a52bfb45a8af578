// The daily report's revenue on the real read model: summed per currency,
// exactly, whatever the size of the totals. The rows are written directly:
// no order the API accepts is large enough to overflow a 64-bit sum alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <orders/testing/test_env.hpp>
#include <pqxx/pqxx>

#include "pg/batch_statements.hpp"
#include "pg/migrations.hpp"
#include "pg/pg_connection.hpp"
#include "pg/read_model_queries.hpp"
#include "pg/summary_statements.hpp"

namespace orders::projection {
namespace {

using domain::Status;

class DailyRevenueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ORDERS_REQUIRE_POSTGRES();
    schema_ = testing::UniqueName("daily");
    std::replace(schema_.begin(), schema_.end(), '-', '_');
    pqxx::connection connection(ConnectionString());
    Migrate(connection, schema_);
  }

  std::string ConnectionString() const { return ReadModelConnectionString(testing::DatabaseUrl(), schema_); }

  // An order placed and delivered on 2026-12-04 (UTC).
  void Delivered(const std::string& order_id, const std::string& currency, const std::string& total_cents) {
    pqxx::connection connection(ConnectionString());
    pqxx::work tx(connection);
    tx.exec("SET search_path TO " + tx.quote_name(schema_));
    tx.exec_params(
        "INSERT INTO orders VALUES ($1, 'customer-1', '[]', $2, $3::bigint, 'delivered', 2,"
        " '2026-12-04T08:00:00Z', '2026-12-04T09:00:00Z', 'courier-1')",
        order_id, currency, total_cents);
    tx.exec_params(
        "INSERT INTO order_history VALUES"
        " ($1::uuid, 1, 'pending', '2026-12-04T08:00:00Z', NULL, 'e1-' || $1::text, 'order.placed', NULL),"
        " ($1::uuid, 2, 'delivered', '2026-12-04T09:00:00Z', NULL, 'e2-' || $1::text, 'order.status_changed', NULL)",
        order_id);
    Summarise(tx, {Row(order_id, 1, Status::kPending, At(8), "order.placed", std::nullopt),
                   Row(order_id, 2, Status::kDelivered, At(9), "order.status_changed", Status::kPending)});
    tx.commit();
  }

  static domain::Timestamp At(int hour_on_2026_12_04) {
    return std::chrono::sys_days{std::chrono::year{2026} / 12 / 4} + std::chrono::hours(hour_on_2026_12_04);
  }

  // A history row as a batch hands it to WriteSummaries: the fields written, and the status before the event.
  static HistoryRow Row(const std::string& order_id, std::int64_t version, Status status, domain::Timestamp at,
                        const std::string& event, std::optional<Status> before) {
    HistoryRow row;
    row.order_id = order_id;
    row.version = version;
    row.status = status;
    row.at = at;
    row.event = event;
    row.status_before = before;
    return row;
  }

  // The rows are written by hand, so their summaries too, as the projection writes them for a batch.
  static void Summarise(pqxx::transaction_base& tx, std::vector<HistoryRow> rows) {
    BatchWrites writes;
    writes.history = std::move(rows);
    PrepareStatements(tx.conn());  // what the store does for every connection it opens
    OrderFacts nothing_known;      // every order's facts are loaded from the rows written above
    WriteSummaries(tx, writes, nothing_known);
  }

  // A later event that leaves the order delivered (a courier's decline, as
  // a log may hold one): its history row says "delivered" too.
  void LaterEventWhileDelivered(const std::string& order_id) {
    pqxx::connection connection(ConnectionString());
    pqxx::work tx(connection);
    tx.exec("SET search_path TO " + tx.quote_name(schema_));
    tx.exec_params(
        "INSERT INTO order_history VALUES ($1::uuid, 3, 'delivered', '2026-12-04T10:00:00Z', NULL, 'e3-' || $1::text,"
        " 'order.delivery_declined', 'courier-2')",
        order_id);
    Summarise(tx, {Row(order_id, 3, Status::kDelivered, At(10), "order.delivery_declined", Status::kDelivered)});
    tx.commit();
  }

  std::string schema_;
};

TEST_F(DailyRevenueTest, RevenueIsExactPerCurrencyEvenBeyondSixtyFourBits) {
  Delivered("00000000-0000-4000-8000-000000000001", "USD", "9000000000000000000");
  Delivered("00000000-0000-4000-8000-000000000002", "USD", "9000000000000000000");
  Delivered("00000000-0000-4000-8000-000000000003", "EUR", "500");
  ReadModelQueries queries(ConnectionString());
  const auto day = std::chrono::sys_days{std::chrono::year{2026} / 12 / 4};
  const auto daily = queries.Daily({day - std::chrono::days(1), day});
  ASSERT_TRUE(daily) << "the report must not fail on a large sum: " << daily.error().message;
  ASSERT_EQ(daily->size(), 2u);
  EXPECT_TRUE(daily->at(0).revenue_cents.empty());
  const auto& row = daily->at(1);
  EXPECT_EQ(row.placed, 3);
  EXPECT_EQ(row.delivered, 3);
  EXPECT_EQ(row.revenue_cents, (std::map<std::string, std::string>{{"EUR", "500"}, {"USD", "18000000000000000000"}}));
}

// Only the status change to delivered counts: an event after it that leaves
// the status as it was is not a second delivery (nor a placement).
TEST_F(DailyRevenueTest, OnlyTheStatusChangeCountsAsADelivery) {
  Delivered("00000000-0000-4000-8000-000000000004", "EUR", "700");
  LaterEventWhileDelivered("00000000-0000-4000-8000-000000000004");
  ReadModelQueries queries(ConnectionString());
  const auto day = std::chrono::sys_days{std::chrono::year{2026} / 12 / 4};
  const auto daily = queries.Daily({day, day});
  ASSERT_TRUE(daily) << daily.error().message;
  ASSERT_EQ(daily->size(), 1u);
  EXPECT_EQ(daily->at(0).placed, 1);
  EXPECT_EQ(daily->at(0).delivered, 1);
  EXPECT_EQ(daily->at(0).revenue_cents, (std::map<std::string, std::string>{{"EUR", "700"}}));
}

}  // namespace
}  // namespace orders::projection
