#pragma once
// The order aggregate's state, as folded from its events.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/status.hpp>

namespace orders::domain {

// Event and order times: UTC, millisecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

struct LineItem {
  std::string product_id;
  std::int64_t quantity = 0;
  std::int64_t unit_price_cents = 0;

  friend bool operator==(const LineItem&, const LineItem&) = default;
};

struct Order {
  std::string order_id;
  std::string customer_id;
  std::vector<LineItem> items;
  std::string currency;
  std::int64_t total_cents = 0;
  Status status = Status::kPending;
  // The courier delivering it; empty until one is assigned.
  std::string courier_id;
  // Couriers who declined it while it was open: it leaves their open list.
  std::vector<std::string> declined_by;
  std::int64_t version = 0;
  Timestamp created_at{};
  Timestamp updated_at{};

  friend bool operator==(const Order&, const Order&) = default;
};

// Open for delivery: confirmed or processing, and no courier yet.
bool IsOpenForDelivery(const Order& order);
bool HasDeclined(const Order& order, std::string_view courier_id);

// Sum of quantity * unit price. Limits (100 items, 10000 units, 1e8 cents)
// keep it below 1e17, far inside int64.
std::int64_t TotalCents(const std::vector<LineItem>& items);

}  // namespace orders::domain
