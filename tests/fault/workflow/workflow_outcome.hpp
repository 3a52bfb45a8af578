#pragma once
// What the fulfilment workflow did, read back from the two logs, for the
// workflow fault scenarios' precise assertions: per order its final status,
// the reason of its cancellation and how many payment events and workflow
// moves it got; per product the stock folded event by event, with every
// event that the inventory rules refused (a reservation beyond what was
// available, a second reservation for one order, a gap or a duplicate) kept
// as a violation, and the largest `reserved` seen at any offset.
//
// The folds are pure (FoldOrders, FoldInventory); Read* load the topics.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <orders/domain/inventory.hpp>
#include <orders/invariants/checker.hpp>
#include <orders/platform/kafka_consumer.hpp>

namespace orders::testing {

struct OrderOutcome {
  domain::Status status = domain::Status::kPending;
  std::string cancel_reason;                         // the reason of its move to cancelled
  int authorized = 0, declined = 0, refunded = 0;    // order.payment_* events
  int confirmations = 0, cancellations = 0;          // moves to confirmed / cancelled
  domain::Timestamp placed_at{}, left_pending_at{};  // event times (left_pending_at: zero while pending)
};

struct OrdersOutcome {
  std::map<std::string, OrderOutcome> orders;
  std::vector<std::string> problems;  // undecodable records

  // How many of `ids` are in `status` (and, for cancelled, with `reason` when given).
  int Count(const std::vector<std::string>& ids, domain::Status status, const std::string& reason = {}) const;
  // None of `ids` is missing from the log or still pending.
  bool AllLeftPending(const std::vector<std::string>& ids) const;
  // How many of `ids` were placed before `at` and left pending after it: the sagas a fault at `at` cut into.
  int InFlightAt(const std::vector<std::string>& ids, domain::Timestamp at) const;
};

struct ProductLedger {
  std::optional<domain::Stock> stock;
  std::map<std::string, int> events;  // event name ("inventory.stock_reserved", ...) -> count
  std::int64_t max_reserved = 0;      // over every offset
  std::int64_t max_over_on_hand = 0;  // max(reserved - onHand) over the offsets after a reservation (0: never oversold)
  std::map<std::string, int> reservations_per_order;  // stock_reserved events per order
};

struct InventoryOutcome {
  std::map<std::string, ProductLedger> products;
  std::vector<std::string> violations;  // undecodable records and events the inventory rules refuse
};

// The wall clock as event times have it, to compare a fault's moment with the log's.
domain::Timestamp WallClockNow();

OrdersOutcome FoldOrders(const std::vector<invariants::LogRecord>& log);
InventoryOutcome FoldInventory(const std::vector<platform::ConsumedRecord>& records);

OrdersOutcome ReadOrdersOutcome(const std::string& topic);
InventoryOutcome ReadInventoryOutcome(const std::string& topic);

}  // namespace orders::testing
