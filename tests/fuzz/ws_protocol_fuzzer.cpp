// Fuzzes the notifier's client-message parser, ParseClientMessage
// (protocol.hpp), with arbitrary text frames. Invariants: an invalid message
// says why (briefly, without echoing the input back); every accepted selector
// holds a valid order, customer or courier id or a known event pattern; sinceVersion only comes with a
// subscription to one order and is never negative; oversized input is refused;
// an accepted command has a printable requestId of at most 128 characters,
// object args within their bound, and maps onto a REST call whose path is
// /orders or /orders/<a valid order id>/<one of the command routes>.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <orders/codec/event_topics.hpp>
#include <orders/codec/json_read.hpp>
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
  FUZZ_CHECK(size <= (message.type == ClientMessage::Type::kCommand ? orders::notifier::kMaxCommandMessageBytes
                                                                    : orders::notifier::kMaxClientMessageBytes),
             "oversized messages are refused");
  switch (message.type) {
    case ClientMessage::Type::kPing:
      break;
    case ClientMessage::Type::kCommand: {
      const auto& command = message.command;
      FUZZ_CHECK(!command.request_id.empty() && command.request_id.size() <= orders::notifier::kMaxRequestIdBytes,
                 "a command's requestId is 1-128 characters");
      for (char c : command.request_id) FUZZ_CHECK(c >= 0x20 && c <= 0x7e, "a requestId is printable ASCII");
      FUZZ_CHECK(command.args.is_object(), "args is an object");
      FUZZ_CHECK(orders::codec::DumpJson(command.args).size() <= orders::notifier::kMaxCommandArgsBytes,
                 "args stay within their bound");
      const auto plan = orders::notifier::PlanHttpCall(command, std::string("fuzz-courier"));
      FUZZ_CHECK(plan.call.has_value(), "a parsed command with a subject always maps onto a call");
      const std::string& target = plan.call->target;
      if (command.name == orders::notifier::CommandName::kPlaceOrder) {
        FUZZ_CHECK(target == "/orders", "placeOrder posts to /orders");
      } else {
        FUZZ_CHECK(target.rfind("/orders/", 0) == 0 && target.size() > 44, "an order command names an order");
        FUZZ_CHECK(orders::domain::IsValidOrderId(target.substr(8, 36)), "the path holds a valid order id");
        const std::string rest = target.substr(44);
        FUZZ_CHECK(rest == "/status" || rest == "/courier" || rest == "/delivery-declines",
                   "the path is one of the command routes");
      }
      break;
    }
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
        case Selector::Kind::kCourier:
          FUZZ_CHECK(orders::domain::IsValidCourierId(message.selector.value), "a courier selector is valid");
          break;
        case Selector::Kind::kAll:
        case Selector::Kind::kOpenDeliveries:
          FUZZ_CHECK(message.selector.value.empty(), "the all and openDeliveries selectors have no value");
          break;
        case Selector::Kind::kTopic:
          FUZZ_CHECK(orders::codec::IsEventPattern(message.selector.value), "a topic selector is a known pattern");
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
