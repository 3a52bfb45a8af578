#pragma once
// The SQL of an inventory batch (stock_fold.hpp), run by PgReadModelStore in
// the batch's transaction, after the fence (batch_statements.hpp) has locked
// the stored offsets of the batch's partitions: those row locks serialise the
// writers of the partitions, and so of their products (a product's events
// share a partition). Whole batches as arrays, never one statement per event.

#include <map>
#include <string>

#include <orders/domain/inventory.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/stock_fold.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

// Once per connection (PrepareStatements, batch_statements.hpp): the
// statements below run, which need them.
void PrepareStockStatements(pqxx::connection_base& connection);

// product id -> its stored level and version, with the reservations of
// `keys` it holds (held ones in `reservations`, the others in `settled`).
std::map<std::string, domain::Stock> LoadStockState(pqxx::transaction_base& tx, const StockKeys& keys);

// The changed products and reservations, each under the version guard (a
// stale row never overwrites a newer one), in one statement; nothing when the
// batch changed none.
void WriteStock(pqxx::transaction_base& tx, const BatchWrites& writes);

}  // namespace orders::projection
