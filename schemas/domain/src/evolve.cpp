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
  state =
      Order{placed.order_id, placed.customer_id, placed.items, placed.currency, placed.total_cents, Status::kPending, 1,
            placed.at,       placed.at};
  return ApplyOutcome::kApplied;
}

ApplyOutcome ApplyEvent(std::optional<Order>& state, const StatusChanged& changed) {
  if (!state) return changed.version > 1 ? ApplyOutcome::kGap : ApplyOutcome::kInvalid;
  if (changed.version <= state->version) return ApplyOutcome::kDuplicate;
  if (changed.version > state->version + 1) return ApplyOutcome::kGap;
  if (changed.from != state->status || !IsTransitionAllowed(changed.from, changed.to)) {
    return ApplyOutcome::kInvalid;
  }
  state->status = changed.to;
  state->version = changed.version;
  state->updated_at = changed.at;
  return ApplyOutcome::kApplied;
}

}  // namespace

ApplyOutcome Apply(std::optional<Order>& state, const Event& event) {
  return std::visit([&state](const auto& e) { return ApplyEvent(state, e); }, event);
}

}  // namespace orders::domain
