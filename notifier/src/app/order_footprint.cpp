#include <orders/notifier/order_footprint.hpp>

namespace orders::notifier {

std::size_t HeapBytes(const std::string& text) {
  // A string whose characters sit inside the object itself owns no block.
  const auto* object = reinterpret_cast<const char*>(&text);
  if (text.data() >= object && text.data() < object + sizeof(text)) return 0;
  return HeapBlock(text.capacity() + 1);
}

std::size_t HeapBytes(const domain::LineItem& item) { return HeapBytes(item.product_id); }

std::size_t HeapBytes(const domain::Order& order) {
  return HeapBytes(order.order_id) + HeapBytes(order.customer_id) + HeapBytes(order.items) + HeapBytes(order.currency) +
         HeapBytes(order.courier_id) + HeapBytes(order.declined_by) + HeapBytes(order.payment.payment_id);
}

namespace {

std::size_t OptionalBytes(const std::optional<std::string>& text) { return text ? HeapBytes(*text) : 0; }

}  // namespace

std::size_t HeapBytes(const domain::Event& event) {
  return std::visit(
      [](const auto& payload) -> std::size_t {
        using T = std::decay_t<decltype(payload)>;
        std::size_t bytes = HeapBytes(payload.order_id);
        if constexpr (std::is_same_v<T, domain::OrderPlaced>) {
          bytes += HeapBytes(payload.customer_id) + HeapBytes(payload.items) + HeapBytes(payload.currency);
        } else if constexpr (std::is_same_v<T, domain::StatusChanged>) {
          bytes += OptionalBytes(payload.reason);
        } else if constexpr (std::is_same_v<T, domain::CourierAssigned>) {
          bytes += HeapBytes(payload.courier_id);
        } else if constexpr (std::is_same_v<T, domain::CourierUnassigned> ||
                             std::is_same_v<T, domain::DeliveryDeclined>) {
          bytes += HeapBytes(payload.courier_id) + OptionalBytes(payload.reason);
        } else if constexpr (std::is_same_v<T, domain::PaymentAuthorized> ||
                             std::is_same_v<T, domain::PaymentRefunded>) {
          bytes += HeapBytes(payload.payment_id);
        } else if constexpr (std::is_same_v<T, domain::PaymentDeclined>) {
          bytes += HeapBytes(payload.reason);
        }
        return bytes;
      },
      event);
}

}  // namespace orders::notifier
