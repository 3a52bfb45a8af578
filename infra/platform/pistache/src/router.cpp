#include <orders/platform/pistache/router.hpp>

#include <algorithm>
#include <exception>

#include <orders/platform/log.hpp>

namespace orders::platform::pistache_http {

using namespace Pistache;

namespace {

// The methods a known pattern answers with 405 when it has no route for them.
constexpr Http::Method kRefusable[] = {Http::Method::Get,    Http::Method::Post,  Http::Method::Put,
                                       Http::Method::Delete, Http::Method::Patch, Http::Method::Trace};

std::string AllowList(const std::vector<Http::Method>& methods) {
  std::string allowed;
  for (auto method : methods) allowed += (allowed.empty() ? "" : ", ") + std::string(Http::methodString(method));
  return allowed;
}

}  // namespace

std::string PistachePath(const std::string& pattern) {
  std::string path;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      path += ':';
    } else if (pattern[i] != '}') {
      path += pattern[i];
    }
  }
  return path;
}

Router::Router(MetricsRegistry& registry, CorsPolicy cors, Guard guard, std::shared_ptr<CallerLimiter> limiter)
    : registry_(registry), cors_(std::move(cors)), guard_(std::move(guard)), limiter_(std::move(limiter)) {}

void Router::Add(Http::Method method, const std::string& pattern, Handler handler, Access access) {
  methods_by_pattern_[pattern].push_back(method);
  AddWrapped(method, pattern, std::string(Http::methodString(method)) + " " + pattern, std::move(handler), access);
}

void Router::ExplainNotAllowed(Http::Method method, std::string detail) {
  not_allowed_details_[method] = std::move(detail);
}

void Router::Finish() {
  for (const auto& [pattern, methods] : methods_by_pattern_) {
    const std::string allowed = AllowList(methods);
    for (auto method : kRefusable) {
      if (std::find(methods.begin(), methods.end(), method) != methods.end()) continue;
      auto detail = not_allowed_details_.count(method) ? not_allowed_details_.at(method)
                                                       : "This method is not allowed on this resource.";
      AddWrapped(
          method, pattern, "405",
          [allowed, detail](const Rest::Request&, const ExchangePtr& exchange) {
            auto answer = ProblemAnswer(MethodNotAllowedProblem(detail));
            answer.headers.emplace_back("Allow", allowed);
            exchange->Respond(answer);
          },
          Access::kOpen);
    }
    AddWrapped(
        Http::Method::Options, pattern, "OPTIONS",
        [this, allowed](const Rest::Request& request, const ExchangePtr& exchange) {
          Preflight(request, exchange, allowed);
        },
        Access::kOpen);
  }
  auto not_found = std::make_shared<RouteMetrics>(registry_, "unknown");
  router_.addNotFoundHandler([this, not_found](const Rest::Request& request, Http::ResponseWriter writer) {
    Exchange exchange(std::move(writer), not_found, queue_);
    if (ApplyOriginPolicy(request, exchange)) exchange.Respond(ProblemAnswer(NotFoundProblem()));
    return Rest::Route::Result::Ok;
  });
}

bool Router::ApplyOriginPolicy(const Rest::Request& request, Exchange& exchange) const {
  const auto origin = HeaderValue(request, "Origin");
  const auto host = HeaderValue(request, "Host");
  auto decision = CheckOrigin(cors_.origins, origin ? std::optional<std::string_view>(*origin) : std::nullopt,
                              host ? std::optional<std::string_view>(*host) : std::nullopt);
  if (!decision.allowed) {
    exchange.Respond(ProblemAnswer(decision.refusal));
    return false;
  }
  if (decision.cors_origin) {
    exchange.AddHeader("Access-Control-Allow-Origin", *decision.cors_origin);
    exchange.AddHeader("Vary", "Origin");
    exchange.AddHeader("Access-Control-Expose-Headers", cors_.expose_headers);
  }
  return true;
}

void Router::Preflight(const Rest::Request&, const ExchangePtr& exchange, const std::string& allowed_methods) const {
  // The origin policy has already refused foreign origins; a preflight of an
  // allowed origin (or a plain OPTIONS) learns what this path accepts.
  exchange->Respond({204,
                     "text/plain",
                     {{"Allow", allowed_methods + ", OPTIONS"},
                      {"Access-Control-Allow-Methods", allowed_methods},
                      {"Access-Control-Allow-Headers", cors_.allow_headers},
                      {"Access-Control-Max-Age", "600"}},
                     ""});
}

void Router::AddWrapped(Http::Method method, const std::string& pattern, const std::string& route, Handler handler,
                        Access access) {
  auto metrics = std::make_shared<RouteMetrics>(registry_, route);
  router_.addRoute(
      method, PistachePath(pattern),
      [this, handler = std::move(handler), metrics, access](const Rest::Request& request, Http::ResponseWriter writer) {
        auto exchange = std::make_shared<Exchange>(std::move(writer), metrics, queue_);
        try {
          if (!ApplyOriginPolicy(request, *exchange)) return Rest::Route::Result::Ok;
          if (access == Access::kGuarded) {
            GuardResult checked = guard_ ? guard_(request) : GuardResult{};
            if (limiter_) {
              if (auto limited = limiter_->Admit(checked.principal, request.address().host())) {
                auto answer = ProblemAnswer(limited->problem);
                answer.headers.insert(answer.headers.end(), limited->headers.begin(), limited->headers.end());
                exchange->Respond(answer);
                return Rest::Route::Result::Ok;
              }
            }
            if (checked.refusal) {
              exchange->Respond(*checked.refusal);
              return Rest::Route::Result::Ok;
            }
            exchange->SetCaller(std::move(checked.principal));
          }
          handler(request, exchange);
        } catch (const std::exception& error) {
          LogError("request handler failed", {{"route", request.resource()}, {"error", error.what()}});
          exchange->Respond(ProblemAnswer(InternalProblem()));
        }
        return Rest::Route::Result::Ok;
      });
}

}  // namespace orders::platform::pistache_http
