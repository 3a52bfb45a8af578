#include "http_api.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include <orders/codec/trace_context.hpp>
#include <orders/command/http_answer.hpp>
#include <orders/command/request_parser.hpp>
#include <orders/platform/access.hpp>
#include <orders/platform/pistache/http_server.hpp>
#include <orders/platform/pistache/operational_routes.hpp>

#include "guarded_handler.hpp"

namespace orders::command {

using namespace Pistache;
namespace web = platform::pistache_http;

namespace {

// Pistache buffers up to this much per request and answers larger ones itself
// (plain-text 413); bodies between kMaxBodyBytes and this get our problem+json 413.
constexpr std::size_t kMaxRequestBytes = 256 * 1024;

// The checks every body-carrying command shares; nullopt when the request may go on.
std::optional<HttpAnswer> RefuseBody(const Rest::Request& request, std::string_view what) {
  const auto content_type = web::HeaderValue(request, "Content-Type");
  if (!content_type || content_type->substr(0, 16) != "application/json") {
    return ProblemAnswer(
        {415, "Unsupported Media Type", "Send the " + std::string(what) + " as application/json.", {}, {}});
  }
  if (request.body().size() > kMaxBodyBytes) {
    return ProblemAnswer({413, "Content Too Large", "The body must be at most 64 KiB.", {}, {}});
  }
  return std::nullopt;
}

// For commands that may come without a body ({reason?} only): an empty body needs no media type.
std::optional<HttpAnswer> RefuseOptionalBody(const Rest::Request& request, std::string_view what) {
  if (request.body().empty()) return std::nullopt;
  return RefuseBody(request, what);
}

// Who calls, and the refusal when the request may not use a guarded route: a valid token of
// any role, in the Authorization header (never ?access_token=: URLs end up in logs). What
// the role may do is decided per command, on the order (CommandProcessor).
// The caller, and the trace its command's events continue: a new span in the
// client's traceparent, or a new trace when it sent none (or a malformed one).
Caller CommandCaller(const Rest::Request& request, const web::ExchangePtr& exchange) {
  Caller caller = CallerOf(exchange->caller());
  const auto sent = web::HeaderValue(request, codec::kTraceParentHeader);
  const auto parent = sent ? codec::ParseTraceParent(*sent) : std::nullopt;
  caller.trace_parent = codec::FormatTraceParent(parent ? codec::ChildSpan(*parent) : codec::NewTrace());
  return caller;
}

web::GuardResult CheckCaller(const Rest::Request& request, const platform::Authenticator& authenticator) {
  const auto authorization = web::HeaderValue(request, "Authorization");
  const auto access = platform::CheckAccess(
      {authorization ? std::optional<std::string_view>(*authorization) : std::nullopt, {}}, authenticator,
      {platform::Role::kCustomer, platform::Role::kCourier, platform::Role::kStaff, platform::Role::kService});
  if (access.granted) return {std::nullopt, access.principal};
  auto answer = ProblemAnswer(access.refusal);
  if (access.refusal.status == 401) answer.headers.emplace_back("WWW-Authenticate", access.challenge);
  return {answer, access.principal};
}

constexpr const char* kNotReady = "The command service is not ready: it is rebuilding its state or cannot reach Kafka.";

HttpAnswer NotReady() { return ProblemAnswer(platform::UnavailableProblem(kNotReady)); }

void Answer(const web::ExchangePtr& exchange, const HttpAnswer& answer) { exchange->Respond(answer); }

HttpAnswer ShuttingDown() {
  auto answer = ProblemAnswer(
      platform::UnavailableProblem("This instance is shutting down; send the request again (to another instance)."));
  answer.headers.emplace_back("Connection", "close");
  return answer;
}

std::string IdOf(const Rest::Request& request) { return request.param(":id").as<std::string>(); }

// The request as the instance writing its order must see it to decide as this one would have.
ForwardedRequest ForwardedFrom(const Rest::Request& request) {
  ForwardedRequest forwarded{Http::methodString(request.method()), request.resource(), {}, request.body()};
  for (const char* name : {"Authorization", "Content-Type", "If-Match", "Idempotency-Key", "traceparent"}) {
    if (auto value = web::HeaderValue(request, name)) forwarded.headers.emplace_back(name, *value);
  }
  return forwarded;
}

bool WasForwarded(const Rest::Request& request) { return web::HeaderValue(request, kForwardedHeader).has_value(); }

// A request that may be forwarded if its order turns out to be written elsewhere: the key that
// names its partition (the order id, or the Idempotency-Key of a POST without one), and the request.
struct Forwardable {
  CommandForwarder& forwarder;  // the one knowing the writers of the stream the key belongs to
  std::string routing_key;
  ForwardedRequest request;
};

}  // namespace

class HttpApi::Impl {
 public:
  explicit Impl(HttpApiDeps deps)
      : deps_(std::move(deps)), gate_(std::make_shared<ConnectionGate>(deps_.max_connections)) {
    auto& open = deps_.metrics.AddGauge("orders_http_open_connections", "Open HTTP connections");
    auto& refused =
        deps_.metrics.AddCounter("orders_http_connections_refused_total", "Connections refused over MAX_CONNECTIONS");
    deps_.metrics.AddCollector([gate = gate_, &open, &refused] {
      open.Set(static_cast<double>(gate->open.load()));
      refused.Inc(gate->refused.load() - refused.Value());
    });
  }

  platform::Result<std::uint16_t> Start(const std::string& address, std::uint16_t port) {
    auto router = Routes();
    server_ = std::make_unique<web::HttpServer>(
        web::HttpServerOptions{.bind_address = address,
                               .port = port,
                               .max_request_bytes = kMaxRequestBytes,
                               .front = {[gate = gate_](const Rest::Router& routes) {
                                           // Our own framing (guarded_handler.hpp), not Pistache's input path.
                                           return std::make_shared<GuardedHandler>(routes, gate);
                                         },
                                         &GuardedHandler::Answer}},
        std::move(router));
    return server_->Start();
  }

  bool Drain(std::chrono::milliseconds grace) {
    std::unique_lock lock(drain_mutex_);
    draining_ = true;
    return drained_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
  }

  void Stop() {
    if (server_) server_->Stop();
    server_.reset();
  }

 private:
  std::shared_ptr<web::Router> Routes() {
    auto router = std::make_shared<web::Router>(
        deps_.metrics,
        web::CorsPolicy{deps_.origins, "Content-Type, If-Match, Idempotency-Key, Authorization",
                        "ETag, Location, Retry-After, RateLimit, RateLimit-Policy"},
        [authenticator = deps_.authenticator](const Rest::Request& request) {
          return CheckCaller(request, *authenticator);
        },
        std::make_shared<platform::CallerLimiter>("command", deps_.rate_limits.enabled, deps_.rate_limits.requests,
                                                  deps_.rate_limits.max_keys, deps_.metrics));
    router->Add(Http::Method::Post, "/orders",
                [this](auto& request, auto& exchange) { PlaceOrder(request, exchange); });
    router->Add(Http::Method::Get, "/orders/{id}",
                [this](auto& request, auto& exchange) { GetOrder(request, exchange); });
    router->Add(Http::Method::Put, "/orders/{id}/status",
                [this](auto& request, auto& exchange) { ChangeStatus(request, exchange); });
    router->Add(Http::Method::Put, "/orders/{id}/courier",
                [this](auto& request, auto& exchange) { AssignCourier(request, exchange); });
    router->Add(Http::Method::Delete, "/orders/{id}/courier",
                [this](auto& request, auto& exchange) { UnassignCourier(request, exchange); });
    router->Add(Http::Method::Post, "/orders/{id}/delivery-declines",
                [this](auto& request, auto& exchange) { DeclineDelivery(request, exchange); });
    router->Add(Http::Method::Put, "/inventory/{id}",
                [this](auto& request, auto& exchange) { SetStock(request, exchange); });
    router->Add(Http::Method::Get, "/inventory/{id}",
                [this](auto& request, auto& exchange) { GetStock(request, exchange); });
    web::AddOperationalRoutes(*router, deps_.metrics, [this]() -> web::Readiness {
      if (!draining_.load() && deps_.ready()) return {true, {}};
      return {false, kNotReady};
    });
    // One text for every path without DELETE (only /orders/{id}/courier has one).
    router->ExplainNotAllowed(Http::Method::Delete,
                              "DELETE is not allowed here: orders are never deleted (cancel them with "
                              "PUT /orders/{id}/status), and a stock level is set with PUT, never deleted.");
    router->Finish();
    return router;
  }

  void PlaceOrder(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (auto refusal = RefuseBody(request, "order")) return Answer(exchange, *refusal);
    const auto key = web::HeaderValue(request, "Idempotency-Key");
    if (key && !IsValidIdempotencyKey(*key)) {
      return Answer(exchange, BadRequestAnswer("The Idempotency-Key header is not valid.",
                                               {{"Idempotency-Key", "must be 1-255 visible ASCII characters"}}));
    }
    const Caller caller = CommandCaller(request, exchange);
    auto parsed = ParsePlaceOrder(request.body());
    if (parsed.command && parsed.command->customer_id.empty()) {
      // A customer places for itself; everyone else names the customer.
      if (caller.actor.role == domain::ActorRole::kCustomer) {
        parsed.command->customer_id = caller.actor.id;
      } else {
        parsed.errors.push_back({"customerId", "is required"});
      }
    }
    if (!parsed.errors.empty()) return Answer(exchange, BadRequestAnswer("The order is not valid.", parsed.errors));
    if (!deps_.ready()) return Answer(exchange, NotReady());
    const std::string routing_key = !parsed.command->order_id.empty() ? parsed.command->order_id : key.value_or("");
    auto reply = ReplyTo(exchange, ForwardableIf(request, routing_key));
    deps_.processor.Place(std::move(*parsed.command), key, caller, std::move(reply));
  }

  void GetOrder(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (!deps_.ready()) return Answer(exchange, NotReady());
    const Caller caller = CallerOf(exchange->caller());
    const std::string id = IdOf(request);
    // The writer has the latest version; a follower may lag behind it.
    if (deps_.writes_order && !deps_.writes_order(id)) {
      if (auto forwardable = ForwardableIf(request, id)) {
        return ForwardOr(std::move(*forwardable), AnswerLater(exchange), NotWriter());
      }
    }
    // An order the caller may not see is answered like a missing one.
    if (auto order = deps_.book.Find(id); order && domain::MaySee(caller.actor, *order)) {
      return Answer(exchange, AnswerForOrder(200, *order));
    }
    exchange->Respond(ProblemAnswer(platform::NotFoundProblem("No order with this orderId.")));
  }

  void ChangeStatus(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (auto refusal = RefuseBody(request, "status change")) return Answer(exchange, *refusal);
    auto parsed = ParseChangeStatus(IdOf(request), request.body());
    // A malformed body yields no command at all: nothing to attach the version to.
    if (parsed.command) parsed.command->expected_version = ParseIfMatch(web::HeaderValue(request, "If-Match"));
    if (!parsed.errors.empty()) {
      return Answer(exchange, BadRequestAnswer("The status change is not valid.", parsed.errors));
    }
    if (!deps_.ready()) return Answer(exchange, NotReady());
    deps_.processor.ChangeStatus(std::move(*parsed.command), CommandCaller(request, exchange),
                                 ReplyTo(exchange, ForwardableIf(request, IdOf(request))));
  }

  void AssignCourier(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (auto refusal = RefuseBody(request, "assignment")) return Answer(exchange, *refusal);
    auto parsed = ParseAssignCourier(IdOf(request), request.body());
    if (parsed.command) parsed.command->expected_version = ParseIfMatch(web::HeaderValue(request, "If-Match"));
    if (!parsed.errors.empty())
      return Answer(exchange, BadRequestAnswer("The assignment is not valid.", parsed.errors));
    if (!deps_.ready()) return Answer(exchange, NotReady());
    deps_.processor.AssignCourier(std::move(*parsed.command), CommandCaller(request, exchange),
                                  ReplyTo(exchange, ForwardableIf(request, IdOf(request))));
  }

  void UnassignCourier(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (auto refusal = RefuseOptionalBody(request, "release")) return Answer(exchange, *refusal);
    auto parsed = ParseUnassignCourier(IdOf(request), request.body());
    if (parsed.command) parsed.command->expected_version = ParseIfMatch(web::HeaderValue(request, "If-Match"));
    if (!parsed.errors.empty()) return Answer(exchange, BadRequestAnswer("The release is not valid.", parsed.errors));
    if (!deps_.ready()) return Answer(exchange, NotReady());
    deps_.processor.UnassignCourier(std::move(*parsed.command), CommandCaller(request, exchange),
                                    ReplyTo(exchange, ForwardableIf(request, IdOf(request))));
  }

  void DeclineDelivery(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (auto refusal = RefuseOptionalBody(request, "decline")) return Answer(exchange, *refusal);
    auto parsed = ParseDeclineDelivery(IdOf(request), request.body());
    if (parsed.command) parsed.command->expected_version = ParseIfMatch(web::HeaderValue(request, "If-Match"));
    if (!parsed.errors.empty()) return Answer(exchange, BadRequestAnswer("The decline is not valid.", parsed.errors));
    if (!deps_.ready()) return Answer(exchange, NotReady());
    deps_.processor.DeclineDelivery(std::move(*parsed.command), CommandCaller(request, exchange),
                                    ReplyTo(exchange, ForwardableIf(request, IdOf(request))));
  }

  // Who may set stock is the processor's to say (403): the body is checked first, as for orders.
  void SetStock(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (auto refusal = RefuseBody(request, "stock level")) return Answer(exchange, *refusal);
    auto parsed = ParseSetStock(IdOf(request), request.body());
    if (!parsed.errors.empty()) {
      return Answer(exchange, BadRequestAnswer("The stock level is not valid.", parsed.errors));
    }
    if (!deps_.ready()) return Answer(exchange, NotReady());
    deps_.inventory.SetStock(std::move(*parsed.command), CommandCaller(request, exchange),
                             StockReplyTo(exchange, ForwardableIf(request, IdOf(request), deps_.inventory_forwarder)));
  }

  // Every role may read stock levels.
  void GetStock(const Rest::Request& request, const web::ExchangePtr& exchange) {
    if (RefusedWhileDraining(exchange)) return;
    if (!deps_.ready() || !deps_.inventory_ready()) return Answer(exchange, NotReady());
    const std::string id = IdOf(request);
    // As for orders: the product's writer has the latest level.
    if (deps_.writes_product && !deps_.writes_product(id)) {
      if (auto forwardable = ForwardableIf(request, id, deps_.inventory_forwarder)) {
        return ForwardOr(
            std::move(*forwardable), AnswerLater(exchange),
            AnswerFor(StockResult{StockResult::Kind::kNotOwner, std::nullopt, {}, std::nullopt, std::nullopt}));
      }
    }
    if (auto stock = deps_.stocks.Level(id)) {
      return Answer(exchange,
                    AnswerFor(StockResult{StockResult::Kind::kOk, std::move(stock), {}, std::nullopt, std::nullopt}));
    }
    exchange->Respond(ProblemAnswer(platform::NotFoundProblem("This product's stock is not tracked.")));
  }

  // True (and answered) when the service is draining: no new work.
  bool RefusedWhileDraining(const web::ExchangePtr& exchange) {
    if (!draining_.load()) return false;
    Answer(exchange, ShuttingDown());
    return true;
  }

  // The processor's reply, answered on whichever thread it comes; counted
  // until the answer's bytes have left (Pistache writes them later, on its
  // reactor), so that a graceful stop waits for them (Drain).
  std::function<void(const HttpAnswer&)> AnswerLater(const web::ExchangePtr& exchange) {
    {
      std::lock_guard lock(drain_mutex_);
      ++in_flight_;
    }
    std::shared_ptr<const void> unanswered(nullptr, [this](const void*) {
      std::lock_guard lock(drain_mutex_);
      if (--in_flight_ == 0) drained_.notify_all();
    });
    return [exchange, unanswered = std::move(unanswered)](const HttpAnswer& answer) mutable {
      exchange->Respond(answer, std::move(unanswered));
    };
  }

  // A command refused because another instance writes its order goes to that
  // instance when `forwardable` is set; every other result is answered here.
  Reply ReplyTo(const web::ExchangePtr& exchange, std::optional<Forwardable> forwardable = std::nullopt) {
    return [this, answer = AnswerLater(exchange), forwardable = std::move(forwardable)](CommandResult result) mutable {
      if (result.kind == CommandResult::Kind::kNotOwner && forwardable) {
        return ForwardOr(std::move(*forwardable), std::move(answer), AnswerFor(result));
      }
      answer(AnswerFor(result));
    };
  }

  // Set when forwarding is on, the request was not forwarded already and names its partition
  // (an order's by default, a product's with the inventory's forwarder).
  std::optional<Forwardable> ForwardableIf(const Rest::Request& request, const std::string& routing_key) const {
    return ForwardableIf(request, routing_key, deps_.forwarder);
  }
  static std::optional<Forwardable> ForwardableIf(const Rest::Request& request, const std::string& routing_key,
                                                  const std::shared_ptr<CommandForwarder>& forwarder) {
    if (!forwarder || routing_key.empty() || WasForwarded(request)) return std::nullopt;
    return Forwardable{*forwarder, routing_key, ForwardedFrom(request)};
  }

  // Relays the writer's answer, or answers `otherwise` when the writer is unknown or did not answer.
  void ForwardOr(Forwardable forwardable, std::function<void(const HttpAnswer&)> answer, HttpAnswer otherwise) {
    auto writer = forwardable.forwarder.WriterOf(forwardable.routing_key);
    if (!writer) return answer(otherwise);
    forwardable.forwarder.Forward(std::move(*writer), forwardable.routing_key, std::move(forwardable.request),
                                  [answer = std::move(answer), otherwise = std::move(otherwise)](
                                      std::optional<HttpAnswer> relayed) { answer(relayed ? *relayed : otherwise); });
  }

  static HttpAnswer NotWriter() { return AnswerFor(CommandResult{CommandResult::Kind::kNotOwner, std::nullopt, {}}); }

  StockReply StockReplyTo(const web::ExchangePtr& exchange, std::optional<Forwardable> forwardable) {
    return [this, answer = AnswerLater(exchange), forwardable = std::move(forwardable)](StockResult result) mutable {
      if (result.kind == StockResult::Kind::kNotOwner && forwardable) {
        return ForwardOr(std::move(*forwardable), std::move(answer), AnswerFor(result));
      }
      answer(AnswerFor(result));
    };
  }

  HttpApiDeps deps_;
  std::shared_ptr<ConnectionGate> gate_;
  std::unique_ptr<web::HttpServer> server_;
  std::atomic<bool> draining_{false};
  std::mutex drain_mutex_;
  std::condition_variable drained_;
  int in_flight_ = 0;  // commands handed to the processor and not answered yet
};

HttpApi::HttpApi(HttpApiDeps deps) : impl_(std::make_unique<Impl>(std::move(deps))) {}
HttpApi::~HttpApi() { Stop(); }

platform::Result<std::uint16_t> HttpApi::Start(const std::string& address, std::uint16_t port) {
  return impl_->Start(address, port);
}
bool HttpApi::Drain(std::chrono::milliseconds grace) { return impl_->Drain(grace); }
void HttpApi::Stop() { impl_->Stop(); }

}  // namespace orders::command
