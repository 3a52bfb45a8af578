// Fuzzes the command API's request parsing (command-service request_parser):
// ParsePlaceOrder, ParseChangeStatus, ParseIfMatch, IsValidIdempotencyKey,
// ParseAssignCourier, ParseDeclineDelivery / ParseUnassignCourier.
// The first byte picks the parser, the rest is the body (or header value).
// Invariants: a body is refused with field errors (by the parser, or by the
// domain validation that runs before any event) or yields a command whose
// values are all within the contract; a malformed body is refused; If-Match
// values are never negative; a valid Idempotency-Key is 1-255 visible ASCII.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <orders/command/request_parser.hpp>
#include <orders/domain/validation.hpp>

#include "fuzz_check.hpp"

namespace {

constexpr std::string_view kOrderId = "6f1c2b7e-8a4d-4e3b-9c1a-2d3e4f5a6b7c";

// Unicode code points of UTF-8 text, as the domain's limits count them (a
// reason of 280 "é" is 560 bytes and valid).
std::size_t CodePoints(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

// The parser checks the body's shape; domain validation (run by Decide before
// any event) checks the values. Together they must refuse with field errors or
// yield a command the domain accepts, whose values are within the contract.
template <class Command>
bool CheckParsed(const orders::command::Parsed<Command>& parsed) {
  if (parsed.malformed) FUZZ_CHECK(!parsed.errors.empty(), "a malformed body is refused with errors");
  for (const auto& error : parsed.errors) FUZZ_CHECK(!error.reason.empty(), "every error has a reason");
  if (!parsed.errors.empty()) return false;
  FUZZ_CHECK(parsed.command.has_value(), "a body without errors yields a command");
  const auto errors = orders::domain::Validate(*parsed.command);
  for (const auto& error : errors) {
    FUZZ_CHECK(!error.field.empty() && !error.reason.empty(), "domain errors name the field and the reason");
  }
  return errors.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      const auto parsed = orders::command::ParsePlaceOrder(input);
      if (CheckParsed(parsed)) {
        const auto& command = *parsed.command;
        FUZZ_CHECK(command.items.size() >= 1 && command.items.size() <= orders::domain::kMaxItems, "1-100 items");
        FUZZ_CHECK(orders::domain::IsValidCustomerId(command.customer_id), "a valid customerId");
        FUZZ_CHECK(orders::domain::IsValidCurrency(command.currency), "a valid currency");
        std::int64_t total = 0;
        for (const auto& item : command.items) {
          FUZZ_CHECK(item.quantity >= 1 && item.quantity <= orders::domain::kMaxQuantity, "quantity in range");
          FUZZ_CHECK(item.unit_price_cents >= 0 && item.unit_price_cents <= orders::domain::kMaxUnitPriceCents,
                     "unit price in range");
          total += item.quantity * item.unit_price_cents;
        }
        FUZZ_CHECK(orders::domain::TotalCents(command.items) == total, "the total is the sum of the items");
        const auto hash = orders::command::RequestHash(*parsed.command);
        FUZZ_CHECK(hash.size() == 64, "the request hash is SHA-256 hex");
        FUZZ_CHECK(hash == orders::command::RequestHash(*parsed.command), "the request hash is deterministic");
        if (!parsed.command->order_id.empty()) {
          FUZZ_CHECK(orders::domain::IsValidOrderId(parsed.command->order_id), "a given orderId is a valid UUID");
        }
      }
      break;
    }
    case 1: {
      const auto parsed = orders::command::ParseChangeStatus(kOrderId, input);
      if (CheckParsed(parsed)) {
        FUZZ_CHECK(parsed.command->order_id == kOrderId, "the path's orderId is kept");
        FUZZ_CHECK(!parsed.command->reason || CodePoints(*parsed.command->reason) <= orders::domain::kMaxReasonLength,
                   "a reason fits the limit (in code points)");
      }
      break;
    }
    case 2: {
      const auto version = orders::command::ParseIfMatch(input);
      FUZZ_CHECK(version.has_value(), "a present If-Match header yields a version");
      FUZZ_CHECK(*version >= 0, "If-Match versions are never negative");
      break;
    }
    case 4: {
      const auto parsed = orders::command::ParseAssignCourier(kOrderId, input);
      if (CheckParsed(parsed)) {
        FUZZ_CHECK(orders::domain::IsValidCourierId(parsed.command->courier_id), "a valid courierId");
      }
      break;
    }
    case 5: {
      // The courier comes from the token, never the body: the parsers leave it for the caller.
      const auto declined = orders::command::ParseDeclineDelivery(kOrderId, input);
      if (declined.command) FUZZ_CHECK(declined.command->courier_id.empty(), "no courier from a decline body");
      const auto released = orders::command::ParseUnassignCourier(kOrderId, input);
      if (released.command) FUZZ_CHECK(!released.command->courier_id, "no courier from a release body");
      FUZZ_CHECK(declined.errors.size() == released.errors.size(), "both bodies are read alike");
      if (declined.errors.empty() && declined.command && declined.command->reason) {
        FUZZ_CHECK(declined.command->reason == released.command->reason, "the same reason");
      }
      break;
    }
    default: {
      if (orders::command::IsValidIdempotencyKey(input)) {
        FUZZ_CHECK(!input.empty() && input.size() <= orders::command::kMaxIdempotencyKeyLength,
                   "a valid key has 1-255 characters");
        for (const char c : input) FUZZ_CHECK(c > 0x20 && c < 0x7F, "a valid key is visible ASCII");
      }
      break;
    }
  }
  return 0;
}
