#pragma once
// The notifier's WebSocket protocol (specified in schemas/asyncapi.yaml):
// parsing client text messages and rendering server messages. Pure.
//
// Client → server: {"type":"subscribe"|"unsubscribe", "orderId"|"customerId"|"all":true,
// "sinceVersion"?}, {"type":"ping"}; for simple clients a bare order id (or a
// JSON string of one) asks once for {"orderId","status"}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/domain/events.hpp>

namespace orders::notifier {

inline constexpr std::size_t kMaxClientMessageBytes = 4096;

struct Selector {
  enum class Kind { kOrder, kCustomer, kAll };
  Kind kind = Kind::kOrder;
  std::string value;  // orderId or customerId; empty for kAll

  friend bool operator==(const Selector&, const Selector&) = default;
  friend bool operator<(const Selector& a, const Selector& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.value < b.value;
  }
};

struct ClientMessage {
  enum class Type { kSubscribe, kUnsubscribe, kPing, kLookup, kInvalid };
  Type type = Type::kInvalid;
  Selector selector;
  std::optional<std::int64_t> since_version;  // subscribe by order only
  std::string error;                          // kInvalid: what is wrong (safe to send)
};

ClientMessage ParseClientMessage(std::string_view text);

// Server messages.
std::string SnapshotMessage(const domain::Order& order, bool recovered = true);
struct SnapshotPaging {
  std::size_t page_bytes = 64 * 1024;         // per page, unless a single order is longer
  std::size_t total_bytes = 2 * 1024 * 1024;  // all pages together; older orders past it are left out
};

// A list selector's snapshot (`all`, `customerId`) as pages:
// {"type":"snapshot","orders":[…],"page":i,"last":bool,"all":true|"customerId":…}, newest
// orders first. Always at least one page (an empty list is one page, last).
// When the orders do not fit `total_bytes`, the older ones are left out and
// the last page says "truncated":true.
std::vector<std::string> SnapshotPages(const Selector& selector, const std::vector<const domain::Order*>& newest_first,
                                       SnapshotPaging paging = {});
// An update for `event`; for a placement it carries the full order.
std::string UpdateMessage(const domain::Event& event, const domain::Order* order_after);
std::string ErrorMessage(std::string_view code, std::string_view message);
std::string PongMessage();
std::string LookupAnswer(const domain::Order* order);

}  // namespace orders::notifier
