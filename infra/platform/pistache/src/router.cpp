#include <orders/platform/pistache/router.hpp>

#include <algorithm>
#include <exception>

#include <orders/platform/log.hpp>

namespace orders::platform::pistache_http {

using namespace Pistache;

namespace {

// The methods a known pattern answers with 405 when it has no route for them.
constexpr Http::Method kRefusable[] = {Http::Method::Get, Http::Method::Post, Http::Method::Put, Http::Method::Delete,
                                       Http::Method::Patch};

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

Router::Router(MetricsRegistry& registry, CorsPolicy cors, Guard guard)
    : registry_(registry), cors_(std::move(cors)), guard_(std::move(guard)) {}

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
        [this](const Rest::Request& request, const ExchangePtr& exchange) { Preflight(request, exchange); },
        Access::kOpen);
  }
  auto not_found = std::make_shared<RouteMetrics>(registry_, "unknown");
  router_.addNotFoundHandler([this, not_found](const Rest::Request&, Http::ResponseWriter writer) {
    Exchange(std::move(writer), not_found, queue_).Respond(ProblemAnswer(NotFoundProblem()));
    return Rest::Route::Result::Ok;
  });
}

std::optional<std::string> Router::AllowedOrigin(const Rest::Request& request) const {
  auto origin = HeaderValue(request, "Origin");
  if (!origin) return std::nullopt;
  const auto& allowed = cors_.allowed_origins;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *origin) == allowed.end()) return std::nullopt;
  return origin;
}

void Router::Preflight(const Rest::Request& request, const ExchangePtr& exchange) const {
  if (!AllowedOrigin(request)) {
    exchange->Respond(ProblemAnswer({403, "Forbidden", "This origin may not call the API.", {}, {}}));
    return;
  }
  exchange->Respond({204,
                     "text/plain",
                     {{"Access-Control-Allow-Methods", cors_.allow_methods},
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
        if (auto origin = AllowedOrigin(request)) {
          exchange->AddHeader("Access-Control-Allow-Origin", *origin);
          exchange->AddHeader("Vary", "Origin");
          exchange->AddHeader("Access-Control-Expose-Headers", cors_.expose_headers);
        }
        try {
          if (access == Access::kGuarded && guard_) {
            if (auto refusal = guard_(request)) {
              exchange->Respond(*refusal);
              return Rest::Route::Result::Ok;
            }
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
