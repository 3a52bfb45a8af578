#pragma once
// Routes on Pistache's router, in the RESTinio router's terms: a pattern is a
// path whose segments are literals or `{name}` captures ("/orders/{id}"; read
// with request.param(":id")). Each route has its own metrics, labelled
// "<METHOD> <pattern>" (never the raw path). Around every handler: CORS
// headers for allowed origins, the access guard on guarded routes, and a
// catch-all that answers 500 (the exception text is logged, never sent).
//
// Finish() completes the table once every route is added: an OPTIONS
// preflight on every pattern, a 405 problem with `Allow` for the other
// methods on a known pattern, a 404 problem for everything else.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pistache/router.h>

#include <orders/platform/metrics.hpp>
#include <orders/platform/pistache/exchange.hpp>

namespace orders::platform::pistache_http {

using Handler = std::function<void(const Pistache::Rest::Request&, const ExchangePtr&)>;

// The refusal of a request on a guarded route, or nullopt to let it through.
using Guard = std::function<std::optional<Answer>(const Pistache::Rest::Request&)>;

struct CorsPolicy {
  std::vector<std::string> allowed_origins;  // empty: any origin
  std::string allow_methods;                 // preflight answer
  std::string allow_headers;                 // preflight answer
  std::string expose_headers;                // on every answer to an allowed origin
};

enum class Access { kOpen, kGuarded };

class Router {
 public:
  Router(MetricsRegistry& registry, CorsPolicy cors, Guard guard);

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
  std::optional<std::string> AllowedOrigin(const Pistache::Rest::Request& request) const;
  void Preflight(const Pistache::Rest::Request& request, const ExchangePtr& exchange) const;

  MetricsRegistry& registry_;
  CorsPolicy cors_;
  Guard guard_;
  AnswerQueue queue_;
  Pistache::Rest::Router router_;
  std::map<std::string, std::vector<Pistache::Http::Method>> methods_by_pattern_;  // in the order added
  std::map<Pistache::Http::Method, std::string> not_allowed_details_;
};

// "/orders/{id}" -> "/orders/:id" (Pistache's spelling).
std::string PistachePath(const std::string& pattern);

}  // namespace orders::platform::pistache_http
