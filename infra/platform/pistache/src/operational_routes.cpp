#include <orders/platform/pistache/operational_routes.hpp>

namespace orders::platform::pistache_http {

using namespace Pistache;

void AddOperationalRoutes(Router& router, const MetricsRegistry& registry, std::function<Readiness()> ready) {
  router.Add(
      Http::Method::Get, "/healthz",
      [](const Rest::Request&, const ExchangePtr& exchange) {
        exchange->Respond({200, "application/json", {}, R"({"status":"ok"})"});
      },
      Access::kOpen);
  router.Add(
      Http::Method::Get, "/readyz",
      [ready = std::move(ready)](const Rest::Request&, const ExchangePtr& exchange) {
        const Readiness readiness = ready();
        if (!readiness.ready) {
          exchange->Respond(ProblemAnswer(UnavailableProblem(readiness.detail)));
          return;
        }
        exchange->Respond({200, "application/json", {}, R"({"status":"ready"})"});
      },
      Access::kOpen);
  router.Add(
      Http::Method::Get, "/metrics",
      [&registry](const Rest::Request&, const ExchangePtr& exchange) {
        exchange->Respond({200, "text/plain; version=0.0.4", {}, registry.Render()});
      },
      Access::kOpen);
}

}  // namespace orders::platform::pistache_http
