#pragma once
// What the batch writer knows of stored orders without asking the store: the
// status, courier, payment and version of the open orders it committed itself,
// and what the report summaries need of them. Valid only as
// long as the store has not moved under the writer, which the offset fence
// checks at the start of every batch; whoever holds it must Clear() it
// whenever positions are re-read, the store moved, or a commit's outcome was
// unknown. Terminal orders are not kept (only a refund changes one again, and
// that is loaded from the store), and the
// whole set is dropped when it outgrows its capacity. Pure, no I/O.

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <orders/domain/order.hpp>
#include <orders/projection/batch.hpp>
#include <orders/projection/batch_summary.hpp>

namespace orders::projection {

class KnownOrders {
 public:
  explicit KnownOrders(std::size_t capacity = 200000) : capacity_(capacity) {}

  // Splits the batch's orders: the known ones are added to `stored` (for
  // FoldBatch); the others are returned, to be loaded from the store. With
  // `placements_are_new`, an order whose first event in the batch is its
  // placement is taken as new and not returned either (the caller must be
  // ready for that to be wrong: a placement duplicated in the log).
  std::vector<std::string> Split(const DecodedBatch& batch, bool placements_are_new,
                                 std::map<std::string, domain::Order>& stored) const;

  // What the report summaries need of the batch's orders (batch_summary.hpp),
  // for those whose facts it knows.
  OrderFacts Facts(const DecodedBatch& batch) const;

  // After a commit: the batch's changed orders as written, and their summary
  // facts after it (FactsAfter); an order left out of `facts_after` is kept
  // without facts (they are loaded when a batch needs them).
  void Remember(const BatchWrites& writes, const OrderFacts& facts_after = {});
  void Clear() {
    orders_.clear();
    facts_.clear();
  }
  std::size_t size() const { return orders_.size(); }

 private:
  struct State {
    domain::Status status;
    std::string courier_id;
    std::int64_t version;
    domain::Payment payment;  // payment events check it (and a refund may follow a cancellation)
  };
  std::size_t capacity_;
  std::unordered_map<std::string, State> orders_;
  std::unordered_map<std::string, StoredOrderFacts> facts_;  // of some of orders_
};

}  // namespace orders::projection
