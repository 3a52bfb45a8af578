#pragma once
// The write side of the read model: applies one batch of records and the
// offsets after them in ONE transaction, so the read model always equals the
// fold of the log up to the stored offsets. Whole batches go in as arrays
// (unnest), never one statement per event.
//
// Used by the consumer thread only (it owns its connection).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <orders/projection/batch.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

class ReadModelWriter {
 public:
  explicit ReadModelWriter(std::string connection_string);

  // Stored next offsets of `partitions` (missing ones are absent). Throws on
  // database errors.
  std::map<std::int32_t, std::int64_t> LoadOffsets(const std::string& topic, const std::vector<std::int32_t>& partitions);

  // Loads the batch's orders (locked), folds, writes, commits. Throws
  // pqxx::in_doubt_error when the commit's outcome is unknown, other pqxx
  // errors when nothing was written.
  BatchWrites Apply(DecodedBatch batch);

  // Drops the connection (after an error); the next call reconnects.
  void Reset() { connection_.reset(); }

 private:
  pqxx::connection& Connection();

  std::string connection_string_;
  std::unique_ptr<pqxx::connection> connection_;
};

// Current state of `order_ids` as stored (FOR UPDATE), for FoldBatch.
std::map<std::string, domain::Order> LoadOrders(pqxx::transaction_base& tx, const std::vector<std::string>& order_ids,
                                                bool lock);
void WriteBatch(pqxx::transaction_base& tx, const BatchWrites& writes);

}  // namespace orders::projection
