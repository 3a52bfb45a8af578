#pragma once
// Commands a WebSocket client runs through the command API:
// {"type":"command","requestId","name","args"}. This file holds the wire
// format of the command message and its mapping onto the REST call that runs
// it (method, path, body), so the notifier never re-implements a command: it
// forwards it with the session's own token and relays the HTTP answer. Pure.
//
//   placeOrder       POST   /orders                              args = the body
//   changeStatus     PUT    /orders/{orderId}/status             {status, reason?}
//   acceptDelivery   PUT    /orders/{orderId}/courier            {courierId: args.courierId or the session's sub}
//   declineDelivery  POST   /orders/{orderId}/delivery-declines  {reason?}
//   releaseDelivery  DELETE /orders/{orderId}/courier            (no body)
//
// A placeOrder may carry "idempotencyKey" beside args: sent as the
// Idempotency-Key header, so a client that resends after a lost connection
// gets the original result instead of a second order.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace orders::notifier {

enum class CommandName { kPlaceOrder, kChangeStatus, kAcceptDelivery, kDeclineDelivery, kReleaseDelivery };
std::optional<CommandName> ParseCommandName(std::string_view text);
std::string_view CommandNameText(CommandName name);

inline constexpr std::size_t kMaxRequestIdBytes = 128;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 255;  // as the command API accepts it
// The serialised `args`; the largest valid order body is about 12 KB.
inline constexpr std::size_t kMaxCommandArgsBytes = 24 * 1024;

struct CommandRequest {
  std::string request_id;
  CommandName name = CommandName::kPlaceOrder;
  nlohmann::json args = nlohmann::json::object();
  std::optional<std::string> idempotency_key;  // placeOrder only
};

struct CommandParse {
  std::optional<CommandRequest> command;
  std::string error;       // when not parsed: what is wrong (safe to send)
  bool too_large = false;  // when not parsed because `args` is too long
  std::string request_id;  // the requestId when it was valid, to answer with
};

// The members of a message whose "type" is "command".
CommandParse ParseCommand(const nlohmann::json& message);

struct HttpCall {
  std::string method;
  std::string target;                          // path below the command API's base URL, e.g. /orders/<id>/status
  std::optional<std::string> body;             // JSON text
  std::optional<std::string> idempotency_key;  // the Idempotency-Key header
};

// The REST call for `command` on behalf of a session whose token names
// `subject` (nullopt when auth is off). nullopt with `error` set when the
// call cannot be made (acceptDelivery without a courier to name).
struct HttpCallPlan {
  std::optional<HttpCall> call;
  std::string error;
};
HttpCallPlan PlanHttpCall(const CommandRequest& command, const std::optional<std::string>& subject);

}  // namespace orders::notifier
