#include <orders/domain/validation.hpp>

#include <algorithm>
#include <string>

namespace orders::domain {
namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

bool IsControl(char32_t code_point) {
  return code_point < 0x20 || code_point == 0x7F || (code_point >= 0x80 && code_point <= 0x9F);
}

}  // namespace

std::size_t CodePointCount(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return !IsContinuation(static_cast<unsigned char>(c)); }));
}

bool IsPrintableText(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t code_point = 0;
    char32_t smallest = 0;  // below it the sequence is an overlong form
    if (lead < 0x80) {
      length = 1, code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F, smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F, smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07, smallest = 0x10000;
    } else {
      return false;  // a stray continuation byte, or 0xF8-0xFF
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if (!IsContinuation(byte)) return false;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    if (code_point < smallest || code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
    if (IsControl(code_point)) return false;
    i += length;
  }
  return true;
}

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
    if (item.product_id.empty() || !IsPrintableText(item.product_id) ||
        CodePointCount(item.product_id) > kMaxIdLength) {
      errors.push_back({prefix + "productId", "must be 1-64 characters, none of them control characters"});
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

namespace {

// The fields every command on an existing order shares.
std::vector<FieldError> ValidateOrderCommand(const std::string& order_id, const std::optional<std::string>& reason,
                                             const std::optional<std::int64_t>& expected_version) {
  std::vector<FieldError> errors;
  if (!IsValidOrderId(order_id)) {
    errors.push_back({"orderId", "must be a lower-case UUID"});
  }
  if (reason && (!IsPrintableText(*reason) || CodePointCount(*reason) > kMaxReasonLength)) {
    errors.push_back({"reason", "must be at most 280 characters, none of them control characters"});
  }
  if (expected_version && *expected_version < 1) {
    errors.push_back({"If-Match", "must be a positive version"});
  }
  return errors;
}

void CheckCourierId(std::string_view courier_id, std::vector<FieldError>& errors) {
  if (!IsValidCourierId(courier_id)) {
    errors.push_back({"courierId", "must be 1-64 characters of A-Z a-z 0-9 . _ -"});
  }
}

}  // namespace

std::vector<FieldError> Validate(const ChangeStatus& command) {
  return ValidateOrderCommand(command.order_id, command.reason, command.expected_version);
}

std::vector<FieldError> Validate(const AssignCourier& command) {
  auto errors = ValidateOrderCommand(command.order_id, std::nullopt, command.expected_version);
  CheckCourierId(command.courier_id, errors);
  return errors;
}

std::vector<FieldError> Validate(const UnassignCourier& command) {
  auto errors = ValidateOrderCommand(command.order_id, command.reason, command.expected_version);
  if (command.courier_id) CheckCourierId(*command.courier_id, errors);
  return errors;
}

std::vector<FieldError> Validate(const DeclineDelivery& command) {
  auto errors = ValidateOrderCommand(command.order_id, command.reason, command.expected_version);
  CheckCourierId(command.courier_id, errors);
  return errors;
}

}  // namespace orders::domain
