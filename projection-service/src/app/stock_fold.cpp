#include <orders/projection/stock_fold.hpp>

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_map>

namespace orders::projection {
namespace {

// The order a stock event is about; none for a stock count.
const std::string* OrderOf(const domain::StockEvent& event) {
  return std::visit(
      [](const auto& e) -> const std::string* {
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, domain::StockSet>) {
          return nullptr;
        } else {
          return &e.order_id;
        }
      },
      event);
}

// The reservation of `order_id` in a folded state, as a row.
ReservationRow RowOf(const domain::Stock& stock, const std::string& order_id, std::int64_t version) {
  if (const auto held = stock.reservations.find(order_id); held != stock.reservations.end()) {
    return {stock.product_id, order_id, domain::ReservationState::kHeld, held->second, version};
  }
  const auto& settled = stock.settled.at(order_id);  // an applied event about it left it one or the other
  return {stock.product_id, order_id, settled.how, settled.quantity, version};
}

}  // namespace

StockKeys StockKeysOf(const std::vector<DecodedStockRecord>& records) {
  std::set<std::string> products;
  std::set<std::pair<std::string, std::string>> reservations;
  for (const auto& record : records) {
    const auto& product = domain::ProductIdOf(record.decoded.event);
    products.insert(product);
    if (const auto* order = OrderOf(record.decoded.event)) reservations.emplace(product, *order);
  }
  return {{products.begin(), products.end()}, {reservations.begin(), reservations.end()}};
}

StockWrites FoldStock(const std::vector<DecodedStockRecord>& records,
                      const std::map<std::string, domain::Stock>& stored) {
  StockWrites writes;
  struct State {
    std::optional<domain::Stock> stock;
    bool changed = false;
    bool blocked = false;  // an event of the product was parked in this batch
    // Reservations named by applied events, with the version of the last one.
    std::map<std::string, std::int64_t> touched;
  };
  std::unordered_map<std::string_view, State> states;
  std::vector<std::string_view> changed_order;  // first-change order, for a stable output
  for (const auto& record : records) {
    const auto& event = record.decoded.event;
    const std::string& product_id = domain::ProductIdOf(event);
    auto [it, inserted] = states.try_emplace(product_id);
    State& state = it->second;
    if (inserted) {
      if (const auto found = stored.find(product_id); found != stored.end()) state.stock = found->second;
    }
    const auto outcome = state.blocked ? domain::ApplyOutcome::kGap : domain::Apply(state.stock, event);
    switch (outcome) {
      case domain::ApplyOutcome::kApplied:
        ++writes.applied;
        if (!state.changed) changed_order.push_back(it->first);
        state.changed = true;
        if (const auto* order = OrderOf(event)) state.touched[*order] = state.stock->version;
        break;
      case domain::ApplyOutcome::kDuplicate:
        ++writes.duplicates;
        break;
      case domain::ApplyOutcome::kGap:
      case domain::ApplyOutcome::kInvalid: {
        const bool gap = outcome == domain::ApplyOutcome::kGap;
        const std::int64_t expected = state.stock ? state.stock->version + 1 : 1;
        std::string error = gap ? "version gap: expected version " + std::to_string(expected) + ", got " +
                                      std::to_string(domain::VersionOf(event))
                                : "event does not apply to the product's stock (stock rules violated)";
        state.blocked = true;
        const auto* order = OrderOf(event);
        ParkedRecord parked{record.topic,
                            record.partition,
                            record.offset,
                            record.key,
                            record.payload,
                            std::move(error),
                            order ? *order : std::string(),
                            gap ? ParkedRecord::Reason::kGap : ParkedRecord::Reason::kInvalid,
                            product_id};
        writes.parked.push_back(std::move(parked));
        break;
      }
    }
  }
  writes.stocks.reserve(changed_order.size());
  for (const auto product_id : changed_order) {
    State& state = states[product_id];
    for (const auto& [order_id, version] : state.touched) {
      writes.reservations.push_back(RowOf(*state.stock, order_id, version));
    }
    writes.stocks.push_back(std::move(*state.stock));
  }
  return writes;
}

std::string_view ReservationStateName(domain::ReservationState state) {
  switch (state) {
    case domain::ReservationState::kHeld:
      return "held";
    case domain::ReservationState::kRefused:
      return "refused";
    case domain::ReservationState::kReleased:
      return "released";
    case domain::ReservationState::kCommitted:
      return "committed";
    case domain::ReservationState::kNone:
      break;
  }
  return "none";
}

std::optional<domain::ReservationState> ParseReservationState(std::string_view text) {
  for (const auto state : {domain::ReservationState::kHeld, domain::ReservationState::kRefused,
                           domain::ReservationState::kReleased, domain::ReservationState::kCommitted}) {
    if (ReservationStateName(state) == text) return state;
  }
  return std::nullopt;
}

}  // namespace orders::projection
