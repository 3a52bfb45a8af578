#pragma once
// Field rules of the command API (the request schemas in schemas/openapi.yaml
// state the same limits). Every check reports all offending fields at once,
// each with a JSON-pointer-like name.

#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/commands.hpp>

namespace orders::domain {

struct FieldError {
  std::string field;   // e.g. "items/3/quantity"
  std::string reason;  // human readable, no internal text

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

inline constexpr std::size_t kMaxItems = 100;
inline constexpr std::size_t kMaxIdLength = 64;
inline constexpr std::int64_t kMaxQuantity = 10000;
inline constexpr std::int64_t kMaxUnitPriceCents = 100000000;
inline constexpr std::size_t kMaxReasonLength = 280;

// Canonical lower-case 8-4-4-4-12 hex UUID.
bool IsValidOrderId(std::string_view text);
// 1-64 chars of [A-Za-z0-9._-]; courier ids follow the same rule.
bool IsValidCustomerId(std::string_view text);
inline bool IsValidCourierId(std::string_view text) { return IsValidCustomerId(text); }
// Three upper-case ASCII letters.
bool IsValidCurrency(std::string_view text);
// Well-formed UTF-8 (shortest forms, no surrogates) without control
// characters: C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F).
// Free text must pass it so that every store keeps it byte for byte.
bool IsPrintableText(std::string_view text);
// Code points in `text` (well-formed UTF-8 assumed; IsPrintableText checks it).
std::size_t CodePointCount(std::string_view text);

std::vector<FieldError> Validate(const PlaceOrder& command);
std::vector<FieldError> Validate(const ChangeStatus& command);
std::vector<FieldError> Validate(const AssignCourier& command);
std::vector<FieldError> Validate(const UnassignCourier& command);
std::vector<FieldError> Validate(const DeclineDelivery& command);

}  // namespace orders::domain
