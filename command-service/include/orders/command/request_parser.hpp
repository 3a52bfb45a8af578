#pragma once
// Parses command-API request bodies and headers into domain commands. Pure:
// no I/O. Every problem is reported as a field error; unknown fields are
// rejected (400), so a typo never silently drops data.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/commands.hpp>
#include <orders/domain/inventory.hpp>
#include <orders/domain/validation.hpp>

namespace orders::command {

// Largest accepted body: 100 items with 64-char product ids fit in ~12 KiB.
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

template <class Command>
struct Parsed {
  std::optional<Command> command;  // set when the body has the right shape
  std::vector<domain::FieldError> errors;
  bool malformed = false;  // not JSON, not an object, too large
};

// POST /orders body {customerId?, items, currency?, orderId?}. An absent
// orderId stays empty (the service generates one); an absent customerId too
// (a customer places for itself: the API fills in its id, others must name one).
Parsed<domain::PlaceOrder> ParsePlaceOrder(std::string_view body);

// PUT /orders/{id}/status body {status, reason?}.
Parsed<domain::ChangeStatus> ParseChangeStatus(std::string_view order_id, std::string_view body);

// PUT /orders/{id}/courier body {courierId}.
Parsed<domain::AssignCourier> ParseAssignCourier(std::string_view order_id, std::string_view body);

// DELETE /orders/{id}/courier and POST /orders/{id}/delivery-declines: an
// optional body {reason?}; an empty body is no reason. The courier is the caller's.
Parsed<domain::UnassignCourier> ParseUnassignCourier(std::string_view order_id, std::string_view body);
Parsed<domain::DeclineDelivery> ParseDeclineDelivery(std::string_view order_id, std::string_view body);

// PUT /inventory/{productId} body {onHand}: a JSON integer (1.0, "5" and
// 1e3 are refused); its range is domain::Validate's.
Parsed<domain::SetStock> ParseSetStock(std::string_view product_id, std::string_view body);

// If-Match: "<version>" (a weak W/ prefix is accepted). nullopt when absent;
// an unparsable value yields version 0, which validation refuses.
std::optional<std::int64_t> ParseIfMatch(std::optional<std::string_view> header);

// Idempotency-Key: 1-255 visible ASCII characters.
bool IsValidIdempotencyKey(std::string_view key);

// SHA-256 (hex) of the command's canonical JSON: tells a retried POST from a
// different one under the same Idempotency-Key.
std::string RequestHash(const domain::PlaceOrder& command);

}  // namespace orders::command
