#include <orders/projection/read_model_writer.hpp>

#include <orders/codec/order_json.hpp>
#include <orders/codec/time_format.hpp>
#include <orders/projection/sql_text.hpp>

#include "order_rows.hpp"

namespace orders::projection {
namespace {

domain::Timestamp FromMillis(std::int64_t millis) { return domain::Timestamp{std::chrono::milliseconds(millis)}; }

std::string ItemsJson(const std::vector<domain::LineItem>& items) {
  auto safe = items;
  for (auto& item : safe) item.product_id = PgText(item.product_id);
  return codec::DumpJson(codec::LineItemsToJson(safe));
}

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
  return order;
}

std::map<std::string, domain::Order> LoadOrders(pqxx::transaction_base& tx, const std::vector<std::string>& order_ids,
                                                bool lock) {
  std::map<std::string, domain::Order> orders;
  if (order_ids.empty()) return orders;
  const auto rows = tx.exec_params(std::string("SELECT ") + kOrderColumns +
                                       " FROM orders WHERE order_id = ANY($1::uuid[])" + (lock ? " FOR UPDATE" : ""),
                                   ArrayLiteral(order_ids));
  for (const auto& row : rows) {
    auto order = OrderFromRow(row);
    orders.emplace(order.order_id, std::move(order));
  }
  return orders;
}

void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes) {
  if (!writes.upserts.empty()) {
    std::vector<std::string> ids, customers, items, currencies, totals, statuses, versions, created, updated;
    for (const auto& order : writes.upserts) {
      ids.push_back(order.order_id);
      customers.push_back(PgText(order.customer_id));
      items.push_back(ItemsJson(order.items));
      currencies.push_back(PgText(order.currency));
      totals.push_back(std::to_string(order.total_cents));
      statuses.push_back(std::string(domain::ToString(order.status)));
      versions.push_back(std::to_string(order.version));
      created.push_back(codec::FormatTimestamp(order.created_at));
      updated.push_back(codec::FormatTimestamp(order.updated_at));
    }
    // The WHERE keeps the version guard in SQL too: a stale write never wins.
    tx.exec_params(
        "INSERT INTO orders (order_id, customer_id, items, currency, total_cents, status, version, created_at,"
        " updated_at)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::bigint[], $6::text[],"
        " $7::bigint[], $8::timestamptz[], $9::timestamptz[])"
        " ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, version = excluded.version,"
        " updated_at = excluded.updated_at WHERE orders.version < excluded.version",
        ArrayLiteral(ids), ArrayLiteral(customers), ArrayLiteral(items), ArrayLiteral(currencies),
        ArrayLiteral(totals), ArrayLiteral(statuses), ArrayLiteral(versions), ArrayLiteral(created),
        ArrayLiteral(updated));
  }
  if (!writes.history.empty()) {
    std::vector<std::string> ids, versions, statuses, ats, event_ids;
    std::vector<std::optional<std::string>> reasons;
    for (const auto& row : writes.history) {
      ids.push_back(row.order_id);
      versions.push_back(std::to_string(row.version));
      statuses.push_back(std::string(domain::ToString(row.status)));
      ats.push_back(codec::FormatTimestamp(row.at));
      reasons.push_back(row.reason ? std::optional<std::string>(PgText(*row.reason)) : std::nullopt);
      event_ids.push_back(PgText(row.event_id));
    }
    tx.exec_params(
        "INSERT INTO order_history (order_id, version, status, at, reason, event_id)"
        " SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])"
        " ON CONFLICT (order_id, version) DO NOTHING",
        ArrayLiteral(ids), ArrayLiteral(versions), ArrayLiteral(statuses), ArrayLiteral(ats), ArrayLiteral(reasons),
        ArrayLiteral(event_ids));
  }
  if (!writes.parked.empty()) {
    std::vector<std::string> partitions, offsets, keys, payloads, errors;
    for (const auto& parked : writes.parked) {
      partitions.push_back(std::to_string(parked.partition));
      offsets.push_back(std::to_string(parked.offset));
      keys.push_back(PrintableText(parked.key, 256));
      payloads.push_back(HexEncode(parked.payload));
      errors.push_back(PrintableText(parked.error, 1024));
    }
    tx.exec_params(
        "INSERT INTO poison_events (topic, partition, \"offset\", record_key, payload, error)"
        " SELECT $1, p, o, k, decode(h, 'hex'), e"
        " FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[]) AS t(p, o, k, h, e)"
        " ON CONFLICT (topic, partition, \"offset\") DO NOTHING",
        writes.topic, ArrayLiteral(partitions), ArrayLiteral(offsets), ArrayLiteral(keys), ArrayLiteral(payloads),
        ArrayLiteral(errors));
  }
  if (!writes.next_offsets.empty()) {
    std::vector<std::string> partitions, offsets;
    for (const auto& [partition, offset] : writes.next_offsets) {
      partitions.push_back(std::to_string(partition));
      offsets.push_back(std::to_string(offset));
    }
    tx.exec_params(
        "INSERT INTO consumer_offsets (topic, partition, next_offset)"
        " SELECT $1, p, o FROM unnest($2::int[], $3::bigint[]) AS t(p, o)"
        " ON CONFLICT (topic, partition) DO UPDATE"
        " SET next_offset = GREATEST(consumer_offsets.next_offset, excluded.next_offset)",
        writes.topic, ArrayLiteral(partitions), ArrayLiteral(offsets));
  }
}

ReadModelWriter::ReadModelWriter(std::string connection_string) : connection_string_(std::move(connection_string)) {}

pqxx::connection& ReadModelWriter::Connection() {
  if (!connection_ || !connection_->is_open()) connection_ = std::make_unique<pqxx::connection>(connection_string_);
  return *connection_;
}

std::map<std::int32_t, std::int64_t> ReadModelWriter::LoadOffsets(const std::string& topic,
                                                                  const std::vector<std::int32_t>& partitions) {
  std::vector<std::string> ids;
  for (auto partition : partitions) ids.push_back(std::to_string(partition));
  pqxx::work tx(Connection());
  std::map<std::int32_t, std::int64_t> offsets;
  for (const auto& row : tx.exec_params(
           "SELECT partition, next_offset FROM consumer_offsets WHERE topic = $1 AND partition = ANY($2::int[])",
           topic, ArrayLiteral(ids))) {
    offsets[row[0].as<std::int32_t>()] = row[1].as<std::int64_t>();
  }
  tx.commit();
  return offsets;
}

BatchWrites ReadModelWriter::Apply(DecodedBatch batch) {
  pqxx::work tx(Connection());
  const auto stored = LoadOrders(tx, batch.OrderIds(), true);
  BatchWrites writes = FoldBatch(std::move(batch), stored);
  WriteBatch(tx, writes);
  tx.commit();
  return writes;
}

}  // namespace orders::projection
