#pragma once
// The write side of the read model: applies one batch of records and the
// offsets after them in ONE transaction, so the read model always equals the
// fold of the log up to the stored offsets. The statements are in
// batch_statements.hpp: whole batches as arrays, never one statement per event.
//
// Used by the consumer thread only (it owns its connection).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <orders/projection/batch.hpp>
#include <orders/projection/batch_statements.hpp>
#include <orders/projection/known_orders.hpp>
#include <orders/projection/offset_fence.hpp>
#include <pqxx/pqxx>

namespace orders::projection {

struct ApplyResult {
  // False when the stored offsets of the batch's partitions were not the
  // expected ones (offset_fence.hpp): nothing was written.
  bool applied = false;
  BatchWrites writes;    // when applied
  StorePosition stored;  // what the fence found, when not applied
};

class ReadModelWriter {
 public:
  explicit ReadModelWriter(std::string connection_string);

  // The read model's generation and the stored next offsets of `partitions`
  // (missing ones are absent). Throws on database errors.
  StorePosition LoadPosition(const std::string& topic, const std::vector<std::int32_t>& partitions);

  // Reads the generation, locks the stored offsets of the batch's partitions
  // and checks both against `generation` and `expected`; then gets the stored state of the batch's orders,
  // folds, writes, commits. Throws pqxx::in_doubt_error when the commit's
  // outcome is unknown, other pqxx errors when nothing was written.
  //
  // The stored state of an order comes from what this writer committed
  // itself (KnownOrders; the fence just proved the store has not moved since)
  // or is loaded; a placement is first taken as a new order. Should that be
  // wrong (rows of the batch exist already: a placement duplicated in the log,
  // a read model edited by hand), the INSERT fails and the batch is written
  // again, every order loaded and existing rows skipped.
  ApplyResult Apply(const DecodedBatch& batch, const std::string& generation, const ExpectedOffsets& expected);

  // Drops the connection and what the writer knows of stored orders, after an
  // error (a commit in doubt may have changed them). ForgetKnownOrders() only
  // the latter, when the consumer's positions are re-read.
  void Reset() {
    connection_.reset();
    known_.Clear();
  }
  void ForgetKnownOrders() { known_.Clear(); }

 private:
  ApplyResult Apply(const DecodedBatch& batch, const std::string& generation, const ExpectedOffsets& expected,
                    WriteMode mode);
  pqxx::connection& Connection();

  std::string connection_string_;
  std::unique_ptr<pqxx::connection> connection_;
  KnownOrders known_;
};

}  // namespace orders::projection
