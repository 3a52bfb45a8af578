#pragma once
// The read side: the queries of the query API, each a short read-only
// transaction on the calling thread's own connection. Results are plain
// values; the HTTP layer turns them into JSON. Throws pqxx errors (the caller
// maps them to 503). Tables are named through search_path: after a rebuild's
// switch (schema_switch.hpp) the next transaction reads the new tables. Each
// transaction first locks read_model_generation (ACCESS SHARE), the table the
// switch locks first, before its snapshot is taken: it reads either the old
// tables in full or the new ones in full, and never deadlocks with the switch.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/pg_connection.hpp>
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
  std::int64_t revenue_cents = 0;  // total of the orders delivered that day
};

class ReadModelQueries {
 public:
  explicit ReadModelQueries(std::string connection_string) : connections_(std::move(connection_string)) {}

  bool Ping();
  std::optional<OrderView> FindOrder(const std::string& order_id);
  OrderPage ListOrders(const ListQuery& query);
  std::map<domain::Status, std::int64_t> StatusCounts();
  std::vector<DailyRow> Daily(const DailyQuery& query);

  // Call after a pqxx error so the next query reconnects.
  void ResetConnection() { connections_.Reset(); }

 private:
  PerThreadConnections connections_;
};

}  // namespace orders::projection
