#pragma once
// The inventory log's invariants (checker.hpp, 7), stated on their own rather
// than through domain::Apply(Stock), so a mistake in the domain's fold is
// caught instead of copied:
//   - per product, versions 1..n with no gap and no duplicate, the first one a
//     stock_set (an untracked product has no stock events at all); every
//     record decodes;
//   - a reservation (stock_reserved) is accepted only when it fits in what
//     was available just before it: available = onHand - reserved, floored
//     at 0. onHand may legitimately drop below reserved (a stock_set is a
//     fact about the warehouse), so "available never negative" means exactly
//     this: no reservation beyond it;
//   - an order reserves a product at most once: never while it holds an open
//     reservation of it (counted twice), never again after that reservation
//     was refused, released or committed;
//   - a refusal (reservation_refused) states the availability of that moment
//     and asks for more than it; it comes from no order holding the product;
//   - a release or commit settles an open reservation of that order with
//     exactly its quantity; nothing else.
// With those, reserved = the sum of the open reservations after every
// record: the ledger below keeps reserved as that sum, and each rule above
// is what keeps the writer's own count equal to it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <orders/domain/inventory.hpp>
#include <orders/invariants/checker.hpp>

namespace orders::invariants {

// One record of the inventory log, decoded (or not).
struct StockRecord {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<domain::StockEvent> event;  // nullopt: could not be decoded
  std::string decode_error;
};

// One product as the checker folds it.
struct ProductLedger {
  std::int64_t version = 0;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;                       // the sum of `open`
  std::map<std::string, std::int64_t> open;        // orderId -> quantity held
  std::set<std::string> settled;                   // orders whose reservation was refused, released or committed
  std::optional<domain::Timestamp> tracked_since;  // the `at` of its first stock_set
};

// The inventory log folded, for the rules that join it with the orders log.
struct StockFold {
  std::map<std::string, ProductLedger> products;
  std::map<std::string, std::set<std::string>> refused;  // orderId -> products that refused it
  std::set<std::string> orders;                          // every order a record names
  std::optional<domain::Timestamp> last_event_at;        // the latest `at` of the log
};

// Folds the inventory log (records of one product in the order they were
// appended; products may interleave) and reports every broken rule above.
StockFold CheckStockLog(const std::vector<StockRecord>& log, Report& report);

}  // namespace orders::invariants
