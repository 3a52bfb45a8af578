#pragma once
// The courier events with a default for every field, like builders.hpp:
// Assigned(3), Unassigned(4), Declined(3, "courier-2"). The order is
// testing::kOrderId unless given; change a field of the result for anything else.

#include <optional>
#include <string>

#include <orders/domain/events.hpp>
#include <orders/testing/builders.hpp>

namespace orders::testing {

inline constexpr const char* kCourierId = "courier-1";

inline domain::CourierAssigned Assigned(std::int64_t version, std::string courier_id = kCourierId,
                                        std::string order_id = kOrderId, domain::Timestamp at = At(1764000002000)) {
  return domain::CourierAssigned{std::move(order_id), version, at, std::move(courier_id), domain::AssignedBy::kCourier};
}

inline domain::CourierUnassigned Unassigned(std::int64_t version, std::string courier_id = kCourierId,
                                            std::string order_id = kOrderId, domain::Timestamp at = At(1764000003000)) {
  return domain::CourierUnassigned{std::move(order_id), version, at, std::move(courier_id), std::nullopt};
}

inline domain::DeliveryDeclined Declined(std::int64_t version, std::string courier_id = kCourierId,
                                         std::string order_id = kOrderId, domain::Timestamp at = At(1764000002500)) {
  return domain::DeliveryDeclined{std::move(order_id), version, at, std::move(courier_id), std::nullopt};
}

}  // namespace orders::testing
