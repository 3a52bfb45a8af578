#include <orders/notifier/read_model_source.hpp>

#include <algorithm>

#include <orders/codec/json_read.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/domain/validation.hpp>
#include <pqxx/pqxx>

namespace orders::notifier {
namespace {

using ReadTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// The columns of `orders` the notifier shows, times as epoch milliseconds. The
// projection reads its rows the same way (its order_rows.cpp); the notifier
// does not link the projection's code, only the schema is shared.
constexpr const char* kSelectOrders =
    "SELECT order_id::text, customer_id, items::text, currency, total_cents, status, version,"
    " (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM updated_at) * 1000)::bigint, courier_id,"
    " payment_status, payment_id, payment_amount_cents FROM orders WHERE order_id = ANY($1::uuid[])";
constexpr const char* kSelectDeclines =
    "SELECT order_id::text, courier_id FROM order_declines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, version";

domain::Timestamp FromMillis(std::int64_t millis) { return domain::Timestamp{std::chrono::milliseconds(millis)}; }

domain::Order OrderOf(const pqxx::row& row) {
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

class ReadModelSource final : public OrderSource {
 public:
  ReadModelSource(std::string database_url, const std::string& schema, std::chrono::milliseconds timeout)
      : connection_string_(ConnectionString(database_url, schema, timeout)) {}

  platform::Result<std::vector<domain::Order>> Fetch(const std::vector<std::string>& order_ids) override {
    // Only canonical UUIDs go into the array literal (they need no quoting).
    std::string ids = "{";
    for (const auto& id : order_ids) {
      if (!domain::IsValidOrderId(id)) continue;
      if (ids.size() > 1) ids += ',';
      ids += id;
    }
    ids += '}';
    if (ids == "{}") return std::vector<domain::Order>{};
    try {
      if (!connection_ || !connection_->is_open()) connection_ = std::make_unique<pqxx::connection>(connection_string_);
      ReadTransaction tx(*connection_);
      // The table a rebuild's switch locks first (the projection's read_model_queries.cpp): the
      // snapshot sees the old tables or the new ones in full, and never waits on the switch in a deadlock.
      tx.exec("LOCK TABLE read_model_generation IN ACCESS SHARE MODE");
      std::vector<domain::Order> orders;
      for (const auto& row : tx.exec_params(kSelectOrders, ids)) orders.push_back(OrderOf(row));
      if (!orders.empty()) {
        for (const auto& row : tx.exec_params(kSelectDeclines, ids)) {
          const auto id = row[0].as<std::string>();
          auto order = std::find_if(orders.begin(), orders.end(), [&](const auto& o) { return o.order_id == id; });
          if (order != orders.end()) order->declined_by.push_back(row[1].as<std::string>());
        }
      }
      tx.commit();
      return orders;
    } catch (const std::exception& error) {
      if (connection_ && !connection_->is_open()) connection_.reset();
      return platform::Error{std::string("read model lookup: ") + error.what()};
    }
  }

 private:
  // The schema as search_path and a statement timeout in the connection's
  // options (kept across libpqxx's reconnects, unlike a session SET), and a
  // connect timeout (libpq takes whole seconds, at least 2).
  static std::string ConnectionString(const std::string& database_url, const std::string& schema,
                                      std::chrono::milliseconds timeout) {
    // `schema` is validated by the config loader ([a-z0-9_]), so it needs no escaping.
    const char separator = database_url.find('?') == std::string::npos ? '?' : '&';
    std::string result = database_url + separator + "options=-c%20search_path%3D" + schema +
                         "%20-c%20statement_timeout%3D" + std::to_string(timeout.count()) +
                         "%20-c%20default_transaction_read_only%3Don";
    if (database_url.find("connect_timeout=") == std::string::npos) {
      const auto seconds = std::max<long long>(2, (timeout.count() + 999) / 1000);
      result += "&connect_timeout=" + std::to_string(seconds);
    }
    return result;
  }

  std::string connection_string_;
  std::unique_ptr<pqxx::connection> connection_;  // the worker's only
};

}  // namespace

std::unique_ptr<OrderSource> MakeReadModelSource(std::string database_url, std::string schema,
                                                 std::chrono::milliseconds timeout) {
  return std::make_unique<ReadModelSource>(std::move(database_url), schema, timeout);
}

}  // namespace orders::notifier
