#include "pg/read_model_queries.hpp"

#include <orders/codec/time_format.hpp>
#include <orders/platform/log.hpp>
#include <orders/read_model/order_rows.hpp>

namespace orders::projection {
namespace {

using ReadTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

domain::Timestamp FromMillis(std::int64_t millis) { return domain::Timestamp{std::chrono::milliseconds(millis)}; }

const char* OrNull(const std::optional<std::string>& text) { return text ? text->c_str() : nullptr; }

// First statement of every read transaction. A REPEATABLE READ transaction
// takes its snapshot with its first query, before that query waits for any
// lock; LOCK takes none. Locking the table a rebuild's switch locks first
// (schema_switch.hpp) therefore means: the snapshot is taken after a switch
// in progress has committed (so the new tables are seen complete, catch-up
// included), or the switch waits for this transaction; and the two never
// wait for each other.
void EnterReadModel(pqxx::transaction_base& tx) { tx.exec("LOCK TABLE read_model_generation IN ACCESS SHARE MODE"); }

// One row more than asked tells whether a next page exists.
OrderPage PageOf(const pqxx::result& rows, std::int64_t limit) {
  OrderPage page;
  for (const auto& row : rows) page.items.push_back(read_model::OrderFromRow(row));
  if (static_cast<std::int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next = ListCursor{page.items.back().created_at, page.items.back().order_id};
  }
  return page;
}

}  // namespace

template <typename Query>
auto ReadModelQueries::Guarded(Query&& query) -> platform::Result<decltype(query())> {
  try {
    return query();
  } catch (const pqxx::broken_connection& e) {
    connections_.Reset();
    platform::LogWarn("read model unreachable", {{"error", e.what()}});
    return platform::Fail(e.what());
  } catch (const pqxx::failure& e) {
    connections_.Reset();
    platform::LogError("read model query failed", {{"error", e.what()}});
    return platform::Fail(e.what());
  }
}

platform::Result<void> ReadModelQueries::Ping() {
  try {
    pqxx::nontransaction tx(connections_.Get());
    tx.exec("SELECT 1 FROM consumer_offsets LIMIT 1");
    return {};
  } catch (const std::exception& e) {
    connections_.Reset();
    return platform::Fail(e.what());
  }
}

platform::Result<std::optional<OrderView>> ReadModelQueries::FindOrder(const std::string& order_id) {
  return Guarded([&] { return FindOrderOrThrow(order_id); });
}

platform::Result<OrderPage> ReadModelQueries::ListOrders(const ListQuery& query) {
  return Guarded([&] { return ListOrdersOrThrow(query); });
}

platform::Result<OrderPage> ReadModelQueries::OpenDeliveries(const OpenDeliveriesQuery& query) {
  return Guarded([&] { return OpenDeliveriesOrThrow(query); });
}

platform::Result<std::map<domain::Status, std::int64_t>> ReadModelQueries::StatusCounts() {
  return Guarded([&] { return StatusCountsOrThrow(); });
}

platform::Result<std::vector<DailyRow>> ReadModelQueries::Daily(const DailyQuery& query) {
  return Guarded([&] { return DailyOrThrow(query); });
}

std::optional<OrderView> ReadModelQueries::FindOrderOrThrow(const std::string& order_id) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  const auto rows = tx.exec_params(
      std::string("SELECT ") + read_model::kOrderColumns + " FROM orders WHERE order_id = $1::uuid", order_id);
  if (rows.empty()) return std::nullopt;
  OrderView view{read_model::OrderFromRow(rows[0]), {}};
  for (const auto& row :
       tx.exec_params("SELECT version, status, (extract(epoch FROM at) * 1000)::bigint, reason, event_id, event,"
                      " courier_id FROM order_history WHERE order_id = $1::uuid ORDER BY version",
                      order_id)) {
    HistoryRow history{order_id,
                       row[0].as<std::int64_t>(),
                       domain::ParseStatus(row[1].as<std::string>()).value_or(domain::Status::kPending),
                       FromMillis(row[2].as<std::int64_t>()),
                       row[3].is_null() ? std::nullopt : std::optional<std::string>(row[3].as<std::string>()),
                       row[4].as<std::string>(),
                       row[5].as<std::string>(),
                       row[6].is_null() ? std::nullopt : std::optional<std::string>(row[6].as<std::string>())};
    view.history.push_back(std::move(history));
  }
  tx.commit();
  return view;
}

OrderPage ReadModelQueries::ListOrdersOrThrow(const ListQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  std::optional<std::string> status;
  if (query.status) status = std::string(domain::ToString(*query.status));
  std::optional<std::string> cursor_at, cursor_id;
  if (query.cursor) {
    cursor_at = codec::FormatTimestamp(query.cursor->created_at);
    cursor_id = query.cursor->order_id;
  }
  std::optional<std::string> from, before;
  if (query.created_from) from = codec::FormatTimestamp(*query.created_from);
  if (query.created_before) before = codec::FormatTimestamp(*query.created_before);
  const auto rows =
      tx.exec_params(std::string("SELECT ") + read_model::kOrderColumns +
                         " FROM orders"
                         " WHERE ($1::text IS NULL OR customer_id = $1)"
                         " AND ($2::text IS NULL OR status = $2)"
                         " AND ($3::timestamptz IS NULL OR (created_at, order_id) < ($3::timestamptz, $4::uuid))"
                         " AND ($6::text IS NULL OR courier_id = $6)"
                         " AND ($7::timestamptz IS NULL OR created_at >= $7::timestamptz)"
                         " AND ($8::timestamptz IS NULL OR created_at < $8::timestamptz)"
                         " ORDER BY created_at DESC, order_id DESC LIMIT $5",
                     OrNull(query.customer_id), OrNull(status), OrNull(cursor_at), OrNull(cursor_id), query.limit + 1,
                     OrNull(query.courier_id), OrNull(from), OrNull(before));
  tx.commit();
  return PageOf(rows, query.limit);
}

OrderPage ReadModelQueries::OpenDeliveriesOrThrow(const OpenDeliveriesQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  std::optional<std::string> cursor_at, cursor_id;
  if (query.cursor) {
    cursor_at = codec::FormatTimestamp(query.cursor->created_at);
    cursor_id = query.cursor->order_id;
  }
  // The conditions spell out the partial index orders_open_for_delivery, so
  // the scan reads the open deliveries only, oldest first.
  const auto rows =
      tx.exec_params(std::string("SELECT ") + read_model::kOrderColumns +
                         " FROM orders o"
                         " WHERE o.courier_id IS NULL AND o.status IN ('confirmed', 'processing')"
                         " AND ($1::timestamptz IS NULL OR (o.created_at, o.order_id) > ($1::timestamptz, $2::uuid))"
                         " AND ($3::text IS NULL OR NOT EXISTS (SELECT 1 FROM order_declines d"
                         "   WHERE d.order_id = o.order_id AND d.courier_id = $3))"
                         " ORDER BY o.created_at, o.order_id LIMIT $4",
                     OrNull(cursor_at), OrNull(cursor_id), OrNull(query.declined_by), query.limit + 1);
  tx.commit();
  return PageOf(rows, query.limit);
}

platform::Result<std::vector<CourierReportRow>> ReadModelQueries::Couriers(const DailyQuery& query) {
  return Guarded([&] { return CouriersOrThrow(query); });
}

std::vector<CourierReportRow> ReadModelQueries::CouriersOrThrow(const DailyQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  // A row per courier and day (report_couriers), added up per courier in SQL, histograms included: one
  // sum per bucket, so only a row per courier travels.
  static const std::string statement = [] {
    std::string sql = "SELECT courier_id, sum(deliveries)::bigint";
    for (std::size_t i = 1; i <= kMinuteBuckets.size(); ++i) {
      sql += ", coalesce(sum(minutes[" + std::to_string(i) + "]), 0)::bigint";
    }
    return sql +
           " FROM report_couriers WHERE day BETWEEN $1::date AND $2::date GROUP BY courier_id ORDER BY courier_id";
  }();
  const auto rows = tx.exec_params(statement, FormatDate(query.from), FormatDate(query.to));
  tx.commit();
  std::vector<CourierReportRow> couriers;
  for (const auto& row : rows) {
    CourierReportRow courier{row[0].as<std::string>(), row[1].as<std::int64_t>(), {}};
    for (std::size_t i = 0; i < kMinuteBuckets.size(); ++i)
      courier.minutes.push_back(row[2 + static_cast<int>(i)].as<std::int64_t>());
    couriers.push_back(std::move(courier));
  }
  return couriers;
}

std::map<domain::Status, std::int64_t> ReadModelQueries::StatusCountsOrThrow() {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  std::map<domain::Status, std::int64_t> counts;
  for (auto status : domain::kAllStatuses) counts[status] = 0;
  for (const auto& row : tx.exec("SELECT status, sum(orders)::bigint FROM report_status_counts GROUP BY status")) {
    if (auto status = domain::ParseStatus(row[0].as<std::string>())) counts[*status] = row[1].as<std::int64_t>();
  }
  tx.commit();
  return counts;
}

std::vector<DailyRow> ReadModelQueries::DailyOrThrow(const DailyQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  // Days are UTC days; every day of the range is listed, empty ones with
  // zeros. The summary (report_daily) holds a row per day, currency and
  // writer slot; revenue is numeric there (no overflow) and read back as
  // text, so no total is ever cut to 64 bits. A currency appears in a day's
  // revenue when orders in it were delivered that day.
  const auto rows = tx.exec_params(
      "WITH days AS (SELECT d::date AS day FROM generate_series($1::date, $2::date, interval '1 day') AS d),"
      " sums AS (SELECT day, currency, sum(placed) AS placed, sum(delivered) AS delivered,"
      "   sum(cancelled) AS cancelled, sum(revenue_cents) AS revenue FROM report_daily"
      "   WHERE day BETWEEN $1::date AND $2::date GROUP BY day, currency)"
      " SELECT days.day - DATE '1970-01-01', coalesce(sum(s.placed), 0)::bigint, coalesce(sum(s.delivered), 0)::bigint,"
      "   coalesce(sum(s.cancelled), 0)::bigint,"
      "   string_agg(s.currency || ':' || s.revenue::text, ',' ORDER BY s.currency) FILTER (WHERE s.delivered > 0)"
      " FROM days LEFT JOIN sums s ON s.day = days.day GROUP BY days.day ORDER BY days.day",
      FormatDate(query.from), FormatDate(query.to));
  tx.commit();
  std::vector<DailyRow> days;
  for (const auto& row : rows) {
    DailyRow day{std::chrono::sys_days{std::chrono::days(row[0].as<int>())},
                 row[1].as<std::int64_t>(),
                 row[2].as<std::int64_t>(),
                 row[3].as<std::int64_t>(),
                 {}};
    // "EUR:500,USD:18000000000000000000": currencies are three letters, totals digits.
    std::string_view totals = row[4].is_null() ? std::string_view() : row[4].c_str();
    while (!totals.empty()) {
      const auto comma = totals.find(',');
      const auto entry = totals.substr(0, comma);
      const auto colon = entry.find(':');
      if (colon != std::string_view::npos) {
        day.revenue_cents.emplace(std::string(entry.substr(0, colon)), std::string(entry.substr(colon + 1)));
      }
      totals = comma == std::string_view::npos ? std::string_view() : totals.substr(comma + 1);
    }
    days.push_back(std::move(day));
  }
  return days;
}

platform::Result<InventoryPage> ReadModelQueries::ListInventory(const InventoryQuery& query) {
  return Guarded([&] { return ListInventoryOrThrow(query); });
}

InventoryPage ReadModelQueries::ListInventoryOrThrow(const InventoryQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  std::optional<std::string> below;
  if (query.below_available) below = std::to_string(*query.below_available);
  // Keyset pagination on the primary key (byte order, COLLATE "C").
  const auto rows = tx.exec_params(
      "SELECT product_id, on_hand, reserved, available, version, (extract(epoch FROM updated_at) * 1000)::bigint"
      " FROM inventory"
      " WHERE ($1::text IS NULL OR product_id > $1) AND ($2::bigint IS NULL OR available < $2)"
      " ORDER BY product_id LIMIT $3",
      OrNull(query.after_product_id), OrNull(below), query.limit + 1);
  tx.commit();
  InventoryPage page;
  for (const auto& row : rows) {
    page.items.push_back(StockLevel{row[0].as<std::string>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                                    row[3].as<std::int64_t>(), row[4].as<std::int64_t>(),
                                    FromMillis(row[5].as<std::int64_t>())});
  }
  // One row more than asked tells whether a next page exists.
  if (static_cast<std::int64_t>(page.items.size()) > query.limit) {
    page.items.pop_back();
    page.next_after = page.items.back().product_id;
  }
  return page;
}

platform::Result<ProductReport> ReadModelQueries::Products(const ProductsQuery& query) {
  return Guarded([&] { return ProductsOrThrow(query); });
}

ProductReport ReadModelQueries::ProductsOrThrow(const ProductsQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  // Units add up across currencies, money does not: the ranking by quantity
  // is one list, the ranking by revenue one per currency. Ties by product id.
  const auto rows = tx.exec_params(
      "WITH p AS (SELECT product_id, currency, sum(quantity) AS quantity, sum(revenue_cents) AS revenue"
      "   FROM report_products WHERE day BETWEEN $1::date AND $2::date GROUP BY product_id, currency),"
      " by_quantity AS (SELECT product_id, sum(quantity) AS quantity FROM p GROUP BY product_id"
      "   ORDER BY quantity DESC, product_id LIMIT $3),"
      " by_revenue AS (SELECT currency, product_id, quantity, revenue,"
      "   row_number() OVER (PARTITION BY currency ORDER BY revenue DESC, product_id) AS rank FROM p)"
      " SELECT '', product_id, quantity::bigint, '', row_number() OVER (ORDER BY quantity DESC, product_id)"
      "   FROM by_quantity"
      " UNION ALL SELECT currency, product_id, quantity::bigint, revenue::text, rank FROM by_revenue WHERE rank <= $3"
      " ORDER BY 1, 5",
      FormatDate(query.range.from), FormatDate(query.range.to), query.limit);
  tx.commit();
  ProductReport report;
  for (const auto& row : rows) {
    const auto currency = row[0].as<std::string>();
    ProductRow product{row[1].as<std::string>(), row[2].as<std::int64_t>(), row[3].as<std::string>()};
    if (currency.empty()) {
      report.by_quantity.push_back(std::move(product));
    } else {
      report.by_revenue[currency].push_back(std::move(product));
    }
  }
  return report;
}

platform::Result<FunnelReport> ReadModelQueries::Funnel(const DailyQuery& query) {
  return Guarded([&] { return FunnelOrThrow(query); });
}

FunnelReport ReadModelQueries::FunnelOrThrow(const DailyQuery& query) {
  ReadTransaction tx(connections_.Get());
  EnterReadModel(tx);
  const auto from = FormatDate(query.from);
  const auto to = FormatDate(query.to);
  FunnelReport report;
  const auto counts = tx.exec_params(
      "SELECT coalesce(sum(placed), 0)::bigint, coalesce(sum(confirmed), 0)::bigint,"
      " coalesce(sum(delivered), 0)::bigint, coalesce(sum(cancelled), 0)::bigint"
      " FROM report_daily WHERE day BETWEEN $1::date AND $2::date",
      from, to);
  report.placed = counts[0][0].as<std::int64_t>();
  report.confirmed = counts[0][1].as<std::int64_t>();
  report.delivered = counts[0][2].as<std::int64_t>();
  report.cancelled = counts[0][3].as<std::int64_t>();
  for (const auto& row : tx.exec_params("SELECT reason, sum(orders)::bigint FROM report_cancellations"
                                        " WHERE day BETWEEN $1::date AND $2::date GROUP BY reason",
                                        from, to)) {
    report.cancelled_by_reason[row[0].as<std::string>()] = row[1].as<std::int64_t>();
  }
  report.placed_to_confirmed.assign(kMinuteBuckets.size(), 0);
  report.confirmed_to_delivered.assign(kMinuteBuckets.size(), 0);
  for (const auto& row : tx.exec_params("SELECT step, minutes::text FROM report_step_minutes"
                                        " WHERE day BETWEEN $1::date AND $2::date",
                                        from, to)) {
    const auto minutes = ParseHistogram(row[1].c_str());
    if (!minutes) continue;
    const auto step = row[0].as<std::string>();
    if (step == "placed_to_confirmed") AddHistogram(report.placed_to_confirmed, *minutes);
    if (step == "confirmed_to_delivered") AddHistogram(report.confirmed_to_delivered, *minutes);
  }
  tx.commit();
  return report;
}

}  // namespace orders::projection
