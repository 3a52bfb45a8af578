#include <orders/notifier/read_model_source.hpp>

#include <algorithm>

#include <orders/domain/validation.hpp>
#include <orders/read_model/order_rows.hpp>
#include <pqxx/pqxx>

namespace orders::notifier {
namespace {

using ReadTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// The orders asked for, read as the projection's queries read them (orders/read_model/order_rows.hpp).
const std::string kSelectOrders =
    std::string("SELECT ") + read_model::kOrderColumns + " FROM orders WHERE order_id = ANY($1::uuid[])";
constexpr const char* kSelectDeclines =
    "SELECT order_id::text, courier_id FROM order_declines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, version";

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
      for (const auto& row : tx.exec_params(kSelectOrders, ids)) orders.push_back(read_model::OrderFromRow(row));
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
