#include <orders/domain/validation.hpp>

#include <algorithm>
#include <string>

namespace orders::domain {
namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Counts Unicode code points of valid UTF-8 (the codec guarantees validity).
std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

bool IsValidOrderId(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !IsLowerHex(text[i])) return false;
  }
  return true;
}

bool IsValidCustomerId(std::string_view text) {
  return !text.empty() && text.size() <= kMaxIdLength && std::all_of(text.begin(), text.end(), IsIdChar);
}

bool IsValidCurrency(std::string_view text) {
  return text.size() == 3 && std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::vector<FieldError> Validate(const PlaceOrder& command) {
  std::vector<FieldError> errors;
  if (!IsValidOrderId(command.order_id)) {
    errors.push_back({"orderId", "must be a lower-case UUID"});
  }
  if (!IsValidCustomerId(command.customer_id)) {
    errors.push_back({"customerId", "must be 1-64 characters of A-Z a-z 0-9 . _ -"});
  }
  if (!IsValidCurrency(command.currency)) {
    errors.push_back({"currency", "must be three upper-case letters"});
  }
  if (command.items.empty() || command.items.size() > kMaxItems) {
    errors.push_back({"items", "must hold 1-100 items"});
  }
  for (std::size_t i = 0; i < command.items.size() && i < kMaxItems; ++i) {
    const LineItem& item = command.items[i];
    const std::string prefix = "items/" + std::to_string(i) + "/";
    if (item.product_id.empty() || CodePoints(item.product_id) > kMaxIdLength) {
      errors.push_back({prefix + "productId", "must be 1-64 characters"});
    }
    if (item.quantity < 1 || item.quantity > kMaxQuantity) {
      errors.push_back({prefix + "quantity", "must be an integer from 1 to 10000"});
    }
    if (item.unit_price_cents < 0 || item.unit_price_cents > kMaxUnitPriceCents) {
      errors.push_back({prefix + "unitPriceCents", "must be an integer from 0 to 100000000"});
    }
  }
  return errors;
}

std::vector<FieldError> Validate(const ChangeStatus& command) {
  std::vector<FieldError> errors;
  if (!IsValidOrderId(command.order_id)) {
    errors.push_back({"orderId", "must be a lower-case UUID"});
  }
  if (command.reason && CodePoints(*command.reason) > kMaxReasonLength) {
    errors.push_back({"reason", "must be at most 280 characters"});
  }
  if (command.expected_version && *command.expected_version < 1) {
    errors.push_back({"If-Match", "must be a positive version"});
  }
  return errors;
}

}  // namespace orders::domain
