#pragma once
// The names of DeliveryStatus on the wire and in the database.

#include <optional>
#include <string_view>

#include <orders/notifier/webhooks/webhook_ports.hpp>

namespace orders::notifier::webhooks {

std::string_view DeliveryStatusName(DeliveryStatus status);  // "pending" | "delivered" | "failed"
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name);

}  // namespace orders::notifier::webhooks
