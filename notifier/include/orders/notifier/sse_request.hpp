#pragma once
// What a GET /events request asks for, checked before anything streams. Pure.
//
// The query names exactly one selector, the same ones the WebSocket's
// subscribe message takes: orderId=, customerId=, courierId=, all=true,
// openDeliveries=true, topic=. It may add access_token= (checked elsewhere)
// and lastEventId=. Anything else is refused, so a typo is a 400 rather than
// a stream that silently follows nothing.
//
// Resume: the Last-Event-ID header (what EventSource sends when it
// reconnects) or, when there is none, ?lastEventId= (for a page that starts
// a new EventSource after a reload). On an order stream it must be
// "<orderId>:<version>" of that order and becomes the subscribe message's
// sinceVersion: the stream replays exactly the versions after it. List and
// topic streams cannot resume (the hub keeps no per-list history): they start
// again with a fresh snapshot, so their id is only checked for being a
// plausible id.
//
// The result is the subscribe message the WebSocket would send, so the hub
// applies the same validation, permissions and guarantees to both.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace orders::notifier {

inline constexpr std::size_t kMaxLastEventIdBytes = 256;

struct EventsRequest {
  std::string subscribe_message;  // {"type":"subscribe",…} for Hub::OnClientText
  std::string error;              // set when the request is refused (400); safe to show
};

EventsRequest ParseEventsRequest(const std::map<std::string, std::string>& query,
                                 std::optional<std::string_view> last_event_id_header);

}  // namespace orders::notifier
