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
    "   currency text, total_cents bigint, status text, version bigint, created_at timestamptz,"
    "   updated_at timestamptz) ON COMMIT DELETE ROWS;"
    " CREATE TEMP TABLE IF NOT EXISTS staged_order_changes (order_id uuid, status text, version bigint,"
    "   updated_at timestamptz) ON COMMIT DELETE ROWS;"
    " CREATE TEMP TABLE IF NOT EXISTS staged_history (order_id uuid, version bigint, status text, at timestamptz,"
    "   reason text, event_id text) ON COMMIT DELETE ROWS";

// New orders and history rows are plain inserts: the fold emits them only
// above the stored version, and the fence serialises the writers of a
// partition, so they cannot exist yet. In kFast they are therefore COPYed
// straight into `orders` and `order_history`: no ON CONFLICT probe, no trip
// through a staging table (measured in a replay: PostgreSQL's CPU ~3% lower,
// throughput within the noise; PostgreSQL parsing the timestamps' text costs
// back most of what the staging saved). Should a row exist all the same (a
// read model edited by hand), the COPY fails and the batch is written again
// with kTolerant, which stages them and skips existing rows. Updates of stored
// orders always go through a staging table, under the version guard: a stale
// update never wins. Times travel as text (PgTimestamp), exact.
constexpr const char* kOrdersColumns[] = {"order_id", "customer_id", "items",      "currency",  "total_cents",
                                          "status",   "version",     "created_at", "updated_at"};
constexpr const char* kHistoryColumns[] = {"order_id", "version", "status", "at", "reason", "event_id"};
constexpr const char* kMergeNewOrders =
    "INSERT INTO orders (order_id, customer_id, items, currency, total_cents, status, version, created_at,"
    " updated_at) SELECT order_id, customer_id, items, currency, total_cents, status, version, created_at,"
    " updated_at FROM staged_new_orders"
    " ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, version = excluded.version,"
    " updated_at = excluded.updated_at WHERE orders.version < excluded.version";
constexpr const char* kMergeHistory =
    "INSERT INTO order_history (order_id, version, status, at, reason, event_id)"
    " SELECT order_id, version, status, at, reason, event_id FROM staged_history"
    " ON CONFLICT (order_id, version) DO NOTHING";
constexpr const char* kMergeOrderChanges =
    "UPDATE orders SET status = c.status, version = c.version, updated_at = c.updated_at"
    " FROM staged_order_changes c WHERE orders.order_id = c.order_id AND orders.version < c.version";

// A small batch (the live case: a few records every few milliseconds) in one
// prepared statement: every row travels as arrays, and the sub-statements of
// the WITH all run, in one round trip, with no staging tables to fill and
// empty at commit. The same rows as the COPY path writes, times in the same
// text (PgTimestamp).
constexpr const char* kWriteWithArraysName = "orders_write_batch_arrays";
constexpr const char* kWriteWithArrays =
    "WITH fresh AS ("
    " INSERT INTO orders (order_id, customer_id, items, currency, total_cents, status, version, created_at,"
    " updated_at)"
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::bigint[], $6::text[],"
    " $7::bigint[], $8::timestamptz[], $9::timestamptz[])),"
    " changed AS ("
    " UPDATE orders SET status = c.status, version = c.version, updated_at = c.updated_at"
    " FROM unnest($10::uuid[], $11::text[], $12::bigint[], $13::timestamptz[]) AS c(order_id, status, version,"
    " updated_at)"
    " WHERE orders.order_id = c.order_id AND orders.version < c.version),"
    " history AS ("
    " INSERT INTO order_history (order_id, version, status, at, reason, event_id)"
    " SELECT * FROM unnest($14::uuid[], $15::bigint[], $16::text[], $17::timestamptz[], $18::text[], $19::text[]))"
    " INSERT INTO consumer_offsets (topic, partition, next_offset)"
    " SELECT $20, p, o FROM unnest($21::int[], $22::bigint[]) AS t(p, o)"
    " ON CONFLICT (topic, partition) DO UPDATE"
    " SET next_offset = GREATEST(consumer_offsets.next_offset, excluded.next_offset)";

std::string MergeStaged(WriteMode mode) {
  if (mode == WriteMode::kFast) return kMergeOrderChanges;
  return std::string(kMergeNewOrders) + "; " + kMergeOrderChanges + "; " + kMergeHistory;
}

std::string ItemsJson(const std::vector<domain::LineItem>& items) {
  auto safe = items;
  for (auto& item : safe) item.product_id = PgText(item.product_id);
  return codec::DumpJson(codec::LineItemsToJson(safe));
}

// libpqxx 6.4 has one public way to send COPY data already in text format:
// the deprecated tablewriter. stream_to, its successor, formats every field
// through temporary strings (a quarter of the applier thread's CPU in a
// replay); this sends all the rows of a table in one call.
template <std::size_t N>
void SendCopy(pqxx::transaction_base& tx, const std::string& table, const char* const (&columns)[N],
              CopyRows& rows) {
  if (rows.rows() == 0) return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(tx, table, std::begin(columns), std::end(columns));
#pragma GCC diagnostic pop
  writer.write_raw_line(rows.TakeLines());
  writer.complete();
}

// kFast: new orders and history rows straight into the read model; kTolerant:
// into the staging tables, for the merge that skips existing rows.
void CopyInsertsAndChanges(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode) {
  const bool direct = mode == WriteMode::kFast;
  CopyRows fresh, changed, history;
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    const auto& order = writes.upserts[i];
    if (writes.stored_before[i]) {
      changed.Text(order.order_id).Text(domain::ToString(order.status)).Integer(order.version)
          .Timestamp(order.updated_at).EndRow();
    } else {
      fresh.Text(order.order_id).Text(order.customer_id).Text(ItemsJson(order.items))
          .Text(order.currency).Integer(order.total_cents).Text(domain::ToString(order.status))
          .Integer(order.version).Timestamp(order.created_at).Timestamp(order.updated_at).EndRow();
    }
  }
  for (const auto& row : writes.history) {
    history.Text(row.order_id).Integer(row.version).Text(domain::ToString(row.status)).Timestamp(row.at)
        .NullableText(row.reason).Text(row.event_id).EndRow();
  }
  static constexpr const char* kChangeColumns[] = {"order_id", "status", "version", "updated_at"};
  SendCopy(tx, direct ? "orders" : "staged_new_orders", kOrdersColumns, fresh);
  SendCopy(tx, direct ? "order_history" : "staged_history", kHistoryColumns, history);
  SendCopy(tx, "staged_order_changes", kChangeColumns, changed);
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

// Columns of kWriteWithArrays, one array each.
struct ArrayColumns {
  std::vector<std::string> fresh_id, fresh_customer, fresh_items, fresh_currency, fresh_total, fresh_status,
      fresh_version, fresh_created, fresh_updated;
  std::vector<std::string> changed_id, changed_status, changed_version, changed_updated;
  std::vector<std::string> history_id, history_version, history_status, history_at, history_event;
  std::vector<std::optional<std::string>> history_reason;
  std::vector<std::string> partitions, offsets;
};

ArrayColumns ToArrayColumns(const BatchWrites& writes) {
  ArrayColumns c;
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    const auto& order = writes.upserts[i];
    if (writes.stored_before[i]) {
      c.changed_id.push_back(order.order_id);
      c.changed_status.emplace_back(domain::ToString(order.status));
      c.changed_version.push_back(std::to_string(order.version));
      c.changed_updated.push_back(PgTimestamp(order.updated_at));
    } else {
      c.fresh_id.push_back(order.order_id);
      c.fresh_customer.push_back(PgText(order.customer_id));
      c.fresh_items.push_back(ItemsJson(order.items));
      c.fresh_currency.push_back(PgText(order.currency));
      c.fresh_total.push_back(std::to_string(order.total_cents));
      c.fresh_status.emplace_back(domain::ToString(order.status));
      c.fresh_version.push_back(std::to_string(order.version));
      c.fresh_created.push_back(PgTimestamp(order.created_at));
      c.fresh_updated.push_back(PgTimestamp(order.updated_at));
    }
  }
  for (const auto& row : writes.history) {
    c.history_id.push_back(row.order_id);
    c.history_version.push_back(std::to_string(row.version));
    c.history_status.emplace_back(domain::ToString(row.status));
    c.history_at.push_back(PgTimestamp(row.at));
    c.history_reason.push_back(row.reason ? std::optional<std::string>(PgText(*row.reason)) : std::nullopt);
    c.history_event.push_back(PgText(row.event_id));
  }
  for (const auto& [partition, offset] : writes.next_offsets) {
    c.partitions.push_back(std::to_string(partition));
    c.offsets.push_back(std::to_string(offset));
  }
  return c;
}

void WriteWithArrays(pqxx::transaction_base& tx, const BatchWrites& writes) {
  const auto c = ToArrayColumns(writes);
  tx.exec_prepared(kWriteWithArraysName, ArrayLiteral(c.fresh_id), ArrayLiteral(c.fresh_customer),
                   ArrayLiteral(c.fresh_items), ArrayLiteral(c.fresh_currency), ArrayLiteral(c.fresh_total),
                   ArrayLiteral(c.fresh_status), ArrayLiteral(c.fresh_version), ArrayLiteral(c.fresh_created),
                   ArrayLiteral(c.fresh_updated), ArrayLiteral(c.changed_id), ArrayLiteral(c.changed_status),
                   ArrayLiteral(c.changed_version), ArrayLiteral(c.changed_updated), ArrayLiteral(c.history_id),
                   ArrayLiteral(c.history_version), ArrayLiteral(c.history_status), ArrayLiteral(c.history_at),
                   ArrayLiteral(c.history_reason), ArrayLiteral(c.history_event), writes.topic,
                   ArrayLiteral(c.partitions), ArrayLiteral(c.offsets));
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

void PrepareStatements(pqxx::connection_base& connection) {
  connection.prepare(kWriteWithArraysName, kWriteWithArrays);
}

WritePath ChooseWritePath(std::size_t records, WriteMode mode) {
  return mode == WriteMode::kFast && records <= kMaxRecordsWrittenAsArrays ? WritePath::kArrays : WritePath::kStaging;
}

void PrepareBatch(pqxx::transaction_base& tx, WritePath path) {
  if (path == WritePath::kStaging) tx.exec(kPrepareBatch);
}

void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode, WritePath path) {
  if (path == WritePath::kArrays) {
    WriteWithArrays(tx, writes);
    InsertParked(tx, writes);
    return;
  }
  CopyInsertsAndChanges(tx, writes, mode);
  tx.exec(MergeStaged(mode));
  InsertParked(tx, writes);
  StoreOffsets(tx, writes);
}

}  // namespace orders::projection
