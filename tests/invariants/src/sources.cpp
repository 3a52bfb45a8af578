#include <orders/invariants/sources.hpp>

#include <fstream>
#include <stdexcept>

#include <orders/codec/event_codec.hpp>
#include <orders/codec/inventory_codec.hpp>
#include <orders/testing/topic_reader.hpp>
#include <pqxx/pqxx>

namespace orders::invariants {

std::vector<LogRecord> ReadLog(const std::string& topic) {
  std::vector<LogRecord> log;
  for (const auto& record : testing::ReadWholeTopic(topic)) {
    LogRecord entry{record.partition, record.offset, std::nullopt, {}, std::nullopt};
    auto decoded = codec::DecodeEvent(record.key, record.value, record.headers);
    if (decoded.decoded) {
      entry.event = std::move(decoded.decoded->event);
      entry.actor = std::move(decoded.decoded->metadata.actor);  // the orders_actor header
      entry.event_id = std::move(decoded.decoded->metadata.event_id);
    } else {
      entry.decode_error = decoded.error;
    }
    log.push_back(std::move(entry));
  }
  return log;
}

std::vector<StockRecord> ReadStockLog(const std::string& topic) {
  std::vector<StockRecord> log;
  for (const auto& record : testing::ReadWholeTopic(topic)) {
    StockRecord entry{record.partition, record.offset, std::nullopt, {}};
    auto decoded = codec::DecodeStockEvent(record.key, record.value, record.headers);
    if (decoded.decoded) {
      entry.event = std::move(decoded.decoded->event);
    } else {
      entry.decode_error = decoded.error;
    }
    log.push_back(std::move(entry));
  }
  return log;
}

std::map<std::string, ReadModelOrder> ReadReadModel(const std::string& database_url, const std::string& schema) {
  pqxx::connection connection(database_url);
  pqxx::work tx(connection);
  const std::string prefix = tx.quote_name(schema) + ".";
  std::map<std::string, ReadModelOrder> orders;
  for (const auto& row : tx.exec(
           "SELECT order_id::text, customer_id, items::text, currency, total_cents, status, version,"
           " (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM updated_at) * 1000)::bigint FROM " +
           prefix + "orders")) {
    domain::Order order;
    order.order_id = row[0].as<std::string>();
    order.customer_id = row[1].as<std::string>();
    for (const auto& item : nlohmann::json::parse(row[2].as<std::string>())) {
      order.items.push_back({item.at("productId").get<std::string>(), item.at("quantity").get<std::int64_t>(),
                             item.at("unitPriceCents").get<std::int64_t>()});
    }
    order.currency = row[3].as<std::string>();
    order.total_cents = row[4].as<std::int64_t>();
    order.status = domain::ParseStatus(row[5].as<std::string>()).value();  // an unknown status is a bug: throw
    order.version = row[6].as<std::int64_t>();
    order.created_at = domain::Timestamp{std::chrono::milliseconds(row[7].as<std::int64_t>())};
    order.updated_at = domain::Timestamp{std::chrono::milliseconds(row[8].as<std::int64_t>())};
    orders[order.order_id].order = std::move(order);
  }
  // Couriers came with read-model version 3 (schemas/sql/003_couriers.sql): the
  // order's courier, and the couriers who declined it, in the order they did.
  const bool has_couriers =
      tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_schema = " + tx.quote(schema) +
               " AND table_name = 'orders' AND column_name = 'courier_id'")[0]
          .as<int>() > 0;
  if (has_couriers) {
    for (const auto& row :
         tx.exec("SELECT order_id::text, courier_id FROM " + prefix + "orders WHERE courier_id IS NOT NULL")) {
      orders[row[0].as<std::string>()].order.courier_id = row[1].as<std::string>();
    }
    for (const auto& row :
         tx.exec("SELECT order_id::text, courier_id FROM " + prefix + "order_declines ORDER BY order_id, version")) {
      orders[row[0].as<std::string>()].order.declined_by.push_back(row[1].as<std::string>());
    }
  }
  // Payments came with read-model version 4 (schemas/sql/004_payments.sql); before it every order's
  // payment is its initial one (no payment event existed).
  for (auto& [id, row] : orders) row.order.payment = domain::InitialPayment(row.order.total_cents);
  const bool has_payments =
      tx.exec1("SELECT count(*) FROM information_schema.columns WHERE table_schema = " + tx.quote(schema) +
               " AND table_name = 'orders' AND column_name = 'payment_status'")[0]
          .as<int>() > 0;
  if (has_payments) {
    for (const auto& row :
         tx.exec("SELECT order_id::text, payment_status, payment_id, payment_amount_cents FROM " + prefix + "orders")) {
      auto& payment = orders[row[0].as<std::string>()].order.payment;
      payment.status = domain::ParsePaymentStatus(row[1].as<std::string>()).value();  // unknown: a bug, throw
      payment.payment_id = row[2].is_null() ? std::string() : row[2].as<std::string>();
      payment.amount_cents = row[3].as<std::int64_t>();
    }
  }
  for (const auto& row : tx.exec("SELECT order_id::text, version, status FROM " + prefix + "order_history")) {
    orders[row[0].as<std::string>()].history[row[1].as<std::int64_t>()] = row[2].as<std::string>();
  }
  return orders;
}

std::vector<Acknowledged> ReadAcknowledged(const std::string& path) {
  std::vector<Acknowledged> acks;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the acknowledgements file " + path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto json = nlohmann::json::parse(line);
    acks.push_back({json.at("orderId"), json.at("version"), json.at("status"), json.value("courierId", "")});
  }
  return acks;
}

void WriteAcknowledged(const std::string& path, const std::vector<Acknowledged>& acks) {
  std::ofstream out(path);
  for (const auto& ack : acks) {
    nlohmann::json line{{"orderId", ack.order_id}, {"version", ack.version}, {"status", ack.status}};
    if (!ack.courier_id.empty()) line["courierId"] = ack.courier_id;
    out << line.dump() << "\n";
  }
}

SubscriberLog ReadSubscriberLog(const std::string& path) {
  SubscriberLog log;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the subscriber file " + path);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error("the subscriber file " + path + " has no header line");
  const auto header = nlohmann::json::parse(line);
  if (!header.is_object() || !header.contains("subscriber")) {
    throw std::runtime_error("the first line of " + path + " is not a subscriber header");
  }
  log.name = header.value("subscriber", path);
  for (const auto& id : header.value("followed", nlohmann::json::array())) log.followed.insert(id.get<std::string>());
  log.expect_complete = header.value("expectComplete", true);
  log.customer_id = header.value("customerId", "");
  log.allow_resync = header.value("allowResync", true);
  while (std::getline(in, line)) {
    if (!line.empty()) log.messages.push_back(nlohmann::json::parse(line));
  }
  return log;
}

void WriteSubscriberLog(const std::string& path, const SubscriberLog& log) {
  std::ofstream out(path);
  out << nlohmann::json{{"subscriber", log.name},
                        {"followed", log.followed},
                        {"expectComplete", log.expect_complete},
                        {"customerId", log.customer_id},
                        {"allowResync", log.allow_resync}}
             .dump()
      << "\n";
  for (const auto& message : log.messages) out << message.dump() << "\n";
}

Report CheckEverything(const std::string& topic, const std::string& database_url, const std::string& schema,
                       const std::vector<Acknowledged>& acks, const std::vector<SubscriberLog>& subscribers,
                       const CheckOptions& options) {
  Report report;
  const auto log = ReadLog(topic);
  const auto fold = CheckLog(log, report);
  std::optional<StockFold> stock;
  if (!options.inventory_topic.empty()) stock = CheckStockLog(ReadStockLog(options.inventory_topic), report);
  if (options.workflow) CheckWorkflow(log, stock ? &*stock : nullptr, *options.workflow, report);
  CheckAcknowledged(fold, log, acks, report);
  if (!schema.empty()) CheckReadModel(fold, ReadReadModel(database_url, schema), report);
  for (const auto& subscriber : subscribers) CheckSubscriber(fold, subscriber, report);
  report.counts["subscribers"] = static_cast<std::int64_t>(subscribers.size());
  return report;
}

}  // namespace orders::invariants
