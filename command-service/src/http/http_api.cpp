#include "http_api.hpp"

#include <algorithm>
#include <chrono>

#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <orders/command/http_answer.hpp>
#include <orders/command/request_parser.hpp>
#include <orders/platform/access.hpp>
#include <orders/platform/log.hpp>

#include "guarded_handler.hpp"

namespace orders::command {

using namespace Pistache;

namespace {

using Clock = std::chrono::steady_clock;

// Route-level metrics: requests by route and status, latency by route.
class RouteMetrics {
 public:
  RouteMetrics(platform::MetricsRegistry& registry, const std::string& route) : registry_(registry), route_(route) {
    latency_ = &registry.AddHistogram("orders_http_request_seconds", "HTTP request latency", platform::LatencyBuckets(),
                                      {{"route", route}});
  }
  void Record(int status, Clock::time_point started) {
    latency_->Observe(std::chrono::duration<double>(Clock::now() - started).count());
    CounterFor(status).Inc();
  }

 private:
  platform::Counter& CounterFor(int status) {
    std::lock_guard lock(mutex_);
    auto it = by_status_.find(status);
    if (it == by_status_.end()) {
      it = by_status_
               .emplace(status, &registry_.AddCounter("orders_http_requests_total", "HTTP requests",
                                                      {{"route", route_}, {"status", std::to_string(status)}}))
               .first;
    }
    return *it->second;
  }

  platform::MetricsRegistry& registry_;
  std::string route_;
  platform::Histogram* latency_;
  std::mutex mutex_;
  std::map<int, platform::Counter*> by_status_;
};

// Pistache 0.0.5 does not write "raw" response headers, only typed ones; this
// typed header carries any name and value.
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return std::hash<std::string>{}(name_); }
#endif

 private:
  std::string name_;
  std::string value_;
};

void Send(Http::ResponseWriter& response, const HttpAnswer& answer) {
  for (const auto& [name, value] : answer.headers) response.headers().add(std::make_shared<NamedHeader>(name, value));
  response.setMime(Http::Mime::MediaType::fromString(answer.content_type));
  // Queuing the answer frees the connection for its next request.
  GuardedHandler::Answer(response.getPeer(), [&] {
    response.send(static_cast<Http::Code>(answer.status), answer.body).then([](ssize_t) {}, [](std::exception_ptr) {});
  });
}

std::optional<std::string_view> HeaderValue(const Rest::Request& request, const std::string& name,
                                            std::string& storage) {
  auto raw = request.headers().tryGetRaw(name);
  if (!raw) return std::nullopt;
  storage = raw->value();
  return std::string_view(storage);
}

// Pistache buffers up to this much per request and answers larger ones itself
// (plain-text 413); bodies between kMaxBodyBytes and this get our problem+json 413.
constexpr std::size_t kMaxRequestBytes = 256 * 1024;

// The checks every body-carrying command shares; nullopt when the request may go on.
std::optional<HttpAnswer> RefuseBody(const Rest::Request& request, std::string_view what);

bool IsJsonContentType(const Rest::Request& request) {
  std::string storage;
  auto value = HeaderValue(request, "Content-Type", storage);
  return value && value->substr(0, 16) == "application/json";
}

std::optional<HttpAnswer> RefuseBody(const Rest::Request& request, std::string_view what) {
  if (!IsJsonContentType(request)) {
    return ProblemAnswer(
        {415, "Unsupported Media Type", "Send the " + std::string(what) + " as application/json.", {}, {}});
  }
  if (request.body().size() > kMaxBodyBytes) {
    return ProblemAnswer({413, "Content Too Large", "The body must be at most 64 KiB.", {}, {}});
  }
  return std::nullopt;
}

}  // namespace

class HttpApi::Impl {
 public:
  explicit Impl(HttpApiDeps deps) : deps_(std::move(deps)) {}

  std::uint16_t Start(const std::string& address, std::uint16_t port) {
    Address bind(address, Port(port));
    endpoint_ = std::make_unique<Http::Endpoint>(bind);
    auto options = Http::Endpoint::options()
                       .threads(1)  // Pistache 0.0.5's router is not safe with more reactor threads
                       .maxRequestSize(kMaxRequestBytes)
                       .headerTimeout(std::chrono::seconds(5))
                       .bodyTimeout(std::chrono::seconds(10))
                       .keepaliveTimeout(std::chrono::seconds(30))
                       .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay);
    endpoint_->init(options);
    Routes();
    // The router behind our own framing (guarded_handler.hpp), not Pistache's input path.
    endpoint_->setHandler(std::make_shared<GuardedHandler>(router_));
    endpoint_->serveThreaded();
    return static_cast<std::uint16_t>(endpoint_->getPort());
  }

  void Stop() {
    if (endpoint_) endpoint_->shutdown();
    endpoint_.reset();
  }

 private:
  using Handler = std::function<void(const Rest::Request&, Http::ResponseWriter&, std::shared_ptr<RouteMetrics>,
                                     Clock::time_point)>;

  // The browser origin of the request when it may call the API (CORS).
  std::optional<std::string> AllowedOrigin(const Rest::Request& request) const {
    std::string storage;
    const auto origin = HeaderValue(request, "Origin", storage);
    if (!origin) return std::nullopt;
    const auto& allowed = deps_.allowed_origins;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *origin) == allowed.end()) return std::nullopt;
    return std::string(*origin);
  }

  // The refusal when the request may not use a protected route.
  std::optional<HttpAnswer> RefuseAccess(const Rest::Request& request) const {
    std::string authorization_storage;
    const auto authorization = HeaderValue(request, "Authorization", authorization_storage);
    const auto query_token = request.query().get("access_token");
    const auto access = platform::CheckAccess(
        {authorization, query_token ? std::optional<std::string_view>(*query_token) : std::nullopt}, deps_.jwt_secret,
        {platform::Role::kStaff, platform::Role::kService});
    if (access.granted) return std::nullopt;
    auto answer = ProblemAnswer(access.refusal);
    if (access.refusal.status == 401) answer.headers.emplace_back("WWW-Authenticate", platform::kBearerChallenge);
    return answer;
  }

  enum class Guard { kOpen, kStaffOrService };

  // Wraps a handler: CORS headers, access check, timing, metrics, and the catch-all edge.
  void Add(Http::Method method, const std::string& path, const std::string& route, Handler handler,
           Guard guard = Guard::kStaffOrService) {
    auto metrics = std::make_shared<RouteMetrics>(deps_.metrics, route);
    router_.addRoute(
        method, path, [this, handler, metrics, guard](const Rest::Request& request, Http::ResponseWriter response) {
          const auto started = Clock::now();
          if (auto origin = AllowedOrigin(request)) {
            response.headers().add(std::make_shared<NamedHeader>("Access-Control-Allow-Origin", *origin));
            response.headers().add(std::make_shared<NamedHeader>("Vary", "Origin"));
            response.headers().add(
                std::make_shared<NamedHeader>("Access-Control-Expose-Headers", "ETag, Location, Retry-After"));
          }
          try {
            if (guard == Guard::kStaffOrService) {
              if (auto refusal = RefuseAccess(request)) {
                Respond(response, *refusal, *metrics, started);
                return Rest::Route::Result::Ok;
              }
            }
            handler(request, response, metrics, started);
          } catch (const std::exception& error) {
            platform::LogError("request handler failed", {{"route", request.resource()}, {"error", error.what()}});
            try {
              metrics->Record(500, started);
              Send(response, ProblemAnswer(platform::InternalProblem()));
            } catch (...) {
            }
          }
          return Rest::Route::Result::Ok;
        });
  }

  static void Respond(Http::ResponseWriter& response, const HttpAnswer& answer, RouteMetrics& metrics,
                      Clock::time_point started) {
    metrics.Record(answer.status, started);  // before sending, so a client that saw the answer sees it counted
    Send(response, answer);
  }

  // Moves the writer into a command reply that may run on another thread.
  static Reply AsyncReply(Http::ResponseWriter& response, std::shared_ptr<RouteMetrics> metrics,
                          Clock::time_point started) {
    auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
    return [writer, metrics, started](CommandResult result) {
      try {
        Impl::Respond(*writer, AnswerFor(result), *metrics, started);
      } catch (const std::exception& error) {
        platform::LogWarn("could not send a reply", {{"error", error.what()}});
      }
    };
  }

  void Routes() {
    Add(Http::Method::Post, "/orders", "POST /orders",
        [this](const Rest::Request& request, Http::ResponseWriter& response, auto metrics, auto started) {
          if (auto refusal = RefuseBody(request, "order")) return Respond(response, *refusal, *metrics, started);
          std::string key_storage;
          auto key = HeaderValue(request, "Idempotency-Key", key_storage);
          if (key && !IsValidIdempotencyKey(*key)) {
            return Respond(response,
                           BadRequestAnswer("The Idempotency-Key header is not valid.",
                                            {{"Idempotency-Key", "must be 1-255 visible ASCII characters"}}),
                           *metrics, started);
          }
          auto parsed = ParsePlaceOrder(request.body());
          if (!parsed.errors.empty()) {
            return Respond(response, BadRequestAnswer("The order is not valid.", parsed.errors), *metrics, started);
          }
          if (!deps_.ready()) return Respond(response, NotReady(), *metrics, started);
          deps_.processor.Place(std::move(*parsed.command), key ? std::optional<std::string>(*key) : std::nullopt,
                                AsyncReply(response, metrics, started));
        });

    Add(Http::Method::Get, "/orders/:id", "GET /orders/{id}",
        [this](const Rest::Request& request, Http::ResponseWriter& response, auto metrics, auto started) {
          if (!deps_.ready()) return Respond(response, NotReady(), *metrics, started);
          const auto id = request.param(":id").as<std::string>();
          if (auto order = deps_.book.Find(id))
            return Respond(response, AnswerForOrder(200, *order), *metrics, started);
          Respond(response, ProblemAnswer(platform::NotFoundProblem("No order with this orderId.")), *metrics, started);
        });

    Add(Http::Method::Put, "/orders/:id/status", "PUT /orders/{id}/status",
        [this](const Rest::Request& request, Http::ResponseWriter& response, auto metrics, auto started) {
          if (auto refusal = RefuseBody(request, "status change")) {
            return Respond(response, *refusal, *metrics, started);
          }
          auto parsed = ParseChangeStatus(request.param(":id").as<std::string>(), request.body());
          std::string if_match_storage;
          // A malformed body yields no command at all: nothing to attach the version to.
          if (parsed.command) {
            parsed.command->expected_version = ParseIfMatch(HeaderValue(request, "If-Match", if_match_storage));
          }
          if (!parsed.errors.empty()) {
            return Respond(response, BadRequestAnswer("The status change is not valid.", parsed.errors), *metrics,
                           started);
          }
          if (!deps_.ready()) return Respond(response, NotReady(), *metrics, started);
          deps_.processor.ChangeStatus(std::move(*parsed.command), AsyncReply(response, metrics, started));
        });

    // Orders are never deleted, and other methods on known paths are refused.
    const std::pair<Http::Method, const char*> not_allowed[] = {
        {Http::Method::Delete, "/orders/:id"},
        {Http::Method::Patch, "/orders/:id"},
        {Http::Method::Post, "/orders/:id"},
        {Http::Method::Put, "/orders/:id"},
        {Http::Method::Get, "/orders"},
        {Http::Method::Put, "/orders"},
        {Http::Method::Delete, "/orders"},
        {Http::Method::Patch, "/orders"},
        {Http::Method::Get, "/orders/:id/status"},
        {Http::Method::Post, "/orders/:id/status"},
        {Http::Method::Delete, "/orders/:id/status"},
        {Http::Method::Patch, "/orders/:id/status"},
    };
    for (const auto& [method, path] : not_allowed) {
      Add(
          method, path, "405",
          [](const Rest::Request& request, Http::ResponseWriter& response, auto metrics, auto started) {
            const bool is_delete = request.method() == Http::Method::Delete;
            auto answer = ProblemAnswer(platform::MethodNotAllowedProblem(
                is_delete ? "Orders are never deleted; cancel them with PUT /orders/{id}/status."
                          : "This method is not allowed on this resource."));
            Respond(response, answer, *metrics, started);
          },
          Guard::kOpen);
    }

    // CORS preflight for browsers (the notifier's staff board calls this API).
    for (const char* path : {"/orders", "/orders/:id", "/orders/:id/status"}) {
      Add(
          Http::Method::Options, path, "OPTIONS",
          [this](const Rest::Request& request, Http::ResponseWriter& response, auto metrics, auto started) {
            if (!AllowedOrigin(request)) {
              return Respond(response, ProblemAnswer({403, "Forbidden", "This origin may not call the API.", {}, {}}),
                             *metrics, started);
            }
            Respond(response,
                    {204,
                     "text/plain",
                     {{"Access-Control-Allow-Methods", "GET, POST, PUT"},
                      {"Access-Control-Allow-Headers", "Content-Type, If-Match, Idempotency-Key, Authorization"},
                      {"Access-Control-Max-Age", "600"}},
                     ""},
                    *metrics, started);
          },
          Guard::kOpen);
    }

    Add(
        Http::Method::Get, "/healthz", "GET /healthz",
        [](const Rest::Request&, Http::ResponseWriter& response, auto metrics, auto started) {
          Respond(response, {200, "application/json", {}, R"({"status":"ok"})"}, *metrics, started);
        },
        Guard::kOpen);
    Add(
        Http::Method::Get, "/readyz", "GET /readyz",
        [this](const Rest::Request&, Http::ResponseWriter& response, auto metrics, auto started) {
          if (deps_.ready())
            return Respond(response, {200, "application/json", {}, R"({"status":"ready"})"}, *metrics, started);
          Respond(response, NotReady(), *metrics, started);
        },
        Guard::kOpen);
    Add(
        Http::Method::Get, "/metrics", "GET /metrics",
        [this](const Rest::Request&, Http::ResponseWriter& response, auto metrics, auto started) {
          Respond(response, {200, "text/plain; version=0.0.4", {}, deps_.metrics.Render()}, *metrics, started);
        },
        Guard::kOpen);

    auto not_found_metrics = std::make_shared<RouteMetrics>(deps_.metrics, "unknown");
    router_.addNotFoundHandler([not_found_metrics](const Rest::Request&, Http::ResponseWriter response) {
      const auto started = Clock::now();
      try {
        Respond(response, ProblemAnswer(platform::NotFoundProblem()), *not_found_metrics, started);
      } catch (...) {
      }
      return Rest::Route::Result::Ok;
    });
  }

  static HttpAnswer NotReady() {
    return ProblemAnswer(platform::UnavailableProblem(
        "The command service is not ready: it is rebuilding its state or cannot reach Kafka."));
  }

  HttpApiDeps deps_;
  Rest::Router router_;
  std::unique_ptr<Http::Endpoint> endpoint_;
};

HttpApi::HttpApi(HttpApiDeps deps) : impl_(std::make_unique<Impl>(std::move(deps))) {}
HttpApi::~HttpApi() { Stop(); }

std::uint16_t HttpApi::Start(const std::string& address, std::uint16_t port) { return impl_->Start(address, port); }
void HttpApi::Stop() { impl_->Stop(); }

}  // namespace orders::command
