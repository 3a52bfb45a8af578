#pragma once
// The SQL of one batch transaction, in the order ReadModelWriter runs it:
//   0. PrepareBatch: key-only plans for this transaction, and the session's
//      staging tables (temporary, emptied at every commit).
//   1. LockStorePosition: the fence (offset_fence.hpp): the generation, then
//      row locks on the stored offsets of the batch's partitions. The locks,
//      held to the commit, serialise every writer of those partitions, and so
//      of their orders (an order's events share a partition).
//   2. LoadFoldState: what FoldBatch needs of the stored orders. No row locks
//      (the fence already serialises), and only status and version: the other
//      columns of a stored order are never rewritten.
//   3. WriteBatch: the batch's rows are COPYed into the staging tables, then
//      moved into the read model with one statement per table: new orders
//      inserted whole, stored ones updated (status, version, updated_at) under
//      the version guard, history rows added; parked records and the new
//      offsets go in as arrays (unnest). Never one statement per event.
//      kFast inserts new orders and history rows without ON CONFLICT (the
//      fold and the fence guarantee they are new); kTolerant skips rows that
//      exist, for the retry after a unique violation.

#include <map>
#include <string>
#include <vector>

#include <orders/projection/batch.hpp>
#include <orders/projection/offset_fence.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

void PrepareBatch(pqxx::transaction_base& tx);

// `lock`: FOR UPDATE on the offsets rows (the fence); without: a plain read.
StorePosition ReadStorePosition(pqxx::transaction_base& tx, const std::string& topic,
                                const std::vector<std::int32_t>& partitions, bool lock);

// order id -> an Order with order_id, status and version set (nothing else).
std::map<std::string, domain::Order> LoadFoldState(pqxx::transaction_base& tx,
                                                   const std::vector<std::string>& order_ids);

enum class WriteMode { kFast, kTolerant };
void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes, WriteMode mode);

}  // namespace orders::projection
