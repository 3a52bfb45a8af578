#pragma once
// The order aggregate's state, as folded from its events.

#include <chrono>
#include <cstdint>
#include <optional>
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

// Where the order's money stands. Before any payment event it is `pending`
// for the order's total, or `not_required` when the total is 0: the state is
// a pure function of the events, so every reader folds the same answer.
enum class PaymentStatus { kPending, kAuthorized, kDeclined, kRefunded, kNotRequired };
std::string_view ToString(PaymentStatus status);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view text);

struct Payment {
  PaymentStatus status = PaymentStatus::kPending;
  std::string payment_id;  // the gateway's id; empty until authorized
  std::int64_t amount_cents = 0;

  friend bool operator==(const Payment&, const Payment&) = default;
};

// The payment of a newly placed order of `total_cents`.
Payment InitialPayment(std::int64_t total_cents);

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
  Payment payment;

  friend bool operator==(const Order&, const Order&) = default;
};

// Open for delivery: confirmed or processing, and no courier yet.
bool IsOpenForDelivery(const Order& order);
bool HasDeclined(const Order& order, std::string_view courier_id);

// Sum of quantity * unit price. Limits (100 items, 10000 units, 1e8 cents)
// keep it below 1e17, far inside int64.
std::int64_t TotalCents(const std::vector<LineItem>& items);

}  // namespace orders::domain
