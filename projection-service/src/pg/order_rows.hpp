#pragma once
// Shared by the writer and the queries: how an `orders` row is selected and read.

#include <orders/domain/order.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

// Columns in the order OrderFromRow() reads them; times as epoch milliseconds.
inline constexpr const char* kOrderColumns =
    "order_id::text, customer_id, items::text, currency, total_cents, status, version,"
    " (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM updated_at) * 1000)::bigint, courier_id,"
    " payment_status, payment_id, payment_amount_cents";

domain::Order OrderFromRow(const pqxx::row& row);

}  // namespace orders::projection
