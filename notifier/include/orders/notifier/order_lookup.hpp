#pragma once
// Asking the read model about an order the cache no longer holds.
//
// The order cache is bounded, so an order it dropped may still be followed,
// resumed or looked up. The hub asks an OrderLookup instead of answering
// `not_found`, and answers the client when the lookup comes back. The lookup
// must never run on the hub's thread (it serves every socket): an
// implementation queues the question and calls `done` later, on the hub's
// thread, never from inside Find. The hub keeps its own deadline, so a
// lookup that never comes back is answered `unavailable` all the same.

#include <functional>
#include <optional>
#include <string>

#include <orders/domain/order.hpp>

namespace orders::notifier {

struct OrderLookupResult {
  enum class Outcome {
    kFound,   // `order` holds the read model's state of the order
    kAbsent,  // the read model has no such order (or the id is not a UUID)
    kFailed,  // the read model could not be asked: neither found nor absent
  };
  Outcome outcome = Outcome::kFailed;
  std::optional<domain::Order> order;
  std::string error;  // kFailed: why, for the log (never sent to clients)
};

class OrderLookup {
 public:
  virtual ~OrderLookup() = default;
  // `done` runs later on the hub's thread, at most once.
  virtual void Find(const std::string& order_id, std::function<void(OrderLookupResult)> done) = 0;
};

}  // namespace orders::notifier
