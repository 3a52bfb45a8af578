#pragma once
// The text/event-stream wire format of GET /events (WHATWG HTML, "Server-sent
// events"). Pure. Every hub message becomes one event:
//
//   id: <orderId>:<version>      updates (the id a client resumes from); for
//                                topic messages the event's own id; none for
//                                snapshots and errors
//   event: <type>                snapshot | update | message | error
//   data: <the WebSocket's JSON> one line (the JSON has no raw line breaks;
//                                any would be split into further data: lines)
//   <blank line>
//
// A comment line (": hb") keeps proxies and the client's idle timers from
// closing a quiet stream; `retry:` tells EventSource how long to wait before
// reconnecting.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace orders::notifier {

struct SseEventHeader {
  std::string event;  // the message's "type"; "message" when it has none
  std::string id;     // empty: the event carries no id
};

// Reads a hub message's type and resume id (bounded parse of its JSON).
SseEventHeader DescribeHubMessage(std::string_view json_text);

// One event. `id` and `event` must not contain line breaks or NUL (an id
// that does is left out: EventSource would ignore it anyway).
std::string EncodeSseEvent(std::string_view event, std::string_view id, std::string_view data);

// A hub message as its event (DescribeHubMessage + EncodeSseEvent).
std::string SseEventOf(std::string_view hub_message);

inline constexpr std::string_view kSseHeartbeat = ": hb\n\n";
std::string SseRetryHint(std::chrono::milliseconds retry);

// The head of the 200 answer written on the taken connection. The body ends
// when the connection closes (no Content-Length, no chunking), which every
// HTTP/1.1 client and EventSource understand. `extra` carries the CORS
// headers the router chose for the request.
std::string SseResponseHead(const std::vector<std::pair<std::string, std::string>>& extra);

// A hub message fanned out to many streams is described and encoded once:
// the same immutable buffer for the same text sent in a row (the hub hands
// one text to every recipient of an event). Single-threaded (the io thread).
class SseEventCache {
 public:
  struct Encoded {
    std::shared_ptr<const std::string> frame;
    bool is_error = false;  // an `error` event
  };
  Encoded EventOf(const std::string& hub_message);

 private:
  std::string last_text_;
  Encoded last_;
};

}  // namespace orders::notifier
