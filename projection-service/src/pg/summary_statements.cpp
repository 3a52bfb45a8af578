#include "pg/summary_statements.hpp"

#include <orders/projection/minute_histogram.hpp>

#include "pg/sql_text.hpp"

namespace orders::projection {
namespace {

// `keys` yields (order_id, version) of the history rows to summarise; $1 is
// the slot, $2 the bucket bounds (kMinuteBuckets), further parameters belong
// to `keys`. Every summary row is added to (never set), in key order, so that
// writers of different slots or days never deadlock.
std::string SummariseStatement(const std::string& keys) {
  // A histogram column from per-bucket counts gathered as a jsonb object {"<bucket>": n} (`counts`):
  // one count for every bucket, in order, zeros included.
  const std::string dense =
      "ARRAY(SELECT coalesce((counts ->> s.i::text)::bigint, 0)"
      " FROM generate_series(1, cardinality($2::float8[])) AS s(i) ORDER BY s.i)";
  const std::string bucket = "width_bucket(GREATEST(minutes, 0), $2::float8[])";
  const std::string add_minutes =
      "(SELECT array_agg(a + b ORDER BY i) FROM unnest(t.minutes, excluded.minutes) WITH ORDINALITY AS u(a, b, i))";
  return "WITH k AS (" + keys +
         "),"
         " e AS MATERIALIZED (SELECT h.order_id, h.version, h.status, h.at, (h.at AT TIME ZONE 'UTC')::date AS day,"
         "   coalesce(h.reason, '') AS reason, h.event = 'order.status_changed' AS moved, o.currency, o.total_cents,"
         "   o.items, o.created_at, p.status AS prev_status"
         "   FROM k JOIN order_history h ON h.order_id = k.order_id AND h.version = k.version"
         "   JOIN orders o ON o.order_id = h.order_id"
         "   LEFT JOIN order_history p ON p.order_id = h.order_id AND p.version = h.version - 1),"
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

// The batch's rows as arrays: $3 the order ids, $4 their versions.
const std::string& BatchStatement() {
  static const std::string statement =
      SummariseStatement("SELECT * FROM unnest($3::uuid[], $4::bigint[]) AS k(order_id, version)");
  return statement;
}

// Every stored history row.
const std::string& WholeHistoryStatement() {
  static const std::string statement = SummariseStatement("SELECT order_id, version FROM order_history");
  return statement;
}

std::string BucketBounds() { return MinuteBucketsLiteral(); }

}  // namespace

std::set<HistoryKey> StoredHistoryKeys(pqxx::transaction_base& tx, const BatchWrites& writes) {
  std::set<HistoryKey> stored;
  if (writes.history.empty()) return stored;
  std::vector<std::string> ids, versions;
  for (const auto& row : writes.history) {
    ids.push_back(row.order_id);
    versions.push_back(std::to_string(row.version));
  }
  for (const auto& row :
       tx.exec_params("SELECT h.order_id::text, h.version FROM unnest($1::uuid[], $2::bigint[]) AS k(order_id, version)"
                      " JOIN order_history h ON h.order_id = k.order_id AND h.version = k.version",
                      ArrayLiteral(ids), ArrayLiteral(versions))) {
    stored.emplace(row[0].as<std::string>(), row[1].as<std::int64_t>());
  }
  return stored;
}

void WriteSummaries(pqxx::transaction_base& tx, const BatchWrites& writes, const std::set<HistoryKey>& skip) {
  std::vector<std::string> ids, versions;
  for (const auto& row : writes.history) {
    if (skip.count({row.order_id, row.version})) continue;
    ids.push_back(row.order_id);
    versions.push_back(std::to_string(row.version));
  }
  if (ids.empty()) return;
  const int slot = writes.next_offsets.empty() ? 0 : static_cast<int>(writes.next_offsets.begin()->first);
  tx.exec_params(BatchStatement(), slot, BucketBounds(), ArrayLiteral(ids), ArrayLiteral(versions));
}

void SummariseStoredHistory(pqxx::transaction_base& tx) {
  // One statement over the whole history: orders and the history are each read once (hash joins), and
  // each summary row is written once. Slices of the order ids would upsert the same day rows again in
  // every slice, and each slice's join would have to reach its rows by key.
  tx.exec_params(WholeHistoryStatement(), 0, BucketBounds());
}

}  // namespace orders::projection
