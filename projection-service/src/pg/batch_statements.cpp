#include <orders/projection/batch_statements.hpp>

#include <orders/codec/json_read.hpp>
#include <orders/codec/order_json.hpp>
#include <orders/projection/copy_rows.hpp>
#include <orders/projection/sql_text.hpp>
#include <pqxx/tablewriter>

namespace orders::projection {
namespace {

// Run first in every batch transaction, in one round trip:
//  - every statement of a batch reaches rows by key (nested loops over the
//    batch, index lookups into the read model); left to itself the planner
//    hashes the whole orders table for a batch of a few thousand keys, a cost
//    that grows with the table (quadratic over a replay);
//  - no JIT: compiling each batch statement costs more than running it;
//  - the staging tables the batch is COPYed into: temporary, per session,
//    emptied at every commit; created here (not once per connection) so that
//    a silent reconnect of libpqxx cannot lose them.
constexpr const char* kPrepareBatch =
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off;"
    " SET LOCAL client_min_messages = warning;"
    " CREATE TEMP TABLE IF NOT EXISTS staged_new_orders (order_id uuid, customer_id text, items jsonb,"
    "   currency text, total_cents bigint, status text, version bigint, created_ms bigint, updated_ms bigint)"
    "   ON COMMIT DELETE ROWS;"
    " CREATE TEMP TABLE IF NOT EXISTS staged_order_changes (order_id uuid, status text, version bigint,"
    "   updated_ms bigint) ON COMMIT DELETE ROWS;"
    " CREATE TEMP TABLE IF NOT EXISTS staged_history (order_id uuid, version bigint, status text, at_ms bigint,"
    "   reason text, event_id text) ON COMMIT DELETE ROWS";

// From the staging tables into the read model, in one round trip. Times
// travel as epoch milliseconds: exact, and cheaper on both sides than RFC 3339
// text. The version guard is in SQL too: a stale update never wins.
//
// New orders and history rows are plain INSERTs: the fold emits them only
// above the stored version, and the fence serialises the writers of a
// partition, so they cannot exist yet (skipping the ON CONFLICT probe saves a
// fifth of PostgreSQL's work in a replay). Should one exist all the same (a
// read model edited by hand), the batch is written again with kTolerant.
constexpr const char* kMergeNewOrders =
    "INSERT INTO orders (order_id, customer_id, items, currency, total_cents, status, version, created_at,"
    " updated_at)"
    " SELECT order_id, customer_id, items, currency, total_cents, status, version,"
    " 'epoch'::timestamptz + interval '1 millisecond' * created_ms,"
    " 'epoch'::timestamptz + interval '1 millisecond' * updated_ms FROM staged_new_orders";
constexpr const char* kTolerateExistingOrders =
    " ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, version = excluded.version,"
    " updated_at = excluded.updated_at WHERE orders.version < excluded.version";
constexpr const char* kMergeOrderChanges =
    "UPDATE orders SET status = c.status, version = c.version,"
    " updated_at = 'epoch'::timestamptz + interval '1 millisecond' * c.updated_ms"
    " FROM staged_order_changes c WHERE orders.order_id = c.order_id AND orders.version < c.version";
constexpr const char* kMergeHistory =
    "INSERT INTO order_history (order_id, version, status, at, reason, event_id)"
    " SELECT order_id, version, status, 'epoch'::timestamptz + interval '1 millisecond' * at_ms, reason, event_id"
    " FROM staged_history";
constexpr const char* kTolerateExistingHistory = " ON CONFLICT (order_id, version) DO NOTHING";

std::string MergeStaged(WriteMode mode) {
  const bool tolerant = mode == WriteMode::kTolerant;
  return std::string(kMergeNewOrders) + (tolerant ? kTolerateExistingOrders : "") + "; " + kMergeOrderChanges +
         "; " + kMergeHistory + (tolerant ? kTolerateExistingHistory : "");
}

std::int64_t Millis(domain::Timestamp at) { return at.time_since_epoch().count(); }

std::string ItemsJson(const std::vector<domain::LineItem>& items) {
  auto safe = items;
  for (auto& item : safe) item.product_id = PgText(item.product_id);
  return codec::DumpJson(codec::LineItemsToJson(safe));
}

// libpqxx 6.4 has one public way to send COPY data already in text format:
// the deprecated tablewriter. stream_to, its successor, formats every field
// through temporary strings (a quarter of the applier thread's CPU in a
// replay); this sends all the rows of a table in one call.
void SendCopy(pqxx::transaction_base& tx, const std::string& table, CopyRows& rows) {
  if (rows.rows() == 0) return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(tx, table);
#pragma GCC diagnostic pop
  writer.write_raw_line(rows.TakeLines());
  writer.complete();
}

void StageOrders(pqxx::transaction_base& tx, const BatchWrites& writes) {
  CopyRows fresh, changed;
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    const auto& order = writes.upserts[i];
    if (writes.stored_before[i]) {
      changed.Text(order.order_id).Text(domain::ToString(order.status)).Integer(order.version)
          .Integer(Millis(order.updated_at)).EndRow();
    } else {
      fresh.Text(order.order_id).Text(order.customer_id).Text(ItemsJson(order.items))
          .Text(order.currency).Integer(order.total_cents).Text(domain::ToString(order.status))
          .Integer(order.version).Integer(Millis(order.created_at)).Integer(Millis(order.updated_at)).EndRow();
    }
  }
  SendCopy(tx, "staged_new_orders", fresh);
  SendCopy(tx, "staged_order_changes", changed);
}

void StageHistory(pqxx::transaction_base& tx, const BatchWrites& writes) {
  CopyRows rows;
  for (const auto& row : writes.history) {
    rows.Text(row.order_id).Integer(row.version).Text(domain::ToString(row.status)).Integer(Millis(row.at))
        .NullableText(row.reason)
        .Text(row.event_id).EndRow();
  }
  SendCopy(tx, "staged_history", rows);
}

void InsertParked(pqxx::transaction_base& tx, const BatchWrites& writes) {
  if (writes.parked.empty()) return;
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

void StoreOffsets(pqxx::transaction_base& tx, const BatchWrites& writes) {
  if (writes.next_offsets.empty()) return;
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

}  // namespace

StorePosition ReadStorePosition(pqxx::transaction_base& tx, const std::string& topic,
                                const std::vector<std::int32_t>& partitions, bool lock) {
  StorePosition position;
  if (const auto rows = tx.exec("SELECT generation::text FROM read_model_generation"); !rows.empty()) {
    position.generation = rows[0][0].as<std::string>();
  }
  std::vector<std::string> ids;
  for (auto partition : partitions) ids.push_back(std::to_string(partition));
  for (const auto& row : tx.exec_params(std::string("SELECT partition, next_offset FROM consumer_offsets"
                                                    " WHERE topic = $1 AND partition = ANY($2::int[])") +
                                            (lock ? " FOR UPDATE" : ""),
                                        topic, ArrayLiteral(ids))) {
    position.offsets[row[0].as<std::int32_t>()] = row[1].as<std::int64_t>();
  }
  return position;
}

std::map<std::string, domain::Order> LoadFoldState(pqxx::transaction_base& tx,
                                                   const std::vector<std::string>& order_ids) {
  std::map<std::string, domain::Order> orders;
  if (order_ids.empty()) return orders;
  for (const auto& row : tx.exec_params("SELECT o.order_id::text, o.status, o.version"
                                        " FROM unnest($1::uuid[]) AS k(id) JOIN orders o ON o.order_id = k.id",
                                        ArrayLiteral(order_ids))) {
    domain::Order order;
    order.order_id = row[0].as<std::string>();
    order.status = domain::ParseStatus(row[1].as<std::string>()).value_or(domain::Status::kPending);
    order.version = row[2].as<std::int64_t>();
    orders.emplace(order.order_id, std::move(order));
  }
  return orders;
}

void PrepareBatch(pqxx::transaction_base& tx) { tx.exec(kPrepareBatch); }

void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode) {
  StageOrders(tx, writes);
  StageHistory(tx, writes);
  tx.exec(MergeStaged(mode));
  InsertParked(tx, writes);
  StoreOffsets(tx, writes);
}

}  // namespace orders::projection
