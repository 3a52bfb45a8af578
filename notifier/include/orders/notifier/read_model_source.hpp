#pragma once
// The read model as an OrderSource (order_lookup_worker.hpp): the projection's
// `orders` and `order_declines` tables in READ_MODEL_SCHEMA, read-only.
//
// Why the database and not the query API: the notifier already reaches
// PostgreSQL (DATABASE_URL, for webhooks), a lookup is one primary-key read
// of tables documented for direct SQL reading (schemas/sql/), and it needs no
// credential: the query API would want a token the notifier does not hold
// (event streams keep none), and the notifier applies the permission table
// itself to what it reads. It only ever reads, in a READ ONLY transaction.

#include <chrono>
#include <memory>
#include <string>

#include <orders/notifier/order_lookup_worker.hpp>

namespace orders::notifier {

// `timeout` bounds connecting and each statement (the hub's own deadline is
// the same length, so an answer that comes later is not waited for anyway).
std::unique_ptr<OrderSource> MakeReadModelSource(std::string database_url, std::string schema,
                                                 std::chrono::milliseconds timeout);

}  // namespace orders::notifier
