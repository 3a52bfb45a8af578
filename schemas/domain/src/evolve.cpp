#include <orders/domain/evolve.hpp>

#include <numeric>

namespace orders::domain {

std::int64_t TotalCents(const std::vector<LineItem>& items) {
  return std::accumulate(items.begin(), items.end(), std::int64_t{0}, [](std::int64_t sum, const LineItem& item) {
    return sum + item.quantity * item.unit_price_cents;
  });
}

const std::string& OrderIdOf(const Event& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.order_id; }, event);
}

std::int64_t VersionOf(const Event& event) {
  return std::visit([](const auto& e) { return e.version; }, event);
}

Timestamp TimeOf(const Event& event) {
  return std::visit([](const auto& e) { return e.at; }, event);
}

namespace {

ApplyOutcome ApplyEvent(std::optional<Order>& state, const OrderPlaced& placed) {
  if (state) return placed.version <= state->version ? ApplyOutcome::kDuplicate : ApplyOutcome::kInvalid;
  if (placed.version != 1) return ApplyOutcome::kGap;
  state = Order{placed.order_id,
                placed.customer_id,
                placed.items,
                placed.currency,
                placed.total_cents,
                Status::kPending,
                {},
                {},
                1,
                placed.at,
                placed.at,
                InitialPayment(placed.total_cents)};
  return ApplyOutcome::kApplied;
}

// The version guard every later event of an order passes first; kApplied means "go on".
ApplyOutcome Sequence(const std::optional<Order>& state, std::int64_t version) {
  if (!state) return version > 1 ? ApplyOutcome::kGap : ApplyOutcome::kInvalid;
  if (version <= state->version) return ApplyOutcome::kDuplicate;
  if (version > state->version + 1) return ApplyOutcome::kGap;
  return ApplyOutcome::kApplied;
}

void Advance(Order& order, std::int64_t version, Timestamp at) {
  order.version = version;
  order.updated_at = at;
}

ApplyOutcome ApplyEvent(std::optional<Order>& state, const StatusChanged& changed) {
  if (auto outcome = Sequence(state, changed.version); outcome != ApplyOutcome::kApplied) return outcome;
  if (changed.from != state->status || !IsTransitionAllowed(changed.from, changed.to)) {
    return ApplyOutcome::kInvalid;
  }
  state->status = changed.to;
  Advance(*state, changed.version, changed.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Order>& state, const CourierAssigned& assigned) {
  if (auto outcome = Sequence(state, assigned.version); outcome != ApplyOutcome::kApplied) return outcome;
  // At most one courier at any version; a finished order takes none.
  if (!state->courier_id.empty() || IsTerminal(state->status) || assigned.courier_id.empty()) {
    return ApplyOutcome::kInvalid;
  }
  state->courier_id = assigned.courier_id;
  Advance(*state, assigned.version, assigned.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Order>& state, const CourierUnassigned& unassigned) {
  if (auto outcome = Sequence(state, unassigned.version); outcome != ApplyOutcome::kApplied) return outcome;
  if (state->courier_id.empty() || state->courier_id != unassigned.courier_id) return ApplyOutcome::kInvalid;
  state->courier_id.clear();
  Advance(*state, unassigned.version, unassigned.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Order>& state, const DeliveryDeclined& declined) {
  if (auto outcome = Sequence(state, declined.version); outcome != ApplyOutcome::kApplied) return outcome;
  if (!HasDeclined(*state, declined.courier_id)) state->declined_by.push_back(declined.courier_id);
  Advance(*state, declined.version, declined.at);
  return ApplyOutcome::kApplied;
}

// Payment events record what the gateway answered, whatever the order's
// status by then (a person may have cancelled it while the gateway was
// deciding; the money still moved and the log must say so). Their order is
// fixed: pending -> authorized | declined, authorized -> refunded, once each.
ApplyOutcome ApplyEvent(std::optional<Order>& state, const PaymentAuthorized& authorized) {
  if (auto outcome = Sequence(state, authorized.version); outcome != ApplyOutcome::kApplied) return outcome;
  // The gateway authorizes what the order asked for, never another amount.
  if (state->payment.status != PaymentStatus::kPending || authorized.payment_id.empty() ||
      authorized.amount_cents != state->payment.amount_cents) {
    return ApplyOutcome::kInvalid;
  }
  state->payment = Payment{PaymentStatus::kAuthorized, authorized.payment_id, authorized.amount_cents};
  Advance(*state, authorized.version, authorized.at);
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Order>& state, const PaymentDeclined& declined) {
  if (auto outcome = Sequence(state, declined.version); outcome != ApplyOutcome::kApplied) return outcome;
  if (state->payment.status != PaymentStatus::kPending) return ApplyOutcome::kInvalid;
  state->payment.status = PaymentStatus::kDeclined;
  Advance(*state, declined.version, declined.at);
  return ApplyOutcome::kApplied;
}

// A refund gives back exactly what was authorized, under the same payment id.
ApplyOutcome ApplyEvent(std::optional<Order>& state, const PaymentRefunded& refunded) {
  if (auto outcome = Sequence(state, refunded.version); outcome != ApplyOutcome::kApplied) return outcome;
  if (state->payment.status != PaymentStatus::kAuthorized || state->payment.payment_id != refunded.payment_id ||
      state->payment.amount_cents != refunded.amount_cents) {
    return ApplyOutcome::kInvalid;
  }
  state->payment.status = PaymentStatus::kRefunded;
  Advance(*state, refunded.version, refunded.at);
  return ApplyOutcome::kApplied;
}

}  // namespace

ApplyOutcome Apply(std::optional<Order>& state, const Event& event) {
  return std::visit([&state](const auto& e) { return ApplyEvent(state, e); }, event);
}

}  // namespace orders::domain
