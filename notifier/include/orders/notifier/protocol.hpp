#pragma once
// The notifier's WebSocket protocol (specified in schemas/asyncapi.yaml):
// parsing client text messages and rendering server messages. Pure.
//
// Client → server: {"type":"subscribe"|"unsubscribe", "orderId"|"customerId"|"courierId"|
// "all":true|"openDeliveries":true|"topic", "sinceVersion"?}, {"type":"ping"},
// {"type":"command","requestId","name","args"} (command_request.hpp); for
// simple clients a bare order id (or a JSON string of one) asks once for
// {"orderId","status"}.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <orders/codec/json_read.hpp>
#include <orders/domain/events.hpp>
#include <orders/notifier/command_request.hpp>

namespace orders::notifier {

inline constexpr std::size_t kMaxClientMessageBytes = 4096;
// A command carries a REST body (an order of 100 lines is about 12 KB), so it
// may be longer than other client messages.
inline constexpr std::size_t kMaxCommandMessageBytes = 32 * 1024;

struct Selector {
  enum class Kind { kOrder, kCustomer, kAll, kCourier, kOpenDeliveries, kTopic };
  Kind kind = Kind::kOrder;
  // orderId, customerId or courierId; for kTopic an event pattern (codec::IsEventPattern:
  // "order.status_changed", "order.*", "inventory.*", "*"); empty for kAll and kOpenDeliveries.
  std::string value;

  friend bool operator==(const Selector&, const Selector&) = default;
  friend bool operator<(const Selector& a, const Selector& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.value < b.value;
  }
};

struct ClientMessage {
  enum class Type { kSubscribe, kUnsubscribe, kPing, kLookup, kCommand, kInvalid };
  Type type = Type::kInvalid;
  Selector selector;
  std::optional<std::int64_t> since_version;  // subscribe by order only
  CommandRequest command;                     // kCommand
  std::string error;                          // kInvalid: what is wrong (safe to send)
  bool too_large = false;                     // kInvalid because of its size
};

ClientMessage ParseClientMessage(std::string_view text);

// Server messages.
std::string SnapshotMessage(const domain::Order& order, bool recovered = true);
struct SnapshotPaging {
  std::size_t page_bytes = 64 * 1024;         // per page, unless a single order is longer
  std::size_t total_bytes = 2 * 1024 * 1024;  // all pages together; older orders past it are left out
};

// A list selector's snapshot (`all`, `customerId`, `courierId`, `openDeliveries`) as pages:
// {"type":"snapshot","orders":[…],"page":i,"last":bool,<the selector>}, in the
// given order (newest first; open deliveries oldest first). Always at least
// one page (an empty list is one page, last). When the orders do not fit
// `total_bytes`, the ones at the end are left out and the last page says
// "truncated":true.
std::vector<std::string> SnapshotPages(const Selector& selector, const std::vector<const domain::Order*>& orders,
                                       SnapshotPaging paging = {});

// How one event is told to one kind of recipient.
struct UpdateView {
  // Carry the full order after the event: a placement, or an order entering
  // one of the recipient's lists (it became open, or was assigned to the
  // courier the recipient follows).
  bool with_order = false;
  // For openDeliveries subscribers: whether the order is (still) in their
  // open list after the event.
  std::optional<bool> open;
};
// {"type":"update","orderId","version","event","status","previousStatus","at",
// "reason"?,"courierId"?,"payment","open"?,"order"?}: `event` is the event's
// name (e.g. order.payment_authorized), `payment` the order's payment after it,
// on every event type. `before`: the order before the event (nullptr for a
// placement); `after`: after it.
std::string UpdateMessage(const domain::Event& event, const domain::Order* before, const domain::Order& after,
                          UpdateView view = {});
// {"type":"result","requestId","status","body"}: a command's HTTP answer.
std::string ResultMessage(std::string_view request_id, int status, const nlohmann::json& body);
// `request_id`: the command's requestId when the error answers a command.
std::string ErrorMessage(std::string_view code, std::string_view message, std::string_view request_id = {});
std::string PongMessage();
std::string LookupAnswer(const domain::Order* order);
// A bare-id lookup whose order the cache dropped while the read model could not be asked.
std::string LookupUnavailableAnswer();
// {"type":"message","topic","id","payload"}: one event for topic subscribers. `topic` is the
// event's name without its version ("order.status_changed"), `id` its ce_id, `payload` the
// event's payload as it is in the log.
std::string TopicMessage(std::string_view event_name, std::string_view event_id, const codec::Json& payload);

}  // namespace orders::notifier
