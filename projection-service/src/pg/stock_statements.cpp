#include "pg/stock_statements.hpp"

#include "pg/sql_text.hpp"

namespace orders::projection {
namespace {

// Prepared once per connection: every inventory batch runs them.
constexpr const char* kLoadStockName = "orders_load_stock";
constexpr const char* kLoadStock =
    "SELECT product_id, on_hand, reserved, version FROM inventory WHERE product_id = ANY($1::text[])";
// One index probe per key, whatever the table's statistics say: the table
// gains a row per reserving order, and between two ANALYZE runs of a fast
// growing table the planner took it for small and hashed all of it for every
// batch (tens of milliseconds, growing with the table). The OFFSET 0 keeps
// the lateral subquery from being flattened into a join it could plan so
// (and a generic plan, made once, from being such a join for good).
constexpr const char* kLoadReservationsName = "orders_load_reservations";
constexpr const char* kLoadReservations =
    "SELECT k.p, k.o::text, r.state, r.quantity FROM unnest($1::text[], $2::uuid[]) AS k(p, o)"
    " CROSS JOIN LATERAL (SELECT state, quantity FROM inventory_reservations"
    "   WHERE product_id = k.p AND order_id = k.o OFFSET 0) r";
// Both tables in one round trip; ON CONFLICT ... WHERE version < keeps a
// newer row (the fence makes that case impossible unless the read model was
// edited by hand, and then the newer row wins, as for orders).
constexpr const char* kWriteStockName = "orders_write_stock";
constexpr const char* kWriteStock =
    "WITH stock AS (INSERT INTO inventory (product_id, on_hand, reserved, version, updated_at)"
    "   SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[])"
    "   ON CONFLICT (product_id) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved,"
    "     version = excluded.version, updated_at = excluded.updated_at"
    "   WHERE inventory.version < excluded.version)"
    " INSERT INTO inventory_reservations (product_id, order_id, state, quantity, version)"
    " SELECT * FROM unnest($6::text[], $7::uuid[], $8::text[], $9::bigint[], $10::bigint[])"
    " ON CONFLICT (product_id, order_id) DO UPDATE SET state = excluded.state, quantity = excluded.quantity,"
    "   version = excluded.version"
    " WHERE inventory_reservations.version < excluded.version";

}  // namespace

void PrepareStockStatements(pqxx::connection_base& connection) {
  connection.prepare(kLoadStockName, kLoadStock);
  connection.prepare(kLoadReservationsName, kLoadReservations);
  connection.prepare(kWriteStockName, kWriteStock);
}

std::map<std::string, domain::Stock> LoadStockState(pqxx::transaction_base& tx, const StockKeys& keys) {
  std::map<std::string, domain::Stock> stocks;
  if (keys.product_ids.empty()) return stocks;
  std::vector<std::string> products;
  for (const auto& id : keys.product_ids) products.push_back(PgText(id));
  for (const auto& row : tx.exec_prepared(kLoadStockName, ArrayLiteral(products))) {
    domain::Stock stock;
    stock.product_id = row[0].as<std::string>();
    stock.on_hand = row[1].as<std::int64_t>();
    stock.reserved = row[2].as<std::int64_t>();
    stock.version = row[3].as<std::int64_t>();
    stocks.emplace(stock.product_id, std::move(stock));
  }
  if (keys.reservations.empty() || stocks.empty()) return stocks;
  std::vector<std::string> product_of, order_of;
  for (const auto& [product, order] : keys.reservations) {
    product_of.push_back(PgText(product));
    order_of.push_back(PgText(order));
  }
  for (const auto& row : tx.exec_prepared(kLoadReservationsName, ArrayLiteral(product_of), ArrayLiteral(order_of))) {
    const auto found = stocks.find(row[0].as<std::string>());
    const auto state = ParseReservationState(row[2].as<std::string>());
    if (found == stocks.end() || !state) continue;
    const auto order_id = row[1].as<std::string>();
    const auto quantity = row[3].as<std::int64_t>();
    if (*state == domain::ReservationState::kHeld) {
      found->second.reservations.emplace(order_id, quantity);
    } else {
      found->second.settled.emplace(order_id, domain::SettledReservation{*state, quantity});
    }
  }
  return stocks;
}

void WriteStock(pqxx::transaction_base& tx, const BatchWrites& writes) {
  if (writes.stocks.empty()) return;
  std::vector<std::string> products, on_hand, reserved, versions, updated_at;
  for (const auto& stock : writes.stocks) {
    products.push_back(PgText(stock.product_id));
    on_hand.push_back(std::to_string(stock.on_hand));
    reserved.push_back(std::to_string(stock.reserved));
    versions.push_back(std::to_string(stock.version));
    updated_at.push_back(PgTimestamp(stock.updated_at));
  }
  std::vector<std::string> r_products, r_orders, r_states, r_quantities, r_versions;
  for (const auto& row : writes.reservations) {
    r_products.push_back(PgText(row.product_id));
    r_orders.push_back(PgText(row.order_id));
    r_states.emplace_back(ReservationStateName(row.state));
    r_quantities.push_back(std::to_string(row.quantity));
    r_versions.push_back(std::to_string(row.version));
  }
  tx.exec_prepared(kWriteStockName, ArrayLiteral(products), ArrayLiteral(on_hand), ArrayLiteral(reserved),
                   ArrayLiteral(versions), ArrayLiteral(updated_at), ArrayLiteral(r_products), ArrayLiteral(r_orders),
                   ArrayLiteral(r_states), ArrayLiteral(r_quantities), ArrayLiteral(r_versions));
}

}  // namespace orders::projection
