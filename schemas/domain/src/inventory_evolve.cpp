#include <orders/domain/inventory.hpp>

#include <algorithm>

namespace orders::domain {

std::int64_t Available(const Stock& stock) { return std::max<std::int64_t>(0, stock.on_hand - stock.reserved); }

ReservationState ReservationOf(const Stock& stock, const std::string& order_id) {
  if (stock.reservations.count(order_id)) return ReservationState::kHeld;
  if (auto over = stock.settled.find(order_id); over != stock.settled.end()) return over->second.how;
  return ReservationState::kNone;
}

std::size_t ForgetSettledBefore(Stock& stock, Timestamp cutoff) {
  return std::erase_if(stock.settled, [cutoff](const auto& entry) { return entry.second.at < cutoff; });
}

const std::string& ProductIdOf(const StockEvent& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.product_id; }, event);
}

std::int64_t VersionOf(const StockEvent& event) {
  return std::visit([](const auto& e) { return e.version; }, event);
}

Timestamp TimeOf(const StockEvent& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

namespace {

// The version guard every event after the product's first passes; kApplied means "go on".
ApplyOutcome Sequence(const std::optional<Stock>& state, std::int64_t version) {
  if (!state) return version > 1 ? ApplyOutcome::kGap : ApplyOutcome::kInvalid;
  if (version <= state->version) return ApplyOutcome::kDuplicate;
  if (version > state->version + 1) return ApplyOutcome::kGap;
  return ApplyOutcome::kApplied;
}

void Advance(Stock& stock, std::int64_t version, Timestamp at) {
  stock.version = version;
  stock.updated_at = at;
}

bool Known(const Stock& stock, const std::string& order_id) {
  return ReservationOf(stock, order_id) != ReservationState::kNone;
}

ApplyOutcome ApplyEvent(std::optional<Stock>& state, const StockSet& set) {
  if (set.on_hand < 0 || set.on_hand > kMaxOnHand) return ApplyOutcome::kInvalid;
  if (!state) {
    if (set.version != 1) return ApplyOutcome::kGap;
    state = Stock{set.product_id, set.on_hand, 0, {}, {}, 1, set.at};
    return ApplyOutcome::kApplied;
  }
  if (auto outcome = Sequence(state, set.version); outcome != ApplyOutcome::kApplied) return outcome;
  state->on_hand = set.on_hand;
  Advance(*state, set.version, set.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Stock>& state, const StockReserved& reserved) {
  if (auto outcome = Sequence(state, reserved.version); outcome != ApplyOutcome::kApplied) return outcome;
  // Never twice for one order, never beyond what is available.
  if (reserved.quantity < 1 || Known(*state, reserved.order_id) || reserved.quantity > Available(*state)) {
    return ApplyOutcome::kInvalid;
  }
  state->reservations.emplace(reserved.order_id, reserved.quantity);
  state->reserved += reserved.quantity;
  Advance(*state, reserved.version, reserved.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Stock>& state, const ReservationRefused& refused) {
  if (auto outcome = Sequence(state, refused.version); outcome != ApplyOutcome::kApplied) return outcome;
  // A refusal records what its writer saw: the same availability, too little of it.
  if (Known(*state, refused.order_id) || refused.available != Available(*state) ||
      refused.quantity <= refused.available) {
    return ApplyOutcome::kInvalid;
  }
  state->settled.emplace(refused.order_id,
                         SettledReservation{ReservationState::kRefused, refused.quantity, refused.at});
  Advance(*state, refused.version, refused.at);
  return ApplyOutcome::kApplied;
}

// Release and commit end an open reservation of exactly the quantity held.
template <typename Settled>
ApplyOutcome EndReservation(std::optional<Stock>& state, const Settled& event, ReservationState how) {
  if (auto outcome = Sequence(state, event.version); outcome != ApplyOutcome::kApplied) return outcome;
  auto open = state->reservations.find(event.order_id);
  if (open == state->reservations.end() || open->second != event.quantity) return ApplyOutcome::kInvalid;
  state->reservations.erase(open);
  state->reserved -= event.quantity;
  if (how == ReservationState::kCommitted) state->on_hand = std::max<std::int64_t>(0, state->on_hand - event.quantity);
  state->settled.emplace(event.order_id, SettledReservation{how, event.quantity, event.at});
  Advance(*state, event.version, event.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Stock>& state, const StockReleased& released) {
  return EndReservation(state, released, ReservationState::kReleased);
}

ApplyOutcome ApplyEvent(std::optional<Stock>& state, const StockCommitted& committed) {
  return EndReservation(state, committed, ReservationState::kCommitted);
}

}  // namespace

ApplyOutcome Apply(std::optional<Stock>& state, const StockEvent& event) {
  return std::visit([&state](const auto& e) { return ApplyEvent(state, e); }, event);
}

}  // namespace orders::domain
