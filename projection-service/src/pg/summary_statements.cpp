#include "pg/summary_statements.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <orders/projection/minute_histogram.hpp>
#include <orders/read_model/order_rows.hpp>

#include "pg/batch_statements.hpp"
#include "pg/sql_text.hpp"

namespace orders::projection {
namespace {

// A histogram column added to: the stored counts plus the new ones, bucket by bucket.
const std::string kAddMinutes =
    "(SELECT array_agg(a + b ORDER BY i) FROM unnest(t.minutes, excluded.minutes) WITH ORDINALITY AS u(a, b, i))";

// The summaries of stored history rows in SQL, by the rules SummariseBatch
// (batch_summary.hpp) applies to a batch in memory: tests compare the two.
// `from` yields the history rows to summarise (alias h), one per event:
// order_id, version, status, at, reason, event and prev_status (the status of
// the order's previous history row; NULL for a placement), joined to what
// `order_columns` reads of each one's order: currency, total_cents, items,
// created_at. $1 is the slot, $2 the bucket bounds (kMinuteBuckets). Every
// summary row is added to (never set), in key order.
std::string SummariseStatement(const std::string& from, const std::string& order_columns) {
  // A histogram column from per-bucket counts gathered as a jsonb object {"<bucket>": n} (`counts`):
  // one count for every bucket, in order, zeros included.
  const std::string dense =
      "ARRAY(SELECT coalesce((counts ->> s.i::text)::bigint, 0)"
      " FROM generate_series(1, cardinality($2::float8[])) AS s(i) ORDER BY s.i)";
  const std::string bucket = "width_bucket(GREATEST(minutes, 0), $2::float8[])";
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
         kAddMinutes +
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
         kAddMinutes +
         ")"
         " SELECT 1";
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

// Add a batch's summary rows (SummaryDeltas, one array per column) to the tables, in key order, so that
// writers sharing rows (report_products, report_couriers have no slot) never deadlock. $1 is the slot.
constexpr const char* kAddSummariesName = "orders_add_summaries";
const std::string& AddSummariesStatement() {
  static const std::string statement =
      "WITH status_counts AS (INSERT INTO report_status_counts AS t (slot, status, orders)"
      "   SELECT $1, s, n FROM unnest($2::text[], $3::bigint[]) AS u(s, n) ORDER BY s"
      "   ON CONFLICT (status, slot) DO UPDATE SET orders = t.orders + excluded.orders),"
      " daily AS (INSERT INTO report_daily AS t"
      "   (day, currency, slot, placed, confirmed, delivered, cancelled, revenue_cents)"
      "   SELECT date '1970-01-01' + d, c, $1, p, cf, dl, cn, r"
      "   FROM unnest($4::int[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::numeric[])"
      "     AS u(d, c, p, cf, dl, cn, r) ORDER BY d, c"
      "   ON CONFLICT (day, currency, slot) DO UPDATE SET placed = t.placed + excluded.placed,"
      "     confirmed = t.confirmed + excluded.confirmed, delivered = t.delivered + excluded.delivered,"
      "     cancelled = t.cancelled + excluded.cancelled, revenue_cents = t.revenue_cents + excluded.revenue_cents),"
      " products AS (INSERT INTO report_products AS t (day, product_id, currency, quantity, revenue_cents)"
      "   SELECT date '1970-01-01' + d, p, c, q::bigint, r"
      "   FROM unnest($11::int[], $12::text[], $13::text[], $14::numeric[], $15::numeric[]) AS u(d, p, c, q, r)"
      "   ORDER BY d, p COLLATE \"C\", c"
      "   ON CONFLICT (day, product_id, currency) DO UPDATE SET quantity = t.quantity + excluded.quantity,"
      "     revenue_cents = t.revenue_cents + excluded.revenue_cents),"
      " couriers AS (INSERT INTO report_couriers AS t (day, courier_id, deliveries, minutes)"
      "   SELECT date '1970-01-01' + d, k, n, m::bigint[]"
      "   FROM unnest($16::int[], $17::text[], $18::bigint[], $19::text[]) AS u(d, k, n, m) ORDER BY d, k COLLATE \"C\""
      "   ON CONFLICT (day, courier_id) DO UPDATE SET deliveries = t.deliveries + excluded.deliveries,"
      "     minutes = " +
      kAddMinutes +
      "),"
      " cancellations AS (INSERT INTO report_cancellations AS t (day, reason, slot, orders)"
      "   SELECT date '1970-01-01' + d, r, $1, n FROM unnest($20::int[], $21::text[], $22::bigint[]) AS u(d, r, n)"
      "   ORDER BY d, r"
      "   ON CONFLICT (day, reason, slot) DO UPDATE SET orders = t.orders + excluded.orders),"
      " step_minutes AS (INSERT INTO report_step_minutes AS t (day, step, slot, minutes)"
      "   SELECT date '1970-01-01' + d, s, $1, m::bigint[] FROM unnest($23::int[], $24::text[], $25::text[])"
      "     AS u(d, s, m) ORDER BY d, s"
      "   ON CONFLICT (day, step, slot) DO UPDATE SET minutes = " +
      kAddMinutes +
      ")"
      " SELECT 1";
  return statement;
}

// What SummariseBatch needs of orders stored before the batch: the order's row, and from its history
// before the batch's first row of it ($2), the first confirmation and the last courier event. The
// lateral subqueries keep each lookup one index probe.
constexpr const char* kSummaryFactsName = "orders_summary_facts";
const std::string& SummaryFactsStatement() {
  static const std::string statement =
      std::string(
          "SELECT o.*, (extract(epoch FROM c.at) * 1000)::bigint, k.event, k.courier_id,"
          " (extract(epoch FROM k.at) * 1000)::bigint"
          " FROM unnest($1::uuid[], $2::bigint[]) AS b(id, first_version)"
          " CROSS JOIN LATERAL (SELECT ") +
      read_model::kOrderColumns +
      " FROM orders WHERE order_id = b.id) o"
      " LEFT JOIN LATERAL (SELECT at FROM order_history h WHERE h.order_id = b.id"
      "   AND h.version < b.first_version AND h.event = 'order.status_changed' AND h.status = 'confirmed'"
      "   ORDER BY h.version LIMIT 1) c ON true"
      " LEFT JOIN LATERAL (SELECT event, courier_id, at FROM order_history h WHERE h.order_id = b.id"
      "   AND h.version < b.first_version AND h.event IN ('order.courier_assigned', 'order.courier_unassigned')"
      "   ORDER BY h.version DESC LIMIT 1) k ON true";
  return statement;
}

domain::Timestamp FromMillis(std::int64_t millis) { return domain::Timestamp{std::chrono::milliseconds(millis)}; }

// Loads the facts of the wanted orders `facts` lacks into it.
void LoadFacts(pqxx::transaction_base& tx, const std::map<std::string, std::int64_t>& wanted, OrderFacts& facts) {
  std::vector<std::string> ids, first_versions;
  for (const auto& [id, first_version] : wanted) {
    if (facts.count(id)) continue;
    ids.push_back(id);
    first_versions.push_back(std::to_string(first_version));
  }
  if (ids.empty()) return;
  constexpr int kFirstConfirmed = 13, kCourierEvent = 14, kCourierId = 15, kCourierAt = 16;
  for (const auto& row : tx.exec_prepared(kSummaryFactsName, ArrayLiteral(ids), ArrayLiteral(first_versions))) {
    domain::Order order = read_model::OrderFromRow(row);
    StoredOrderFacts known{std::move(order.currency), order.total_cents, std::move(order.items), order.created_at, {}};
    if (!row[kFirstConfirmed].is_null()) {
      known.history.first_confirmed_at = FromMillis(row[kFirstConfirmed].as<std::int64_t>());
    }
    if (!row[kCourierEvent].is_null()) {
      known.history.last_courier_event =
          CourierEvent{row[kCourierEvent].as<std::string>() == "order.courier_assigned",
                       row[kCourierId].is_null() ? "" : row[kCourierId].as<std::string>(),
                       FromMillis(row[kCourierAt].as<std::int64_t>())};
    }
    facts.emplace(std::move(order.order_id), std::move(known));
  }
}

std::string HistogramLiteral(const MinuteHistogram& histogram) {
  std::string out = "{";
  for (std::size_t i = 0; i < histogram.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(histogram[i]);
  }
  return out + "}";
}

// Run by every tolerant batch: prepared once per connection.
constexpr const char* kStoredHistoryKeysName = "orders_stored_history_keys";
constexpr const char* kStoredHistoryKeys =
    "SELECT h.order_id::text, h.version FROM unnest($1::uuid[], $2::bigint[]) AS k(order_id, version)"
    " JOIN order_history h ON h.order_id = k.order_id AND h.version = k.version";

}  // namespace

void PrepareSummaryStatements(pqxx::connection_base& connection) {
  connection.prepare(kAddSummariesName, AddSummariesStatement());
  connection.prepare(kSummaryFactsName, SummaryFactsStatement());
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

void AddSummaries(pqxx::transaction_base& tx, int slot, const SummaryDeltas& deltas) {
  std::vector<std::string> statuses, status_changes;
  for (const auto& [status, change] : deltas.status_counts) {
    statuses.push_back(status);
    status_changes.push_back(std::to_string(change));
  }
  std::vector<std::string> daily_days, daily_currencies, placed, confirmed, delivered, cancelled, revenue;
  for (const auto& [key, delta] : deltas.daily) {
    daily_days.push_back(std::to_string(key.first));
    daily_currencies.push_back(key.second);
    placed.push_back(std::to_string(delta.placed));
    confirmed.push_back(std::to_string(delta.confirmed));
    delivered.push_back(std::to_string(delta.delivered));
    cancelled.push_back(std::to_string(delta.cancelled));
    revenue.push_back(DecimalText(delta.revenue_cents));
  }
  std::vector<std::string> product_days, product_ids, product_currencies, quantities, product_revenue;
  for (const auto& [key, delta] : deltas.products) {
    product_days.push_back(std::to_string(std::get<0>(key)));
    product_ids.push_back(std::get<1>(key));
    product_currencies.push_back(std::get<2>(key));
    quantities.push_back(DecimalText(delta.quantity));
    product_revenue.push_back(DecimalText(delta.revenue_cents));
  }
  std::vector<std::string> courier_days, courier_ids, deliveries, courier_minutes;
  for (const auto& [key, delta] : deltas.couriers) {
    courier_days.push_back(std::to_string(key.first));
    courier_ids.push_back(key.second);
    deliveries.push_back(std::to_string(delta.deliveries));
    courier_minutes.push_back(HistogramLiteral(delta.minutes));
  }
  std::vector<std::string> cancel_days, reasons, cancellations;
  for (const auto& [key, count] : deltas.cancellations) {
    cancel_days.push_back(std::to_string(key.first));
    reasons.push_back(key.second);
    cancellations.push_back(std::to_string(count));
  }
  std::vector<std::string> step_days, steps, step_minutes;
  for (const auto& [key, histogram] : deltas.steps) {
    step_days.push_back(std::to_string(key.first));
    steps.push_back(key.second);
    step_minutes.push_back(HistogramLiteral(histogram));
  }
  tx.exec_prepared(kAddSummariesName, slot, ArrayLiteral(statuses), ArrayLiteral(status_changes),
                   ArrayLiteral(daily_days), ArrayLiteral(daily_currencies), ArrayLiteral(placed),
                   ArrayLiteral(confirmed), ArrayLiteral(delivered), ArrayLiteral(cancelled), ArrayLiteral(revenue),
                   ArrayLiteral(product_days), ArrayLiteral(product_ids), ArrayLiteral(product_currencies),
                   ArrayLiteral(quantities), ArrayLiteral(product_revenue), ArrayLiteral(courier_days),
                   ArrayLiteral(courier_ids), ArrayLiteral(deliveries), ArrayLiteral(courier_minutes),
                   ArrayLiteral(cancel_days), ArrayLiteral(reasons), ArrayLiteral(cancellations),
                   ArrayLiteral(step_days), ArrayLiteral(steps), ArrayLiteral(step_minutes));
}

void WriteSummaries(pqxx::transaction_base& tx, const BatchWrites& writes, OrderFacts& facts,
                    const std::set<HistoryKey>& skip) {
  if (writes.history.empty()) return;
  LoadFacts(tx, FactsNeeded(writes, skip), facts);
  const auto deltas = SummariseBatch(writes, facts, skip, &PgText);
  if (deltas.Empty()) return;
  const int slot = writes.next_offsets.empty() ? 0 : static_cast<int>(writes.next_offsets.begin()->first);
  AddSummaries(tx, slot, deltas);
}

void SummariseStoredHistory(pqxx::transaction_base& tx) {
  // One statement over the whole history: orders and the history are each read once (hash joins), and
  // each summary row is written once. Slices of the order ids would upsert the same day rows again in
  // every slice, and each slice's join would have to reach its rows by key.
  tx.exec_params(WholeHistoryStatement(), 0, BucketBounds());
}

}  // namespace orders::projection
