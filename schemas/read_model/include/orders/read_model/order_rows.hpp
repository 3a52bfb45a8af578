#pragma once
// How a row of the read model's `orders` table (schemas/sql) is selected and read: the projection's
// queries and the notifier's lookups of orders its cache dropped.

#include <orders/domain/order.hpp>
#include <pqxx/pqxx>

namespace orders::read_model {

// Columns in the order OrderFromRow() reads them; times as epoch milliseconds.
inline constexpr const char* kOrderColumns =
    "order_id::text, customer_id, items::text, currency, total_cents, status, version,"
    " (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM updated_at) * 1000)::bigint, courier_id,"
    " payment_status, payment_id, payment_amount_cents";

domain::Order OrderFromRow(const pqxx::row& row);

}  // namespace orders::read_model
