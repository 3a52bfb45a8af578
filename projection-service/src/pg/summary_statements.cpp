#include "pg/summary_statements.hpp"

#include <string_view>
#include <unordered_map>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/event_topics.hpp>
#include <orders/projection/minute_histogram.hpp>

#include "pg/batch_statements.hpp"
#include "pg/sql_text.hpp"

namespace orders::projection {
namespace {

// `from` yields the history rows to summarise (alias h), one per event:
// order_id, version, status, at, reason, event and prev_status (the status of
// the order's previous history row; NULL for a placement), joined to what
// `order_columns` reads of each one's order: currency, total_cents, items,
// created_at. $1 is the slot, $2 the bucket bounds (kMinuteBuckets), further
// parameters belong to `from`. Every summary row is added to (never set), in
// key order, so that writers of different slots or days never deadlock.
std::string SummariseStatement(const std::string& from, const std::string& order_columns) {
  // A histogram column from per-bucket counts gathered as a jsonb object {"<bucket>": n} (`counts`):
  // one count for every bucket, in order, zeros included.
  const std::string dense =
      "ARRAY(SELECT coalesce((counts ->> s.i::text)::bigint, 0)"
      " FROM generate_series(1, cardinality($2::float8[])) AS s(i) ORDER BY s.i)";
  const std::string bucket = "width_bucket(GREATEST(minutes, 0), $2::float8[])";
  const std::string add_minutes =
      "(SELECT array_agg(a + b ORDER BY i) FROM unnest(t.minutes, excluded.minutes) WITH ORDINALITY AS u(a, b, i))";
  return "WITH e AS MATERIALIZED (SELECT h.order_id, h.version, h.status, h.at, (h.at AT TIME ZONE 'UTC')::date AS day,"
         "   coalesce(h.reason, '') AS reason, h.event = 'order.status_changed' AS moved, " +
         order_columns + ", h.prev_status FROM " + from +
         "),"
         // Every order in its status: +1 for the status an event moved it to, -1 for the one it left.
         " moves AS (SELECT status, sum(n) AS n FROM ("
         "   SELECT status, 1 AS n FROM e WHERE prev_status IS DISTINCT FROM status"
         "   UNION ALL SELECT prev_status, -1 FROM e WHERE prev_status IS NOT NULL AND prev_status <> status) m"
         "   GROUP BY status),"
         " status_counts AS (INSERT INTO report_status_counts AS t (slot, status, orders)"
         "   SELECT $1, status, n FROM moves WHERE n <> 0 ORDER BY status"
         "   ON CONFLICT (status, slot) DO UPDATE SET orders = t.orders + excluded.orders),"
         " daily AS (INSERT INTO report_daily AS t"
         "   (day, currency, slot, placed, confirmed, delivered, cancelled, revenue_cents)"
         "   SELECT day, currency, $1, count(*) FILTER (WHERE version = 1),"
         "     count(*) FILTER (WHERE moved AND status = 'confirmed'),"
         "     count(*) FILTER (WHERE moved AND status = 'delivered'),"
         "     count(*) FILTER (WHERE moved AND status = 'cancelled'),"
         "     coalesce(sum(total_cents) FILTER (WHERE moved AND status = 'delivered'), 0)"
         "   FROM e WHERE version = 1 OR (moved AND status IN ('confirmed', 'delivered', 'cancelled'))"
         "   GROUP BY day, currency ORDER BY day, currency"
         "   ON CONFLICT (day, currency, slot) DO UPDATE SET placed = t.placed + excluded.placed,"
         "     confirmed = t.confirmed + excluded.confirmed, delivered = t.delivered + excluded.delivered,"
         "     cancelled = t.cancelled + excluded.cancelled, revenue_cents = t.revenue_cents + excluded.revenue_cents),"
         " products AS (INSERT INTO report_products AS t (day, product_id, currency, quantity, revenue_cents)"
         "   SELECT e.day, i.\"productId\", e.currency, sum(i.quantity),"
         "     sum(i.quantity::numeric * i.\"unitPriceCents\")"
         "   FROM e CROSS JOIN LATERAL jsonb_to_recordset(e.items)"
         "     AS i(\"productId\" text, quantity bigint, \"unitPriceCents\" bigint)"
         "   WHERE e.moved AND e.status = 'delivered'"
         "   GROUP BY e.day, i.\"productId\", e.currency ORDER BY 1, 2, 3"
         "   ON CONFLICT (day, product_id, currency) DO UPDATE SET quantity = t.quantity + excluded.quantity,"
         "     revenue_cents = t.revenue_cents + excluded.revenue_cents),"
         // A delivery counts for the courier of the last assignment or release before it, when that was an
         // assignment: the courier holding the order when it was delivered, and since when.
         " held AS (SELECT d.day, c.courier_id, extract(epoch FROM d.at - c.at)::float8 / 60 AS minutes FROM e d"
         "   CROSS JOIN LATERAL (SELECT event, courier_id, at FROM order_history h"
         "     WHERE h.order_id = d.order_id AND h.version < d.version"
         "       AND h.event IN ('order.courier_assigned', 'order.courier_unassigned')"
         "     ORDER BY h.version DESC LIMIT 1) c"
         "   WHERE d.moved AND d.status = 'delivered' AND c.event = 'order.courier_assigned'),"
         " held_buckets AS (SELECT day, courier_id, " +
         bucket +
         " AS bucket, count(*) AS n FROM held GROUP BY 1, 2, 3),"
         " held_counts AS (SELECT day, courier_id, sum(n)::bigint AS deliveries, jsonb_object_agg(bucket, n) AS counts"
         "   FROM held_buckets GROUP BY day, courier_id),"
         " couriers AS (INSERT INTO report_couriers AS t (day, courier_id, deliveries, minutes)"
         "   SELECT day, courier_id, deliveries, " +
         dense +
         " FROM held_counts ORDER BY day, courier_id"
         "   ON CONFLICT (day, courier_id) DO UPDATE SET deliveries = t.deliveries + excluded.deliveries,"
         "     minutes = " +
         add_minutes +
         "),"
         " cancellations AS (INSERT INTO report_cancellations AS t (day, reason, slot, orders)"
         "   SELECT day, reason, $1, count(*) FROM e WHERE moved AND status = 'cancelled'"
         "   GROUP BY day, reason ORDER BY day, reason"
         "   ON CONFLICT (day, reason, slot) DO UPDATE SET orders = t.orders + excluded.orders),"
         // Between the funnel's steps: placement to confirmation (on the day of the confirmation), confirmation
         // to delivery (on the day of the delivery, for orders that were confirmed: steps may be skipped).
         " steps AS (SELECT day, 'placed_to_confirmed' AS step, extract(epoch FROM at - created_at)::float8 / 60"
         "     AS minutes FROM e WHERE moved AND status = 'confirmed'"
         "   UNION ALL SELECT d.day, 'confirmed_to_delivered', extract(epoch FROM d.at - c.at)::float8 / 60 FROM e d"
         "   CROSS JOIN LATERAL (SELECT at FROM order_history h WHERE h.order_id = d.order_id"
         "     AND h.version < d.version AND h.event = 'order.status_changed' AND h.status = 'confirmed'"
         "     ORDER BY h.version LIMIT 1) c"
         "   WHERE d.moved AND d.status = 'delivered'),"
         " step_buckets AS (SELECT day, step, " +
         bucket +
         " AS bucket, count(*) AS n FROM steps GROUP BY 1, 2, 3),"
         " step_counts AS (SELECT day, step, jsonb_object_agg(bucket, n) AS counts FROM step_buckets GROUP BY day, "
         "step),"
         " step_minutes AS (INSERT INTO report_step_minutes AS t (day, step, slot, minutes)"
         "   SELECT day, step, $1, " +
         dense +
         " FROM step_counts ORDER BY day, step"
         "   ON CONFLICT (day, step, slot) DO UPDATE SET minutes = " +
         add_minutes +
         ")"
         " SELECT 1";
}

// Only these rows use their order's columns: placements (daily: placed, by currency) and moves to confirmed
// (the funnel's first step, from created_at), delivered (revenue, products) and cancelled (daily).
constexpr const char* kUsesItsOrder =
    "(h.version = 1 OR (h.event = 'order.status_changed' AND h.status IN ('confirmed', 'delivered', 'cancelled')))";

// The batch's history rows as arrays ($3 ... $13), as the batch wrote them, with the status before each event
// from the fold, and the order's columns when the batch wrote the order whole (a new order, in memory):
// nothing is read back but the orders of earlier batches, and only for the rows that use them (the lateral
// join is not flattened, so its condition on h gates the index lookup instead of filtering after it).
const std::string& BatchStatement() {
  static const std::string statement = SummariseStatement(
      std::string("unnest($3::uuid[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[],"
                  " $9::text[], $10::char(3)[], $11::bigint[], $12::jsonb[], $13::timestamptz[])"
                  " AS h(order_id, version, status, at, reason, event, prev_status, currency, total_cents, items,"
                  " created_at)"
                  " LEFT JOIN LATERAL (SELECT currency, total_cents, items, created_at FROM orders"
                  " WHERE order_id = h.order_id AND h.currency IS NULL AND ") +
          kUsesItsOrder + " OFFSET 0) o ON true",
      "coalesce(h.currency, o.currency) AS currency, coalesce(h.total_cents, o.total_cents) AS total_cents,"
      " coalesce(h.items, o.items) AS items, coalesce(h.created_at, o.created_at) AS created_at");
  return statement;
}

// Every stored history row, with the status of the row before it, and its order (hash joins: each table is
// read once).
const std::string& WholeHistoryStatement() {
  static const std::string statement = SummariseStatement(
      "(SELECT h.order_id, h.version, h.status, h.at, h.reason, h.event, p.status AS prev_status"
      " FROM order_history h LEFT JOIN order_history p ON p.order_id = h.order_id AND p.version = h.version - 1) h"
      " JOIN orders o ON o.order_id = h.order_id",
      "o.currency, o.total_cents, o.items, o.created_at");
  return statement;
}

std::string BucketBounds() { return MinuteBucketsLiteral(); }

// Run by every batch (the summary) or every tolerant one (the stored keys): prepared once per connection, so
// PostgreSQL parses and plans them once, not per batch (planning the summary's CTE costs more than running it).
constexpr const char* kSummariseBatchName = "orders_summarise_batch";
constexpr const char* kStoredHistoryKeysName = "orders_stored_history_keys";
constexpr const char* kStoredHistoryKeys =
    "SELECT h.order_id::text, h.version FROM unnest($1::uuid[], $2::bigint[]) AS k(order_id, version)"
    " JOIN order_history h ON h.order_id = k.order_id AND h.version = k.version";

}  // namespace

void PrepareSummaryStatements(pqxx::connection_base& connection) {
  connection.prepare(kSummariseBatchName, BatchStatement());
  connection.prepare(kStoredHistoryKeysName, kStoredHistoryKeys);
}

std::set<HistoryKey> StoredHistoryKeys(pqxx::transaction_base& tx, const BatchWrites& writes) {
  std::set<HistoryKey> stored;
  if (writes.history.empty()) return stored;
  std::vector<std::string> ids, versions;
  for (const auto& row : writes.history) {
    ids.push_back(row.order_id);
    versions.push_back(std::to_string(row.version));
  }
  for (const auto& row : tx.exec_prepared(kStoredHistoryKeysName, ArrayLiteral(ids), ArrayLiteral(versions))) {
    stored.emplace(row[0].as<std::string>(), row[1].as<std::int64_t>());
  }
  return stored;
}

void WriteSummaries(pqxx::transaction_base& tx, const BatchWrites& writes, const std::set<HistoryKey>& skip) {
  // The orders the batch wrote whole: what the summaries read of them is in memory.
  std::unordered_map<std::string_view, const domain::Order*> written_whole;
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    if (!writes.stored_before[i]) written_whole.emplace(writes.upserts[i].order_id, &writes.upserts[i]);
  }
  // The texts exactly as the write paths store them (PgText, PgTimestamp, ItemsJson), so that the summaries
  // see what the read model holds.
  const std::string_view status_changed = codec::EventNameOfType(codec::kStatusChangedType);
  std::vector<std::string> ids, versions, statuses, times, events;
  std::vector<std::optional<std::string>> reasons, statuses_before, currencies, totals, items, created;
  for (const auto& row : writes.history) {
    if (skip.count({row.order_id, row.version})) continue;
    ids.push_back(row.order_id);
    versions.push_back(std::to_string(row.version));
    statuses.emplace_back(domain::ToString(row.status));
    times.push_back(PgTimestamp(row.at));
    reasons.push_back(row.reason ? std::optional(PgText(*row.reason)) : std::nullopt);
    events.push_back(PgText(row.event));
    statuses_before.push_back(row.status_before ? std::optional<std::string>(domain::ToString(*row.status_before))
                                                : std::nullopt);
    const auto order = written_whole.find(row.order_id);
    const bool moved = row.event == status_changed;
    const bool uses_order = row.version == 1 || (moved && (row.status == domain::Status::kConfirmed ||
                                                           row.status == domain::Status::kDelivered ||
                                                           row.status == domain::Status::kCancelled));
    if (order == written_whole.end() || !uses_order) {  // the statement reads it from the order's row if it needs it
      currencies.emplace_back();
      totals.emplace_back();
      items.emplace_back();
      created.emplace_back();
      continue;
    }
    currencies.emplace_back(PgText(order->second->currency));
    totals.emplace_back(std::to_string(order->second->total_cents));
    // Only the products of deliveries are summed.
    items.push_back(moved && row.status == domain::Status::kDelivered ? std::optional(ItemsJson(order->second->items))
                                                                      : std::nullopt);
    created.emplace_back(PgTimestamp(order->second->created_at));
  }
  if (ids.empty()) return;
  const int slot = writes.next_offsets.empty() ? 0 : static_cast<int>(writes.next_offsets.begin()->first);
  tx.exec_prepared(kSummariseBatchName, slot, BucketBounds(), ArrayLiteral(ids), ArrayLiteral(versions),
                   ArrayLiteral(statuses), ArrayLiteral(times), ArrayLiteral(reasons), ArrayLiteral(events),
                   ArrayLiteral(statuses_before), ArrayLiteral(currencies), ArrayLiteral(totals), ArrayLiteral(items),
                   ArrayLiteral(created));
}

void SummariseStoredHistory(pqxx::transaction_base& tx) {
  // One statement over the whole history: orders and the history are each read once (hash joins), and
  // each summary row is written once. Slices of the order ids would upsert the same day rows again in
  // every slice, and each slice's join would have to reach its rows by key.
  tx.exec_params(WholeHistoryStatement(), 0, BucketBounds());
}

}  // namespace orders::projection
