#pragma once
// The inventory side of the projection's pure core: what a batch of
// inventory records (INVENTORY_TOPIC) changes in the read model's tables
// `inventory` (one row per tracked product) and `inventory_reservations` (one
// row per order and product). No I/O: the store loads what the fold needs,
// FoldStock() decides with domain::Apply (inventory.hpp), the store writes the
// result in the batch's transaction, with the offsets after it.
//
// Guarantees, the same as for orders (batch.hpp):
//   - an event whose version is <= the product's version is a no-op (redelivery);
//   - a gap, or an event that breaks the stock rules (a second reservation for
//     one order, a release of nothing, ...), is parked, never applied, and so
//     is every later event of that product in the batch;
//   - several events of one product fold in memory into one final row.
//
// What the fold needs of a stored product: its on-hand, reserved and version,
// and of its reservations only those of the orders the batch's events name
// (domain::Apply looks at no other: `reserved` is the stored sum). So a
// product with a long history costs the same to fold as a new one.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <orders/codec/inventory_codec.hpp>
#include <orders/domain/inventory.hpp>
#include <orders/platform/partition_offsets.hpp>
#include <orders/projection/parked_record.hpp>

namespace orders::projection {

struct DecodedStockRecord {
  std::string topic;
  platform::Partition partition = 0;
  platform::Offset offset = 0;
  std::string key;
  std::string payload;
  codec::DecodedStockEvent decoded;
};

// The stored state a batch's fold needs (see above).
struct StockKeys {
  std::vector<std::string> product_ids;                           // sorted, distinct
  std::vector<std::pair<std::string, std::string>> reservations;  // (productId, orderId), sorted, distinct
};
StockKeys StockKeysOf(const std::vector<DecodedStockRecord>& records);

// One order's reservation of one product as it stands after the batch.
struct ReservationRow {
  std::string product_id;
  std::string order_id;
  domain::ReservationState state = domain::ReservationState::kHeld;
  std::int64_t quantity = 0;
  std::int64_t version = 0;  // the product's version of the last event about this reservation

  friend bool operator==(const ReservationRow&, const ReservationRow&) = default;
};

struct StockWrites {
  // The final state of every changed product (on_hand, reserved, version and
  // updated_at are written; available is derived from them).
  std::vector<domain::Stock> stocks;
  std::vector<ReservationRow> reservations;  // one per (product, order) an applied event named
  std::vector<ParkedRecord> parked;          // gaps and rule violations
  std::size_t applied = 0;
  std::size_t duplicates = 0;
};

// `stored`: the products of StockKeysOf(records) that the read model holds,
// with the reservations it names (held ones in `reservations`, the others in
// `settled`). Records are folded in consumption order.
StockWrites FoldStock(const std::vector<DecodedStockRecord>& records,
                      const std::map<std::string, domain::Stock>& stored);

// "held", "refused", "released", "committed": how the read model spells a reservation's state.
std::string_view ReservationStateName(domain::ReservationState state);
std::optional<domain::ReservationState> ParseReservationState(std::string_view text);

}  // namespace orders::projection
