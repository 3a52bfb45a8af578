#pragma once
// Test values with a default for every field, so a test states only what it
// is about: PlaceOrderCommand(), ChangeStatusCommand(Status::kConfirmed),
// Placed(), Changed(2, Status::kPending, Status::kConfirmed), At(ms).
// Change a field of the returned struct for anything else.

#include <chrono>
#include <string>

#include <orders/domain/commands.hpp>
#include <orders/domain/events.hpp>

namespace orders::testing {

inline constexpr const char* kOrderId = "6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c";

inline domain::Timestamp At(std::int64_t ms_since_epoch = 1764000000000) {
  return domain::Timestamp{std::chrono::milliseconds(ms_since_epoch)};
}

inline domain::PlaceOrder PlaceOrderCommand(std::string order_id = kOrderId) {
  return domain::PlaceOrder{std::move(order_id), "customer-1", {{"sku-1", 2, 1250}, {"sku-2", 1, 500}}, "USD"};
}

inline domain::ChangeStatus ChangeStatusCommand(domain::Status to, std::string order_id = kOrderId) {
  return domain::ChangeStatus{std::move(order_id), to, std::nullopt, std::nullopt};
}

inline domain::OrderPlaced Placed(std::string order_id = kOrderId, domain::Timestamp at = At()) {
  return domain::OrderPlaced{
      std::move(order_id), 1, at, "customer-1", {{"sku-1", 2, 1250}, {"sku-2", 1, 500}}, "USD", 3000};
}

inline domain::StatusChanged Changed(std::int64_t version, domain::Status from, domain::Status to,
                                     std::string order_id = kOrderId, domain::Timestamp at = At(1764000001000)) {
  return domain::StatusChanged{std::move(order_id), version, at, from, to, std::nullopt};
}

}  // namespace orders::testing
