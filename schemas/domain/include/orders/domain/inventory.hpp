#pragma once
// Inventory: a product's stock as its own event-sourced stream (key =
// productId), with the same Decide / Apply split as orders.
//
// A product is tracked from its first stock_set (PUT /inventory); products
// never set are unlimited, so commands on them change nothing.
//
// Rules:
// - available = onHand - reserved, floored at 0: it is never negative.
// - SetStock replaces onHand (0..1e9) and is always accepted, even below what
//   is reserved: a stock count is a fact about the warehouse. Reservations
//   already made stay (reserved may then exceed onHand); available is 0 and
//   every new reservation is refused until onHand covers them again.
// - Reserve is all or nothing per product: refused (an event, with the
//   available seen) when available < quantity. One reservation per order and
//   product: asking again, with the same quantity, is answered by what
//   happened the first time (held, refused, released or committed) and
//   appends nothing, so a reservation is never counted twice. The same order
//   asking for another quantity is a conflict.
// - Release gives an open reservation back; Commit (the order was delivered)
//   takes it out of onHand too, floored at 0. Both are no-ops without an open
//   reservation (never reserved, or settled before).
// - A settled reservation (refused, released, committed) is remembered only so
//   that a repeated request is recognised. Nothing asks again once its order
//   is over, so a holder of the state may forget the ones settled long ago
//   (ForgetSettledBefore): the command side does, after a retention, or a
//   product's record would grow with every order it ever had.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <orders/domain/access.hpp>
#include <orders/domain/decide.hpp>
#include <orders/domain/evolve.hpp>
#include <orders/domain/order.hpp>

namespace orders::domain {

inline constexpr std::int64_t kMaxOnHand = 1'000'000'000;

// What became of an order's reservation of one product.
enum class ReservationState { kNone, kHeld, kRefused, kReleased, kCommitted };

struct SettledReservation {
  ReservationState how = ReservationState::kNone;
  std::int64_t quantity = 0;
  Timestamp at{};  // when it was settled (the settling event's time)
  friend bool operator==(const SettledReservation&, const SettledReservation&) = default;
};

struct Stock {
  std::string product_id;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;                         // sum of `reservations`
  std::map<std::string, std::int64_t> reservations;  // open ones: orderId -> quantity
  // Requests that are over (refused, released, committed), kept so that a
  // repeated request is recognised rather than counted again.
  std::map<std::string, SettledReservation> settled;
  std::int64_t version = 0;
  Timestamp updated_at{};

  friend bool operator==(const Stock&, const Stock&) = default;
};

std::int64_t Available(const Stock& stock);
ReservationState ReservationOf(const Stock& stock, const std::string& order_id);
// Drops the settled reservations settled before `cutoff`; open ones always
// stay. Returns how many were dropped.
std::size_t ForgetSettledBefore(Stock& stock, Timestamp cutoff);

// -- Events: each names its product, the product's version it produces (1 for
// the first stock_set, +1 per event) and when it happened.

struct StockSet {
  std::string product_id;
  std::int64_t version = 1;
  Timestamp at{};
  std::int64_t on_hand = 0;
  friend bool operator==(const StockSet&, const StockSet&) = default;
};

struct StockReserved {
  std::string product_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string order_id;
  std::int64_t quantity = 0;
  friend bool operator==(const StockReserved&, const StockReserved&) = default;
};

struct ReservationRefused {
  std::string product_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string order_id;
  std::int64_t quantity = 0;
  std::int64_t available = 0;  // what was available when it was refused
  friend bool operator==(const ReservationRefused&, const ReservationRefused&) = default;
};

struct StockReleased {
  std::string product_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string order_id;
  std::int64_t quantity = 0;
  friend bool operator==(const StockReleased&, const StockReleased&) = default;
};

struct StockCommitted {
  std::string product_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string order_id;
  std::int64_t quantity = 0;
  friend bool operator==(const StockCommitted&, const StockCommitted&) = default;
};

using StockEvent = std::variant<StockSet, StockReserved, ReservationRefused, StockReleased, StockCommitted>;

const std::string& ProductIdOf(const StockEvent& event);
std::int64_t VersionOf(const StockEvent& event);
Timestamp TimeOf(const StockEvent& event);

// -- Commands

struct SetStock {
  std::string product_id;
  std::int64_t on_hand = 0;
};

struct ReserveStock {
  std::string product_id;
  std::string order_id;
  std::int64_t quantity = 0;  // 1..kMaxOnHand: the order's lines of this product, summed
};

struct ReleaseStock {
  std::string product_id;
  std::string order_id;
};

struct CommitStock {
  std::string product_id;
  std::string order_id;
};

// 1-64 characters of [A-Za-z0-9._-], like customer and courier ids, except
// "." and ".." (URL dot segments: /inventory/.. could not be addressed).
bool IsValidProductId(std::string_view text);

std::vector<FieldError> Validate(const SetStock& command);
std::vector<FieldError> Validate(const ReserveStock& command);
std::vector<FieldError> Validate(const ReleaseStock& command);
std::vector<FieldError> Validate(const CommitStock& command);

// Stock levels are set by staff and services only; every role may read them.
bool MaySetStock(const Actor& actor);

struct StockDecision {
  std::vector<StockEvent> events;  // empty and accepted: nothing to change
  std::optional<Rejection> rejection;

  bool accepted() const { return !rejection.has_value(); }
};

// `state` is nullopt for a product never set (untracked: unlimited).
StockDecision Decide(const std::optional<Stock>& state, const SetStock& command, Timestamp now);
StockDecision Decide(const std::optional<Stock>& state, const ReserveStock& command, Timestamp now);
StockDecision Decide(const std::optional<Stock>& state, const ReleaseStock& command, Timestamp now);
StockDecision Decide(const std::optional<Stock>& state, const CommitStock& command, Timestamp now);

// The same version guard as orders (evolve.hpp): duplicates and gaps are
// recognised, and an event that breaks the rules above (a second reservation
// for one order, a reservation beyond what is available, a release of nothing)
// is kInvalid. `state` changes only when the outcome is kApplied.
ApplyOutcome Apply(std::optional<Stock>& state, const StockEvent& event);

}  // namespace orders::domain
