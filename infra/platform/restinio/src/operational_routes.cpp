#include <orders/platform/restinio/operational_routes.hpp>

namespace orders::platform::http {

void AddOperationalRoutes(Router& router, const MetricsRegistry& registry, std::function<Readiness()> ready) {
  router.Add(restinio::http_method_get(), "/healthz", [](const ExchangePtr& exchange) {
    exchange->RespondJson(200, {{"status", "ok"}});
  });
  router.Add(restinio::http_method_get(), "/readyz", [ready = std::move(ready)](const ExchangePtr& exchange) {
    const Readiness readiness = ready();
    if (readiness.ready) {
      exchange->RespondJson(200, {{"status", "ready"}});
    } else {
      exchange->RespondProblem(UnavailableProblem(readiness.detail), {{"Retry-After", "1"}});
    }
  });
  router.Add(restinio::http_method_get(), "/metrics", [&registry](const ExchangePtr& exchange) {
    exchange->RespondText(200, "text/plain; version=0.0.4; charset=utf-8", registry.Render());
  });
}

}  // namespace orders::platform::http
