#pragma once
// GET /events: checks the request (token, query, connection budget) while it
// is still a plain HTTP request, so every refusal is a problem+json 4xx/503,
// then turns the connection into an SseSession (sse_session.hpp). Runs on the
// io thread, like the hub and the WebSocket upgrades.

#include <functional>
#include <memory>
#include <optional>

#include <orders/notifier/hub.hpp>
#include <orders/notifier/send_batcher.hpp>
#include <orders/notifier/sse_format.hpp>
#include <orders/notifier/sse_session.hpp>
#include <orders/platform/authenticator.hpp>
#include <orders/platform/restinio/exchange.hpp>

namespace orders::notifier {

// The connection budget the WebSocket upgrades use too: streams and sockets
// count against the same limit (connection_budget.hpp).
struct ConnectionSlots {
  // A new session id, or nullopt when the notifier is at its connection limit.
  std::function<std::optional<SessionId>()> reserve;
  // Records a session that now holds a connection (for the limit and for shutdown).
  std::function<void(SessionId, std::weak_ptr<Sink>)> hold;
};

class EventsEndpoint {
 public:
  EventsEndpoint(asio::io_context& io, Hub& hub, SendBatcher& batcher,
                 std::shared_ptr<const platform::Authenticator> authenticator, SseSessionOptions options,
                 ConnectionSlots slots, std::function<void()> slow_closed);

  void Serve(const platform::http::ExchangePtr& exchange);

 private:
  asio::io_context& io_;
  Hub& hub_;
  SendBatcher& batcher_;
  std::shared_ptr<const platform::Authenticator> authenticator_;
  SseSessionOptions options_;
  ConnectionSlots slots_;
  std::function<void()> slow_closed_;
  SseEventCache events_;
};

// The HTTP status for a hub error code refusing a subscription (403 for
// forbidden, 429 for rate_limited, 404 for not_found, 503 for unavailable, else 400).
int StatusOfHubError(std::string_view code);

}  // namespace orders::notifier
