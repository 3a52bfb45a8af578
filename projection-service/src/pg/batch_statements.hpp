#pragma once
// The SQL of one batch transaction, in the order PgReadModelStore runs it:
//   0. PrepareBatch (staging path only): key-only plans for this transaction,
//      and the session's staging tables (temporary, emptied at every commit).
//   1. ReadStorePosition, locking: the fence (offset_fence.hpp): the generation, then
//      row locks on the stored offsets of the batch's partitions. The locks,
//      held to the commit, serialise every writer of those partitions, and so
//      of their orders (an order's events share a partition).
//   2. LoadFoldState: what FoldBatch needs of the stored orders. No row locks
//      (the fence already serialises), and only status, courier and version:
//      the other columns of a stored order are never rewritten.
//   3. WriteBatch: new orders inserted whole, stored ones updated (status,
//      courier, version, updated_at) under the version guard, history rows and
//      declines added,
//      parked records and the new offsets stored. Never one statement per
//      event. Three ways:
//      - kFast, small (the live case): every row as arrays in ONE prepared
//        statement, one round trip, no staging tables to fill and empty at
//        every commit and no statements to parse per batch;
//      - kFast, big (a replay, a backlog): new orders and history rows COPYed
//        straight into their tables (the fold and the fence guarantee they are
//        new), updates COPYed into a staging table and applied by one UPDATE;
//      - kTolerant (the retry after a unique violation): everything through
//        the staging tables, existing rows skipped (ON CONFLICT).
//      An inventory batch's products and reservations go the same way on
//      every path (stock_statements.hpp).

#include <map>
#include <string>
#include <vector>

#include <orders/projection/batch.hpp>
#include <orders/projection/batch_summary.hpp>
#include <orders/projection/offset_fence.hpp>
#include <orders/projection/read_model_store.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

// An order's items as the read model stores them (jsonb text; product ids PostgreSQL can hold).
std::string ItemsJson(const std::vector<domain::LineItem>& items);

// Once per connection, before any statement below (and those of
// summary_statements.hpp and stock_statements.hpp) runs on it: every statement
// a batch sends, as a prepared statement, so PostgreSQL parses each once per
// connection instead of once per batch (libpqxx sends each to the server at
// its first use, and again after it reconnects).
void PrepareStatements(pqxx::connection_base& connection);

enum class WritePath { kArrays, kStaging };
// Up to this many records, a kFast batch is written as arrays; above it (a
// replay, a backlog) through COPY and the staging tables.
inline constexpr std::size_t kMaxRecordsWrittenAsArrays = 1000;
WritePath ChooseWritePath(std::size_t records, WriteMode mode);

void PrepareBatch(pqxx::transaction_base& tx, WritePath path);

// `lock`: FOR UPDATE on the offsets rows (the fence); without: a plain read.
StorePosition ReadStorePosition(pqxx::transaction_base& tx, const std::string& topic,
                                const std::vector<platform::Partition>& partitions, bool lock);

// order id -> an Order with order_id, status, courier_id and version set (nothing else).
std::map<std::string, domain::Order> LoadFoldState(pqxx::transaction_base& tx,
                                                   const std::vector<std::string>& order_ids);

// `facts`: what the writer knows of the stored orders' summary facts; those the
// summaries needed beyond it are loaded into it (WriteSummaries).
void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode, WritePath path,
                OrderFacts& facts);
void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode, WritePath path);

}  // namespace orders::projection
