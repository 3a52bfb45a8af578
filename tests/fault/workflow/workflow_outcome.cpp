#include "workflow_outcome.hpp"

#include <algorithm>
#include <type_traits>
#include <variant>

#include <orders/codec/inventory_codec.hpp>
#include <orders/invariants/sources.hpp>
#include <orders/testing/topic_reader.hpp>

namespace orders::testing {

int OrdersOutcome::Count(const std::vector<std::string>& ids, domain::Status status, const std::string& reason) const {
  return static_cast<int>(std::count_if(ids.begin(), ids.end(), [&](const std::string& id) {
    const auto it = orders.find(id);
    return it != orders.end() && it->second.status == status && (reason.empty() || it->second.cancel_reason == reason);
  }));
}

bool OrdersOutcome::AllLeftPending(const std::vector<std::string>& ids) const {
  return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
    const auto it = orders.find(id);
    return it != orders.end() && it->second.status != domain::Status::kPending;
  });
}

int OrdersOutcome::InFlightAt(const std::vector<std::string>& ids, domain::Timestamp at) const {
  return static_cast<int>(std::count_if(ids.begin(), ids.end(), [&](const std::string& id) {
    const auto it = orders.find(id);
    if (it == orders.end()) return false;
    const auto& order = it->second;
    return order.placed_at <= at && (order.status == domain::Status::kPending || order.left_pending_at > at);
  }));
}

domain::Timestamp WallClockNow() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

OrdersOutcome FoldOrders(const std::vector<invariants::LogRecord>& log) {
  OrdersOutcome outcome;
  for (const auto& record : log) {
    if (!record.event) {
      outcome.problems.push_back("offset " + std::to_string(record.offset) + ": " + record.decode_error);
      continue;
    }
    std::visit(
        [&](const auto& event) {
          using E = std::decay_t<decltype(event)>;
          auto& order = outcome.orders[event.order_id];
          if constexpr (std::is_same_v<E, domain::OrderPlaced>) {
            order.placed_at = event.at;
          } else if constexpr (std::is_same_v<E, domain::StatusChanged>) {
            if (event.from == domain::Status::kPending) order.left_pending_at = event.at;
            order.status = event.to;
            if (event.to == domain::Status::kConfirmed) ++order.confirmations;
            if (event.to == domain::Status::kCancelled) {
              ++order.cancellations;
              order.cancel_reason = event.reason.value_or("");
            }
          } else if constexpr (std::is_same_v<E, domain::PaymentAuthorized>) {
            ++order.authorized;
          } else if constexpr (std::is_same_v<E, domain::PaymentDeclined>) {
            ++order.declined;
          } else if constexpr (std::is_same_v<E, domain::PaymentRefunded>) {
            ++order.refunded;
          }
        },
        *record.event);
  }
  return outcome;
}

InventoryOutcome FoldInventory(const std::vector<platform::ConsumedRecord>& records) {
  InventoryOutcome outcome;
  for (const auto& record : records) {
    const auto where = "partition " + std::to_string(record.partition) + " offset " + std::to_string(record.offset);
    const auto decoded = codec::DecodeStockEvent(record.key, record.value, record.headers);
    if (!decoded.decoded) {
      outcome.violations.push_back(where + ": " + decoded.error);
      continue;
    }
    const auto& event = decoded.decoded->event;
    auto& ledger = outcome.products[domain::ProductIdOf(event)];
    const auto applied = domain::Apply(ledger.stock, event);
    if (applied != domain::ApplyOutcome::kApplied) {
      outcome.violations.push_back(where + ": " + std::string(codec::EventName(event)) +
                                   " refused by the inventory rules (outcome " +
                                   std::to_string(static_cast<int>(applied)) + ")");
      continue;
    }
    ++ledger.events[std::string(codec::EventName(event))];
    ledger.max_reserved = std::max(ledger.max_reserved, ledger.stock->reserved);
    if (const auto* reserved = std::get_if<domain::StockReserved>(&event)) {
      ++ledger.reservations_per_order[reserved->order_id];
      ledger.max_over_on_hand = std::max(ledger.max_over_on_hand, ledger.stock->reserved - ledger.stock->on_hand);
    }
  }
  return outcome;
}

OrdersOutcome ReadOrdersOutcome(const std::string& topic) { return FoldOrders(invariants::ReadLog(topic)); }

InventoryOutcome ReadInventoryOutcome(const std::string& topic) { return FoldInventory(ReadWholeTopic(topic)); }

}  // namespace orders::testing
