#pragma once
// Domain events. Every event carries the order id, the order version it
// produces (1 for the first, +1 per event) and the time it happened.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <orders/domain/order.hpp>

namespace orders::domain {

struct OrderPlaced {
  std::string order_id;
  std::int64_t version = 1;
  Timestamp at{};
  std::string customer_id;
  std::vector<LineItem> items;
  std::string currency;
  std::int64_t total_cents = 0;

  friend bool operator==(const OrderPlaced&, const OrderPlaced&) = default;
};

struct StatusChanged {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  Status from = Status::kPending;
  Status to = Status::kPending;
  std::optional<std::string> reason;

  friend bool operator==(const StatusChanged&, const StatusChanged&) = default;
};

using Event = std::variant<OrderPlaced, StatusChanged>;

const std::string& OrderIdOf(const Event& event);
std::int64_t VersionOf(const Event& event);
Timestamp TimeOf(const Event& event);

}  // namespace orders::domain
