#pragma once
// Domain events. Every event carries the order id, the order version it
// produces (1 for the first, +1 per event) and the time it happened.

#include <optional>
#include <string>
#include <string_view>
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

// Who assigned a courier: the courier itself (it accepted an open delivery)
// or staff / a service on its behalf.
enum class AssignedBy { kCourier, kStaff, kService };
std::string_view ToString(AssignedBy by);
std::optional<AssignedBy> ParseAssignedBy(std::string_view text);

struct CourierAssigned {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string courier_id;
  AssignedBy by = AssignedBy::kCourier;
  friend bool operator==(const CourierAssigned&, const CourierAssigned&) = default;
};

// The courier released the delivery, or staff took it away.
struct CourierUnassigned {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string courier_id;  // the courier who had it
  std::optional<std::string> reason;
  friend bool operator==(const CourierUnassigned&, const CourierUnassigned&) = default;
};

// A courier turned down an open delivery; the order stays open for the others.
struct DeliveryDeclined {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string courier_id;
  std::optional<std::string> reason;
  friend bool operator==(const DeliveryDeclined&, const DeliveryDeclined&) = default;
};

// The payment gateway authorized the order's amount.
struct PaymentAuthorized {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string payment_id;
  std::int64_t amount_cents = 0;
  friend bool operator==(const PaymentAuthorized&, const PaymentAuthorized&) = default;
};

// The payment gateway refused the order's amount.
struct PaymentDeclined {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string reason;
  friend bool operator==(const PaymentDeclined&, const PaymentDeclined&) = default;
};

// An authorized payment was given back in full.
struct PaymentRefunded {
  std::string order_id;
  std::int64_t version = 0;
  Timestamp at{};
  std::string payment_id;
  std::int64_t amount_cents = 0;
  friend bool operator==(const PaymentRefunded&, const PaymentRefunded&) = default;
};

using Event = std::variant<OrderPlaced, StatusChanged, CourierAssigned, CourierUnassigned, DeliveryDeclined,
                           PaymentAuthorized, PaymentDeclined, PaymentRefunded>;

const std::string& OrderIdOf(const Event& event);
std::int64_t VersionOf(const Event& event);
Timestamp TimeOf(const Event& event);

}  // namespace orders::domain
