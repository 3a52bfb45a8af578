#include <orders/notifier/events_endpoint.hpp>

#include <orders/codec/json_read.hpp>
#include <orders/notifier/sse_request.hpp>
#include <orders/platform/restinio/http_server.hpp>

namespace orders::notifier {

namespace http = platform::http;

int StatusOfHubError(std::string_view code) {
  if (code == "forbidden") return 403;
  if (code == "not_found") return 404;
  if (code == "rate_limited") return 429;
  if (code == "unavailable") return 503;
  return 400;
}

EventsEndpoint::EventsEndpoint(asio::io_context& io, Hub& hub, SendBatcher& batcher,
                               std::shared_ptr<const platform::Authenticator> authenticator, SseSessionOptions options,
                               ConnectionSlots slots, std::function<void()> slow_closed)
    : io_(io),
      hub_(hub),
      batcher_(batcher),
      authenticator_(std::move(authenticator)),
      options_(options),
      slots_(std::move(slots)),
      slow_closed_(std::move(slow_closed)) {}

void EventsEndpoint::Serve(const http::ExchangePtr& exchange) {
  // The router's edge policy has already refused foreign origins (403).
  // EventSource cannot set headers, so ?access_token= is accepted as on /ws.
  const auto access = exchange->Authorize(
      *authenticator_,
      {platform::Role::kCustomer, platform::Role::kCourier, platform::Role::kStaff, platform::Role::kService},
      http::Exchange::QueryToken::kAccepted);
  if (!access) return;
  auto bad_request = [&](const std::string& detail) { exchange->RespondProblem({400, "Bad Request", detail, {}, {}}); };
  const auto query = exchange->Query();
  if (!query) return bad_request("The query string is malformed or names a parameter twice.");
  const auto& header = exchange->request().header();
  std::optional<std::string> last_event_id;
  if (header.has_field("Last-Event-ID")) last_event_id = header.get_field("Last-Event-ID");
  const EventsRequest request = ParseEventsRequest(*query, last_event_id);
  if (!request.error.empty()) return bad_request(request.error);

  const auto id = slots_.reserve();
  if (!id) {
    exchange->RespondProblem(
        {503, "Service Unavailable", "The notifier is at its connection limit; retry shortly.", {}, {}},
        {{"Retry-After", "5"}});
    return;
  }
  auto session = std::make_shared<SseSession>(*id, io_, hub_, batcher_, events_, options_, slow_closed_);
  // The token is only forwarded with commands, which a stream never sends.
  if (const auto refused = session->Subscribe(access->principal, {}, request.subscribe_message)) {
    const auto answer = codec::ParseJson(*refused, 64 * 1024);
    const bool readable = answer && answer->is_object();
    const std::string code = readable ? answer->value("code", "") : "";
    const std::string detail = readable ? answer->value("message", "") : "";
    const int status = StatusOfHubError(code);
    exchange->RespondProblem({status, std::string(http::ReasonPhrase(status)), detail, {}, {}});
    return;
  }
  // CORS headers the router chose for this request (an allowed cross-origin page).
  const std::string head = SseResponseHead(exchange->added_headers());
  auto taken = http::HttpServer::TakeConnection(*exchange, 200);
  if (!taken) {
    session->Close(1001, {});
    return;
  }
  slots_.hold(*id, session);
  session->Start(std::move(taken->socket), std::move(taken->keep_alive), head);
}

}  // namespace orders::notifier
