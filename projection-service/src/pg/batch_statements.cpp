#include "pg/batch_statements.hpp"

#include <orders/codec/json_read.hpp>
#include <orders/codec/order_json.hpp>
#include <pqxx/tablewriter>

#include "pg/copy_rows.hpp"
#include "pg/sql_text.hpp"
#include "pg/stock_statements.hpp"
#include "pg/summary_statements.hpp"

namespace orders::projection {

std::string ItemsJson(const std::vector<domain::LineItem>& items) {
  auto safe = items;
  for (auto& item : safe) item.product_id = PgText(item.product_id);
  return codec::DumpJson(codec::LineItemsToJson(safe));
}

namespace {

// Each kind of row a batch writes, defined once: its columns (in order, with
// their types) and, below, its fields. Both ways in use them: COPY rows for
// big batches, arrays for small ones.
struct Column {
  const char* name;
  const char* type;
};
constexpr Column kNewOrderColumns[] = {{"order_id", "uuid"},
                                       {"customer_id", "text"},
                                       {"items", "jsonb"},
                                       {"currency", "text"},
                                       {"total_cents", "bigint"},
                                       {"status", "text"},
                                       {"version", "bigint"},
                                       {"created_at", "timestamptz"},
                                       {"updated_at", "timestamptz"},
                                       {"courier_id", "text"},
                                       {"payment_status", "text"},
                                       {"payment_id", "text"},
                                       {"payment_amount_cents", "bigint"}};
constexpr Column kOrderChangeColumns[] = {
    {"order_id", "uuid"},   {"status", "text"},         {"version", "bigint"},  {"updated_at", "timestamptz"},
    {"courier_id", "text"}, {"payment_status", "text"}, {"payment_id", "text"}, {"payment_amount_cents", "bigint"}};
constexpr Column kHistoryColumns[] = {{"order_id", "uuid"},  {"version", "bigint"}, {"status", "text"},
                                      {"at", "timestamptz"}, {"reason", "text"},    {"event_id", "text"},
                                      {"event", "text"},     {"courier_id", "text"}};
// Declines are few and may repeat (a courier declining twice): always
// "insert unless present", on both paths, from arrays.
constexpr Column kDeclineColumns[] = {
    {"order_id", "uuid"}, {"courier_id", "text"}, {"version", "bigint"}, {"declined_at", "timestamptz"}};

// No payment id yet is NULL in the read model, not an empty text.
std::optional<std::string> PaymentIdOf(const domain::Order& order) {
  return order.payment.payment_id.empty() ? std::nullopt : std::optional<std::string>(order.payment.payment_id);
}

// No courier is NULL in the read model, not an empty text.
std::optional<std::string> CourierOf(const domain::Order& order) {
  return order.courier_id.empty() ? std::nullopt : std::optional<std::string>(order.courier_id);
}

// The fields of each row kind, in the order of its columns, into a row sink
// (CopyRows, or ArrayRows below). Times go as text (PgTimestamp), exact.
template <typename Rows>
void NewOrderFields(Rows& rows, const domain::Order& order) {
  rows.Text(order.order_id)
      .Text(order.customer_id)
      .Text(ItemsJson(order.items))
      .Text(order.currency)
      .Integer(order.total_cents)
      .Text(domain::ToString(order.status))
      .Integer(order.version)
      .Timestamp(order.created_at)
      .Timestamp(order.updated_at)
      .NullableText(CourierOf(order))
      .Text(domain::ToString(order.payment.status))
      .NullableText(PaymentIdOf(order))
      .Integer(order.payment.amount_cents)
      .EndRow();
}
template <typename Rows>
void OrderChangeFields(Rows& rows, const domain::Order& order) {
  rows.Text(order.order_id)
      .Text(domain::ToString(order.status))
      .Integer(order.version)
      .Timestamp(order.updated_at)
      .NullableText(CourierOf(order))
      .Text(domain::ToString(order.payment.status))
      .NullableText(PaymentIdOf(order))
      .Integer(order.payment.amount_cents)
      .EndRow();
}
template <typename Rows>
void HistoryFields(Rows& rows, const HistoryRow& row) {
  rows.Text(row.order_id)
      .Integer(row.version)
      .Text(domain::ToString(row.status))
      .Timestamp(row.at)
      .NullableText(row.reason)
      .Text(row.event_id)
      .Text(row.event)
      .NullableText(row.courier_id)
      .EndRow();
}
template <typename Rows>
void DeclineFields(Rows& rows, const DeclineRow& row) {
  rows.Text(row.order_id).Text(row.courier_id).Integer(row.version).Timestamp(row.at).EndRow();
}

// The three row kinds of a batch, in one kind of sink.
template <typename Rows>
struct BatchRows {
  Rows new_orders, order_changes, history;
};
template <typename Rows>
void FillRows(const BatchWrites& writes, BatchRows<Rows>& rows) {
  for (std::size_t i = 0; i < writes.upserts.size(); ++i) {
    if (writes.stored_before[i]) {
      OrderChangeFields(rows.order_changes, writes.upserts[i]);
    } else {
      NewOrderFields(rows.new_orders, writes.upserts[i]);
    }
  }
  for (const auto& row : writes.history) HistoryFields(rows.history, row);
}

// A row sink that keeps one array per column, for `unnest($n::type[], ...)`.
class ArrayRows {
 public:
  template <std::size_t N>
  explicit ArrayRows(const Column (&)[N]) : columns_(N) {}
  ArrayRows& Text(std::string_view text) { return Add(PgText(text)); }
  ArrayRows& NullableText(const std::optional<std::string>& text) {
    return Add(text ? std::optional<std::string>(PgText(*text)) : std::nullopt);
  }
  ArrayRows& Integer(std::int64_t value) { return Add(std::to_string(value)); }
  ArrayRows& Timestamp(domain::Timestamp at) { return Add(PgTimestamp(at)); }
  void EndRow() { next_ = 0; }
  // One array literal per column, appended to `params`.
  void AppendLiterals(std::vector<std::string>& params) const {
    for (const auto& column : columns_) params.push_back(ArrayLiteral(column));
  }

 private:
  ArrayRows& Add(std::optional<std::string> value) {
    columns_[next_++].push_back(std::move(value));
    return *this;
  }

  std::vector<std::vector<std::optional<std::string>>> columns_;
  std::size_t next_ = 0;
};

// SQL pieces from the column lists.
template <std::size_t N>
std::string Names(const Column (&columns)[N]) {
  std::string out;
  for (const auto& column : columns) out += std::string(out.empty() ? "" : ", ") + column.name;
  return out;
}
template <std::size_t N>
std::string TempTable(const std::string& table, const Column (&columns)[N]) {
  std::string out = "CREATE TEMP TABLE IF NOT EXISTS " + table + " (";
  for (std::size_t i = 0; i < N; ++i) out += std::string(i ? ", " : "") + columns[i].name + " " + columns[i].type;
  return out + ") ON COMMIT DELETE ROWS";
}
// unnest($first::type[], ...) over the columns; `first` moves past them.
template <std::size_t N>
std::string Unnest(const Column (&columns)[N], int& first) {
  std::string out = "unnest(";
  for (std::size_t i = 0; i < N; ++i) {
    out += std::string(i ? ", " : "") + "$" + std::to_string(first++) + "::" + columns[i].type + "[]";
  }
  return out + ")";
}
std::string UpsertOffsets(int& first) {
  const std::string topic = "$" + std::to_string(first++);
  const std::string partitions = "$" + std::to_string(first++);
  const std::string offsets = "$" + std::to_string(first++);
  return "INSERT INTO consumer_offsets (topic, partition, next_offset) SELECT " + topic + ", p, o FROM unnest(" +
         partitions + "::int[], " + offsets + "::bigint[]) AS t(p, o) ON CONFLICT (topic, partition) DO UPDATE" +
         " SET next_offset = GREATEST(consumer_offsets.next_offset, excluded.next_offset)";
}

// The names of the prepared statements below (PrepareStatements), one per text of Statements.
constexpr const char* kWriteWithArraysName = "orders_write_batch_arrays";
constexpr const char* kMergeNewOrdersName = "orders_merge_new_orders";
constexpr const char* kMergeHistoryName = "orders_merge_history";
constexpr const char* kMergeOrderChangesName = "orders_merge_order_changes";
constexpr const char* kUpsertOffsetsName = "orders_upsert_offsets";
constexpr const char* kInsertDeclinesName = "orders_insert_declines";
constexpr const char* kInsertParkedName = "orders_insert_parked";
constexpr const char* kReadGenerationName = "orders_read_generation";
constexpr const char* kReadOffsetsName = "orders_read_offsets";
constexpr const char* kLockOffsetsName = "orders_lock_offsets";
constexpr const char* kLoadFoldStateName = "orders_load_fold_state";

struct Statements {
  std::string prepare_batch, merge_new_orders, merge_history, merge_order_changes, upsert_offsets, insert_declines,
      write_with_arrays, insert_parked, read_generation, read_offsets, lock_offsets, load_fold_state;
};

const Statements& Sql() {
  static const Statements statements = [] {
    Statements s;
    // Run first in every staging-path transaction, in one round trip:
    //  - every statement of a batch reaches rows by key (nested loops over the
    //    batch, index lookups into the read model); left to itself the planner
    //    hashes the whole orders table for a batch of a few thousand keys, a
    //    cost that grows with the table (quadratic over a replay);
    //  - no JIT: compiling each batch statement costs more than running it;
    //  - the staging tables: temporary, per session, emptied at every commit;
    //    created here (not once per connection) so that a silent reconnect of
    //    libpqxx cannot lose them.
    s.prepare_batch =
        "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off;"
        " SET LOCAL client_min_messages = warning; " +
        TempTable("staged_new_orders", kNewOrderColumns) + "; " +
        TempTable("staged_order_changes", kOrderChangeColumns) + "; " + TempTable("staged_history", kHistoryColumns);
    // New orders and history rows are plain inserts: the fold emits them only
    // above the stored version, and the fence serialises the writers of a
    // partition, so they cannot exist yet. In kFast they are therefore COPYed
    // straight into `orders` and `order_history`: no ON CONFLICT probe, no trip
    // through a staging table. Should a row exist all the same (a read model
    // edited by hand), the COPY fails and the batch is written again with
    // kTolerant, which stages them and merges these, skipping existing rows.
    s.merge_new_orders = "INSERT INTO orders (" + Names(kNewOrderColumns) + ") SELECT " + Names(kNewOrderColumns) +
                         " FROM staged_new_orders ON CONFLICT (order_id) DO UPDATE SET status = excluded.status,"
                         " courier_id = excluded.courier_id, version = excluded.version,"
                         " updated_at = excluded.updated_at, payment_status = excluded.payment_status,"
                         " payment_id = excluded.payment_id, payment_amount_cents = excluded.payment_amount_cents"
                         " WHERE orders.version < excluded.version";
    s.merge_history = "INSERT INTO order_history (" + Names(kHistoryColumns) + ") SELECT " + Names(kHistoryColumns) +
                      " FROM staged_history ON CONFLICT (order_id, version) DO NOTHING";
    // Updates of stored orders always go under the version guard: a stale
    // update never wins.
    const std::string update_orders =
        "UPDATE orders SET status = c.status, courier_id = c.courier_id, version = c.version,"
        " updated_at = c.updated_at, payment_status = c.payment_status, payment_id = c.payment_id,"
        " payment_amount_cents = c.payment_amount_cents FROM ";
    const std::string where_newer = " WHERE orders.order_id = c.order_id AND orders.version < c.version";
    s.merge_order_changes = update_orders + "staged_order_changes c" + where_newer;
    const auto insert_declines = [](int& first) {
      return "INSERT INTO order_declines (" + Names(kDeclineColumns) + ") SELECT * FROM " +
             Unnest(kDeclineColumns, first) + " ON CONFLICT (order_id, courier_id) DO NOTHING";
    };
    int param = 1;
    s.upsert_offsets = UpsertOffsets(param);
    param = 1;
    s.insert_declines = insert_declines(param);
    // A small batch (the live case: a few records every few milliseconds) in
    // one prepared statement: every row travels as arrays, and the
    // sub-statements of the WITH all run, in one round trip, with no staging
    // tables to fill and empty at commit.
    // (The parameters are numbered in this order: one statement each.)
    param = 1;
    const std::string new_orders = Unnest(kNewOrderColumns, param);
    const std::string order_changes = Unnest(kOrderChangeColumns, param);
    const std::string history = Unnest(kHistoryColumns, param);
    const std::string declines = insert_declines(param);
    const std::string offsets = UpsertOffsets(param);
    s.write_with_arrays = "WITH new_orders AS (INSERT INTO orders (" + Names(kNewOrderColumns) + ") SELECT * FROM " +
                          new_orders + "), order_changes AS (" + update_orders + order_changes + " AS c(" +
                          Names(kOrderChangeColumns) + ")" + where_newer +
                          "), history AS (INSERT INTO order_history (" + Names(kHistoryColumns) + ") SELECT * FROM " +
                          history + "), declines AS (" + declines + ") " + offsets;
    s.insert_parked =
        "INSERT INTO poison_events (topic, partition, \"offset\", record_key, payload, error)"
        " SELECT $1, p, o, k, decode(h, 'hex'), e"
        " FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[]) AS t(p, o, k, h, e)"
        " ON CONFLICT (topic, partition, \"offset\") DO NOTHING";
    // The fence (ReadStorePosition): the generation, then the stored offsets,
    // locked to the commit in a batch transaction.
    s.read_generation = "SELECT generation::text FROM read_model_generation";
    s.read_offsets =
        "SELECT partition, next_offset FROM consumer_offsets WHERE topic = $1 AND partition = ANY($2::int[])";
    s.lock_offsets = s.read_offsets + " FOR UPDATE";
    // One index probe per key on either write path (the array path runs
    // without the staging path's planner settings, and a generic plan keeps
    // whatever settings it was made under): a lateral subquery kept apart by
    // OFFSET 0 cannot become a hash join over all of `orders`, a plan the
    // planner picks for a young table whose statistics still call it small
    // (seen on the reservations lookup, stock_statements.cpp).
    s.load_fold_state =
        "SELECT k.id::text, o.status, o.version, o.courier_id, o.payment_status, o.payment_id,"
        " o.payment_amount_cents FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL"
        " (SELECT status, version, courier_id, payment_status, payment_id, payment_amount_cents"
        "  FROM orders WHERE order_id = k.id OFFSET 0) o";
    return s;
  }();
  return statements;
}

// libpqxx 6.4 has one public way to send COPY data already in text format:
// the deprecated tablewriter. stream_to, its successor, formats every field
// through temporary strings; this sends all the rows of a table, formatted
// once by CopyRows, in one call.
template <std::size_t N>
void SendCopy(pqxx::transaction_base& tx, const std::string& table, const Column (&columns)[N], CopyRows& rows) {
  if (rows.rows() == 0) return;
  std::vector<std::string> names;
  for (const auto& column : columns) names.emplace_back(column.name);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter writer(tx, table, names.begin(), names.end());
#pragma GCC diagnostic pop
  writer.write_raw_line(rows.TakeLines());
  writer.complete();
}

std::vector<std::string> OffsetParams(const BatchWrites& writes) {
  std::vector<std::string> partitions, offsets;
  for (const auto& [partition, offset] : writes.next_offsets) {
    partitions.push_back(std::to_string(partition));
    offsets.push_back(std::to_string(offset));
  }
  return {writes.topic, ArrayLiteral(partitions), ArrayLiteral(offsets)};
}

// The decline rows as one array literal per column.
std::vector<std::string> DeclineParams(const BatchWrites& writes) {
  ArrayRows rows(kDeclineColumns);
  for (const auto& row : writes.declines) DeclineFields(rows, row);
  std::vector<std::string> params;
  rows.AppendLiterals(params);
  return params;
}

// The staging path. kFast: new orders and history rows straight into the read
// model; kTolerant: into the staging tables, merged skipping existing rows.
void WriteThroughCopy(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode) {
  const bool direct = mode == WriteMode::kFast;
  BatchRows<CopyRows> rows;
  FillRows(writes, rows);
  SendCopy(tx, direct ? "orders" : "staged_new_orders", kNewOrderColumns, rows.new_orders);
  SendCopy(tx, direct ? "order_history" : "staged_history", kHistoryColumns, rows.history);
  SendCopy(tx, "staged_order_changes", kOrderChangeColumns, rows.order_changes);
  if (!direct) tx.exec_prepared(kMergeNewOrdersName);
  tx.exec_prepared(kMergeOrderChangesName);
  if (!direct) tx.exec_prepared(kMergeHistoryName);
  if (!writes.declines.empty()) {
    tx.exec_prepared(kInsertDeclinesName, pqxx::prepare::make_dynamic_params(DeclineParams(writes)));
  }
  if (!writes.next_offsets.empty()) {
    tx.exec_prepared(kUpsertOffsetsName, pqxx::prepare::make_dynamic_params(OffsetParams(writes)));
  }
}

// The array path: the whole batch, offsets included, in one prepared statement.
void WriteWithArrays(pqxx::transaction_base& tx, const BatchWrites& writes) {
  BatchRows<ArrayRows> rows{ArrayRows(kNewOrderColumns), ArrayRows(kOrderChangeColumns), ArrayRows(kHistoryColumns)};
  FillRows(writes, rows);
  std::vector<std::string> params;
  rows.new_orders.AppendLiterals(params);
  rows.order_changes.AppendLiterals(params);
  rows.history.AppendLiterals(params);
  for (auto& param : DeclineParams(writes)) params.push_back(std::move(param));
  for (auto& param : OffsetParams(writes)) params.push_back(std::move(param));
  tx.exec_prepared(kWriteWithArraysName, pqxx::prepare::make_dynamic_params(params));
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
  tx.exec_prepared(kInsertParkedName, writes.topic, ArrayLiteral(partitions), ArrayLiteral(offsets), ArrayLiteral(keys),
                   ArrayLiteral(payloads), ArrayLiteral(errors));
}

}  // namespace

StorePosition ReadStorePosition(pqxx::transaction_base& tx, const std::string& topic,
                                const std::vector<platform::Partition>& partitions, bool lock) {
  StorePosition position;
  if (const auto rows = tx.exec_prepared(kReadGenerationName); !rows.empty()) {
    position.generation = rows[0][0].as<std::string>();
  }
  std::vector<std::string> ids;
  for (auto partition : partitions) ids.push_back(std::to_string(partition));
  for (const auto& row : tx.exec_prepared(lock ? kLockOffsetsName : kReadOffsetsName, topic, ArrayLiteral(ids))) {
    position.offsets[row[0].as<platform::Partition>()] = row[1].as<platform::Offset>();
  }
  return position;
}

std::map<std::string, domain::Order> LoadFoldState(pqxx::transaction_base& tx,
                                                   const std::vector<std::string>& order_ids) {
  std::map<std::string, domain::Order> orders;
  if (order_ids.empty()) return orders;
  for (const auto& row : tx.exec_prepared(kLoadFoldStateName, ArrayLiteral(order_ids))) {
    domain::Order order;
    order.order_id = row[0].as<std::string>();
    order.status = domain::ParseStatus(row[1].as<std::string>()).value_or(domain::Status::kPending);
    order.version = row[2].as<std::int64_t>();
    if (!row[3].is_null()) order.courier_id = row[3].as<std::string>();
    // Payment events check the payment they follow (a refund may come after a cancellation).
    order.payment.status =
        domain::ParsePaymentStatus(row[4].as<std::string>()).value_or(domain::PaymentStatus::kPending);
    if (!row[5].is_null()) order.payment.payment_id = row[5].as<std::string>();
    order.payment.amount_cents = row[6].as<std::int64_t>();
    orders.emplace(order.order_id, std::move(order));
  }
  return orders;
}

void PrepareStatements(pqxx::connection_base& connection) {
  const auto& sql = Sql();
  for (const auto& [name, text] :
       {std::pair{kWriteWithArraysName, &sql.write_with_arrays}, std::pair{kMergeNewOrdersName, &sql.merge_new_orders},
        std::pair{kMergeHistoryName, &sql.merge_history}, std::pair{kMergeOrderChangesName, &sql.merge_order_changes},
        std::pair{kUpsertOffsetsName, &sql.upsert_offsets}, std::pair{kInsertDeclinesName, &sql.insert_declines},
        std::pair{kInsertParkedName, &sql.insert_parked}, std::pair{kReadGenerationName, &sql.read_generation},
        std::pair{kReadOffsetsName, &sql.read_offsets}, std::pair{kLockOffsetsName, &sql.lock_offsets},
        std::pair{kLoadFoldStateName, &sql.load_fold_state}}) {
    connection.prepare(name, *text);
  }
  PrepareSummaryStatements(connection);
  PrepareStockStatements(connection);
}

WritePath ChooseWritePath(std::size_t records, WriteMode mode) {
  return mode == WriteMode::kFast && records <= kMaxRecordsWrittenAsArrays ? WritePath::kArrays : WritePath::kStaging;
}

void PrepareBatch(pqxx::transaction_base& tx, WritePath path) {
  if (path == WritePath::kStaging) tx.exec(Sql().prepare_batch);
}

void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode, WritePath path) {
  OrderFacts facts;
  WriteBatch(tx, writes, mode, path, facts);
}

void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode, WritePath path,
                OrderFacts& facts) {
  // The tolerant path skips history rows that exist already; their events are in the summaries already.
  const auto stored_history = mode == WriteMode::kTolerant ? StoredHistoryKeys(tx, writes) : std::set<HistoryKey>{};
  if (path == WritePath::kArrays) {
    WriteWithArrays(tx, writes);
  } else {
    WriteThroughCopy(tx, writes, mode);
  }
  WriteSummaries(tx, writes, facts, stored_history);
  WriteStock(tx, writes);
  InsertParked(tx, writes);
}

}  // namespace orders::projection
