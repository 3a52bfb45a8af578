#pragma once
// The port through which the query API reads the read model. Results are
// plain values; a store that cannot answer (unreachable, a failed query)
// returns an Error, which the HTTP layer answers with 503 and Retry-After:
// nothing internal reaches a client. Implemented for PostgreSQL in src/pg/
// (ReadModelQueries). Thread-safe: every HTTP server thread calls it.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/platform/result.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/minute_histogram.hpp>
#include <orders/projection/query_params.hpp>

namespace orders::projection {

struct OrderView {
  domain::Order order;
  std::vector<HistoryRow> history;  // by version
};

struct OrderPage {
  std::vector<domain::Order> items;
  std::optional<ListCursor> next;
};

struct DailyRow {
  std::chrono::sys_days day{};
  std::int64_t placed = 0;
  std::int64_t delivered = 0;
  std::int64_t cancelled = 0;
  // Per currency, the total of the orders delivered that day, as exact decimal
  // digits: summed as SQL numeric, a day's total may exceed 64 bits.
  std::map<std::string, std::string> revenue_cents;
};

// One courier's deliveries in a report's range: orders moved to delivered
// while the courier was assigned, and the minutes from its assignment to the
// delivery (a histogram: minute_histogram.hpp).
struct CourierReportRow {
  std::string courier_id;
  std::int64_t deliveries = 0;
  MinuteHistogram minutes;
};

// A product's deliveries in a report's range: units, and for one currency the
// line totals (exact decimal digits, as DailyRow's revenue).
struct ProductRow {
  std::string product_id;
  std::int64_t quantity = 0;
  std::string revenue_cents;  // "" in the by-quantity ranking (units are not per currency)

  friend bool operator==(const ProductRow&, const ProductRow&) = default;
};

struct ProductReport {
  std::vector<ProductRow> by_quantity;                        // all currencies, most units first
  std::map<std::string, std::vector<ProductRow>> by_revenue;  // per currency, highest total first
};

// The order funnel over a report's range: each step counted on the day it
// happened, cancellations per reason ("" when none was given), and the
// minutes between the steps.
struct FunnelReport {
  std::int64_t placed = 0;
  std::int64_t confirmed = 0;
  std::int64_t delivered = 0;
  std::int64_t cancelled = 0;
  std::map<std::string, std::int64_t> cancelled_by_reason;
  MinuteHistogram placed_to_confirmed;
  MinuteHistogram confirmed_to_delivered;
};

// A tracked product's stock as the read model holds it (table inventory).
struct StockLevel {
  std::string product_id;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;  // max(0, on_hand - reserved)
  std::int64_t version = 0;
  domain::Timestamp updated_at{};

  friend bool operator==(const StockLevel&, const StockLevel&) = default;
};

struct InventoryPage {
  std::vector<StockLevel> items;
  std::optional<std::string> next_after;  // the last productId of the page, when more follow
};

class ReadModelReader {
 public:
  virtual ~ReadModelReader() = default;

  // Succeeds when the read model answers (for /readyz).
  virtual platform::Result<void> Ping() = 0;
  // nullopt: no such order.
  virtual platform::Result<std::optional<OrderView>> FindOrder(const std::string& order_id) = 0;
  virtual platform::Result<OrderPage> ListOrders(const ListQuery& query) = 0;
  // Orders open for delivery (confirmed or processing, no courier), oldest first.
  virtual platform::Result<OrderPage> OpenDeliveries(const OpenDeliveriesQuery& query) = 0;
  // Every status, those without orders with 0. The reports read the
  // summaries the projection keeps (006_report_summaries.sql), never the orders.
  virtual platform::Result<std::map<domain::Status, std::int64_t>> StatusCounts() = 0;
  // One row per day of the range, empty days included.
  virtual platform::Result<std::vector<DailyRow>> Daily(const DailyQuery& query) = 0;
  // Couriers with deliveries in the range (whole UTC days), by courier id.
  virtual platform::Result<std::vector<CourierReportRow>> Couriers(const DailyQuery& query) = 0;
  // The top `limit` products of the range by units and, per currency, by revenue.
  virtual platform::Result<ProductReport> Products(const ProductsQuery& query) = 0;
  virtual platform::Result<FunnelReport> Funnel(const DailyQuery& query) = 0;
  // Tracked products by productId, ascending.
  virtual platform::Result<InventoryPage> ListInventory(const InventoryQuery& query) = 0;
};

}  // namespace orders::projection
