#pragma once
// Routes on Pistache's router, in the RESTinio router's terms: a pattern is a
// path whose segments are literals or `{name}` captures ("/orders/{id}"; read
// with request.param(":id")). Each route has its own metrics, labelled
// "<METHOD> <pattern>" (never the raw path). Around every handler, in order:
// the origin policy (origin_policy.hpp: a foreign Origin, or a foreign Host
// while auth is off, gets 403 on every route, 404 and 405 included), CORS
// headers for allowed origins, then on guarded routes the access guard and
// the caller's rate limit (429 before any 401/403, so a flood of bad tokens
// is limited too), and a catch-all that answers 500 (the exception text is
// logged, never sent).
//
// Finish() completes the table once every route is added: an OPTIONS
// preflight on every pattern (allowing that pattern's methods only), a 405
// problem with `Allow` for the other methods on a known pattern (TRACE
// included: never echoed), a 404 problem for everything else.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pistache/router.h>

#include <orders/platform/caller_limiter.hpp>
#include <orders/platform/metrics.hpp>
#include <orders/platform/origin_policy.hpp>
#include <orders/platform/pistache/exchange.hpp>

namespace orders::platform::pistache_http {

using Handler = std::function<void(const Pistache::Rest::Request&, const ExchangePtr&)>;

// What the access guard found: the refusal (nullopt lets the request
// through) and the caller when its token was valid (keys its rate limit).
struct GuardResult {
  std::optional<Answer> refusal;
  std::optional<Principal> principal;
};
using Guard = std::function<GuardResult(const Pistache::Rest::Request&)>;

struct CorsPolicy {
  OriginRules origins;
  std::string allow_headers;   // preflight answer
  std::string expose_headers;  // on every answer to an allowed origin
};

enum class Access { kOpen, kGuarded };

class Router {
 public:
  // `limiter` (may be null: no limits) applies to guarded routes.
  Router(MetricsRegistry& registry, CorsPolicy cors, Guard guard, std::shared_ptr<CallerLimiter> limiter = nullptr);

  void Add(Pistache::Http::Method method, const std::string& pattern, Handler handler,
           Access access = Access::kGuarded);
  // The 405 detail for `method` (default: "This method is not allowed on this resource.").
  void ExplainNotAllowed(Pistache::Http::Method method, std::string detail);
  void Finish();

  // Set by the server before it serves.
  void SetAnswerQueue(AnswerQueue queue) { queue_ = std::move(queue); }
  const Pistache::Rest::Router& routes() const { return router_; }

 private:
  void AddWrapped(Pistache::Http::Method method, const std::string& pattern, const std::string& route, Handler handler,
                  Access access);
  // Answers the refusal when the origin policy refuses the request; else
  // adds the CORS headers for an allowed origin. False when refused.
  bool ApplyOriginPolicy(const Pistache::Rest::Request& request, Exchange& exchange) const;
  void Preflight(const Pistache::Rest::Request& request, const ExchangePtr& exchange,
                 const std::string& allowed_methods) const;

  MetricsRegistry& registry_;
  CorsPolicy cors_;
  Guard guard_;
  std::shared_ptr<CallerLimiter> limiter_;
  AnswerQueue queue_;
  Pistache::Rest::Router router_;
  std::map<std::string, std::vector<Pistache::Http::Method>> methods_by_pattern_;  // in the order added
  std::map<Pistache::Http::Method, std::string> not_allowed_details_;
};

// "/orders/{id}" -> "/orders/:id" (Pistache's spelling).
std::string PistachePath(const std::string& pattern);

}  // namespace orders::platform::pistache_http
