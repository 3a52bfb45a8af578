#include <orders/read_model/order_rows.hpp>

#include <orders/codec/order_json.hpp>

namespace orders::read_model {
namespace {

domain::Timestamp FromMillis(std::int64_t millis) { return domain::Timestamp{std::chrono::milliseconds(millis)}; }

}  // namespace

domain::Order OrderFromRow(const pqxx::row& row) {
  domain::Order order;
  order.order_id = row[0].as<std::string>();
  order.customer_id = row[1].as<std::string>();
  if (auto items = codec::ParseJson(row[2].as<std::string>(), 16 * 1024 * 1024); items && items->is_array()) {
    codec::FieldReader reader(*items);
    order.items = codec::ReadLineItems(reader, *items, false);
  }
  order.currency = row[3].as<std::string>();
  order.total_cents = row[4].as<std::int64_t>();
  order.status = domain::ParseStatus(row[5].as<std::string>()).value_or(domain::Status::kPending);
  order.version = row[6].as<std::int64_t>();
  order.created_at = FromMillis(row[7].as<std::int64_t>());
  order.updated_at = FromMillis(row[8].as<std::int64_t>());
  if (!row[9].is_null()) order.courier_id = row[9].as<std::string>();
  order.payment.status =
      domain::ParsePaymentStatus(row[10].as<std::string>()).value_or(domain::PaymentStatus::kPending);
  if (!row[11].is_null()) order.payment.payment_id = row[11].as<std::string>();
  order.payment.amount_cents = row[12].as<std::int64_t>();
  return order;
}

}  // namespace orders::read_model
