// Fuzzes the notifier's client-message parser, ParseClientMessage
// (protocol.hpp), with arbitrary text frames. Invariants: an invalid message
// says why (briefly, without echoing the input back); every accepted selector
// holds a valid order or customer id; sinceVersion only comes with a
// subscription to one order and is never negative; oversized input is refused.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <orders/domain/validation.hpp>
#include <orders/notifier/protocol.hpp>

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using orders::notifier::ClientMessage;
  using orders::notifier::Selector;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ClientMessage message = orders::notifier::ParseClientMessage(text);

  if (message.type == ClientMessage::Type::kInvalid) {
    FUZZ_CHECK(!message.error.empty() && message.error.size() <= 80, "an invalid message says why, briefly");
    return 0;
  }
  FUZZ_CHECK(message.error.empty(), "a valid message carries no error");
  FUZZ_CHECK(size <= orders::notifier::kMaxClientMessageBytes, "oversized messages are refused");
  switch (message.type) {
    case ClientMessage::Type::kPing:
      break;
    case ClientMessage::Type::kLookup:
      FUZZ_CHECK(message.selector.kind == Selector::Kind::kOrder, "a lookup names one order");
      FUZZ_CHECK(orders::domain::IsValidOrderId(message.selector.value), "a lookup's order id is valid");
      break;
    default:
      switch (message.selector.kind) {
        case Selector::Kind::kOrder:
          FUZZ_CHECK(orders::domain::IsValidOrderId(message.selector.value), "an order selector is a valid id");
          break;
        case Selector::Kind::kCustomer:
          FUZZ_CHECK(orders::domain::IsValidCustomerId(message.selector.value), "a customer selector is valid");
          break;
        case Selector::Kind::kAll:
          FUZZ_CHECK(message.selector.value.empty(), "the all selector has no value");
          break;
      }
  }
  if (message.since_version) {
    FUZZ_CHECK(message.type == ClientMessage::Type::kSubscribe && message.selector.kind == Selector::Kind::kOrder,
               "sinceVersion only with a subscription to one order");
    FUZZ_CHECK(*message.since_version >= 0, "sinceVersion is never negative");
  }
  return 0;
}
